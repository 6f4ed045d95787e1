"""bench.ws_load's protocol client against a real `streamlit run`: 2 sessions, a few reruns each.

No browser: each session speaks Streamlit's websocket protocol (BackMsg.rerun_script with the view's
query string, ForwardMsgs until script_finished). Checks that every run finishes, draws the
footer's data version and no Exception element or error alert, that two sessions see the same
KPI values for the same view at the same time, and that the KPIs depend on the view (so the
equality is not between two empty lists). The detectors themselves are checked on crafted
messages, so a client that stopped seeing exceptions would fail here too.

The same server behind deploy/nginx.conf (rendered for loopback, as bench.ws_load --replicas and
tests/e2e/test_scale_out.py do): a session works through the proxy, /_stcore/metrics and the
agent API are 404, every response carries the CSP (frame-ancestors 'none', the hash of
Streamlit's inline script), X-Frame-Options and nosniff, static JavaScript is gzipped, and the
upload limits of nginx, Streamlit and lib.ingest agree.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import os
import re
import shutil
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import streamlit
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.ws_load import ROOT, Proxy, Run, Server, Session, View


def run_coroutine(coro):
    """asyncio.run in a thread of its own: an earlier test (kaleido, AppTest) may have left an event
    loop running in this one, and asyncio.run refuses to nest."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


pytestmark = pytest.mark.timeout(120)

VIEWS = [
    View("overview", "areas=VRAEM&start=2014-01"),
    View("overview", "data=simulated&start=2015-09&end=2017-12"),
    View("routes", "areas=Hu%C3%A1nuco,Ucayali&start=2012-01"),
    View("overview", "areas=VRAEM&start=2014-01&lang=es"),
]


def test_detectors_see_exceptions_and_error_alerts():
    run = Run("x", 0.0, None)
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "ValueError"
    msg.delta.new_element.exception.message = "boom"
    Session._read_delta(msg, run)
    alert = ForwardMsg()
    alert.delta.new_element.alert.body = "Data unavailable"
    alert.delta.new_element.alert.format = Alert.ERROR
    Session._read_delta(alert, run)
    metric = ForwardMsg()
    metric.delta.new_element.metric.label = "Seizures"
    metric.delta.new_element.metric.body = "1,234"
    Session._read_delta(metric, run)
    footer = ForwardMsg()
    footer.delta.new_element.markdown.body = "Data version b7edcdef9bb9 · 75 sources"
    Session._read_delta(footer, run)
    assert [kind for kind, _ in run.errors] == ["exception", "error_alert"]
    assert run.metrics == [["Seizures", "1,234", ""]] and run.version == "b7edcdef9bb9"


@pytest.fixture(scope="module")
def server(demo_data_dir):
    server = Server("smoke", ["--runner.postScriptGC", "false"], demo_data_dir)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


async def _session(base: str, order: list[View]) -> list[Run]:
    s = Session(base)
    await s.connect()
    try:
        t0 = time.perf_counter()
        return [await s.rerun(view, t0, timeout=45) for view in order]
    finally:
        await s.close()


def _assert_clean(runs: list[Run]) -> None:
    for run in runs:
        assert run.latency_ms is not None, f"{run.view}: no script_finished ({run.errors})"
        assert run.errors == [], f"{run.view}: {run.errors}"
        assert run.version, f"{run.view}: no data version in the footer"


def test_two_sessions_same_kpis(server):
    async def both():
        # The same views in opposite orders, at the same time: one session's run of a view
        # overlaps the other's run of another.
        return await asyncio.gather(_session(server.base, VIEWS), _session(server.base, VIEWS[::-1]))

    first, second = run_coroutine(both())
    _assert_clean(first + second)
    a = {r.view: r.signature() for r in first}
    b = {r.view: r.signature() for r in second}
    assert a == b
    overview = [a[v.key]["metrics"] for v in VIEWS if v.page == "overview"]
    assert all(len(m) >= 5 for m in overview), overview  # the Overview's KPI cards
    assert overview[0] != overview[1], "different views, same KPIs: the values are not read from the view"
    assert overview[0][0][0] != overview[2][0][0], "lang=es did not change the labels"


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _inline_script_hashes() -> set[str]:
    html = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts
    }


def test_nginx_hardening(server, tmp_path):
    if not (shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)):
        pytest.skip("nginx is not installed (make browser); tests/e2e/test_scale_out.py fails on it")
    proxy = Proxy([server], tmp_path)
    try:
        assert _get(f"{proxy.base}/_stcore/health")[0] == 200
        for path in (
            "/_stcore/metrics",
            "/_stcore/metrics/",
            "/_stcore/agent/openapi.json",
            "//_stcore/metrics",
        ):
            status, headers, _ = _get(proxy.base + path)
            assert status == 404, path
            assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), path
        assert _get(f"{server.base}/_stcore/metrics")[0] == 200  # the replica itself still has it

        status, headers, page = _get(f"{proxy.base}/?areas=VRAEM")
        assert status == 200
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-eval'" not in csp
        missing = _inline_script_hashes() - set(csp.split())
        assert not missing, f"Streamlit's inline script changed: put {missing} in deploy/nginx.conf's CSP"
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"

        script = re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', page).group(1).decode()
        status, headers, body = _get(f"{proxy.base}/{script}", **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip", headers
        assert "content-security-policy" in headers

        runs = run_coroutine(_session(proxy.base, VIEWS[:2]))  # the websocket through nginx
        _assert_clean(runs)
    finally:
        proxy.stop()


def test_one_upload_limit():
    from lib import ingest

    mb = {
        tomllib.loads((ROOT / p).read_text())["server"]["maxUploadSize"]
        for p in (".streamlit/config.toml", "deploy/streamlit.toml")
    }
    assert len(mb) == 1, f"maxUploadSize differs between the configs: {mb}"
    (mb,) = mb
    nginx = re.search(r"client_max_body_size\s+(\d+)m;", (ROOT / "deploy" / "nginx.conf").read_text())
    # Streamlit takes a body up to maxUploadSize MiB + 1 MiB of multipart framing: nginx must let
    # all of it through (its bare 413 would answer before the app can explain).
    assert int(nginx.group(1)) >= mb + 1
    # The browser's cap is mb * 10^6 bytes (mb * 2^20 on Windows), the server's mb * 2^20: lib.ingest
    # must not promise more than the server takes.
    assert ingest.MAX_BYTES <= mb * 2**20
