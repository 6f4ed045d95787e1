"""A small load in the suite: three real browser sessions for 20 s against one server.

The harness is bench/load.py's (the full run is `python -m bench.load --sessions 25 --seconds 180`).
No timing is asserted: only that nothing failed, that every session saw exactly the numbers a
lone session sees for the same URL, and that every session got reruns done.
"""

from __future__ import annotations

import pytest

from bench import load
from tests.e2e.conftest import free_port, start_streamlit, stop, wait_healthy

pytestmark = pytest.mark.browser


@pytest.fixture
def load_server(demo_data_dir):
    """Its own server (not the shared one), so its process can be measured and the load is alone."""
    port = free_port()
    proc = start_streamlit(demo_data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base, proc.pid
    finally:
        stop(proc)


def test_three_sessions_hold_for_20s_with_the_lone_sessions_numbers(browser, load_server):
    base, pid = load_server
    report = load.run_load(browser, base, sessions=3, seconds=20, server_pid=pid, plan=load.QUICK_PLAN)

    assert report["errors"]["total"] == 0, report["errors"]
    assert report["mismatches"] == 0
    assert report["baseline_urls"] == len(load.QUICK_PLAN)  # every step reached a URL of its own
    assert report["sessions_held"] == 3
    assert all(n >= 1 for n in report["steps_ok_per_session"]), report["steps_ok_per_session"]
    assert report["latency"]["all"]["n"] == report["steps_ok"] >= 3
    assert report["rss"]["sampled"] and report["rss"]["max_mb"] > 0
