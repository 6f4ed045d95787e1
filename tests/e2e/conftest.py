"""Browser fixtures: `streamlit run` on a free loopback port, Debian's Chromium via Playwright.

The server is started per test session on the demo build, stopped by PID at the end. Chromium
runs headless with the flags this locked-down network needs (no background networking).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(data_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PISTAS_DATA_DIR": str(data_dir), **(extra_env or {})}
    # serve.py: the pages plus the data URLs, exactly what `make run` starts.
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "serve.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.runOnSave",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{proc.stdout.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not become healthy at {base}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app_server(demo_data_dir):
    """Base URL of a running app on the demo build."""
    port = free_port()
    proc = start_streamlit(demo_data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        stop(proc)


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="en-US")
    yield ctx
    ctx.close()


# Records every WebGL draw call with its canvas width: the map's first frame is the first wide one.
DRAW_PROBE = """(() => {
  window.__draws = [];
  for (const ctx of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!ctx) continue;
    for (const name of ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced']) {
      const original = ctx.prototype[name];
      if (!original) continue;
      ctx.prototype[name] = function (...args) {
        window.__draws.push([performance.now(), this.canvas.width]);
        return original.apply(this, args);
      };
    }
  }
})();"""


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until the script run finished: the footer's data version is drawn, no spinner."""
    page.wait_for_selector(
        "text=/Data version|Versión de datos/", timeout=timeout
    )  # the footer, either language
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(300)


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "This app has encountered an error" not in page.inner_text("body")


ANIMATED_MAP = ".st-key-map_anim .js-plotly-plot"  # lib.playback.chart_selector("map_anim")


def open_animated_map(page, url: str, timeout: float = 60_000) -> None:
    """Open the Map at `url`, switch on "Play in the browser" and wait until the animated map has
    its frames and the playback listener (lib.playback, polling every 200 ms) has hooked it."""
    page.goto(url)
    wait_for_app(page, timeout=timeout)
    page.get_by_text("Play in the browser").click()
    page.wait_for_function(
        f"() => document.querySelector('{ANIMATED_MAP}')?._transitionData", timeout=timeout
    )
    wait_for_app(page, timeout=timeout)
    page.wait_for_timeout(1500)


def play_frames(page, frames: int, timeout: float = 60_000) -> tuple[list[tuple[str, float]], float, float]:
    """Press Play on the animated map, let `frames` frames draw, press Pause.

    Returns each frame's (name, browser ms) and the monotonic times Play and the last frame were
    seen, so callers can count what was sent to the server while it played."""
    page.evaluate(f"""() => {{
        const gd = document.querySelector('{ANIMATED_MAP}');
        window.__frames = [];
        gd.on('plotly_animatingframe', (e) => window.__frames.push([e.name, performance.now()]));
    }}""")
    buttons = page.locator(".st-key-map_anim .updatemenu-button")
    started = time.monotonic()
    buttons.filter(has_text="Play").click()
    page.wait_for_function(f"() => window.__frames.length >= {frames}", timeout=timeout)
    ended = time.monotonic()
    buttons.filter(has_text="Pause").click()
    return [tuple(f) for f in page.evaluate("() => window.__frames")], started, ended
