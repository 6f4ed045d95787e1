"""A closed tab's upload is freed in the real server (lib.memory's reaper), not kept until restart."""

from __future__ import annotations

import threading
import time

from lib import ingest
from tests.e2e.conftest import free_port, start_streamlit, stop, wait_for_app, wait_healthy

FREED = "upload report freed; 0 still held"


def test_a_closed_tabs_upload_report_is_freed_after_the_session_ttl(browser, demo_data_dir):
    # Streamlit keeps a closed tab's session for server.disconnectedSessionTTL (here 1 s); the
    # reaper (every 1 s here) makes its storage drop it and collects it: the server logs that.
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "1", "PISTAS_REAP_SECONDS": "1"}
    port = free_port()
    proc = start_streamlit(demo_data_dir, port, extra_env=env)
    lines: list[str] = []
    threading.Thread(
        target=lambda: lines.extend(iter(lambda: proc.stdout.readline().decode(errors="replace"), "")),
        daemon=True,
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        uploader = browser.new_context(locale="en-US")
        page = uploader.new_page()
        page.goto(f"{base}/Data")
        wait_for_app(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": ingest.template_csv()}]
        )
        page.get_by_text("2 new and valid, 0 invalid").wait_for(timeout=30_000)
        time.sleep(3)
        assert not any(FREED in line for line in lines), "freed while its tab was open"
        # Another visitor keeps the server busy: Streamlit's loop then holds their session, not ours.
        other = browser.new_context(locale="en-US")
        other_page = other.new_page()
        uploader.close()
        other_page.goto(f"{base}/Data")
        wait_for_app(other_page)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(FREED in line for line in lines):
            time.sleep(0.5)
        other.close()
        assert any(FREED in line for line in lines), "".join(lines[-20:])
    finally:
        stop(proc)
