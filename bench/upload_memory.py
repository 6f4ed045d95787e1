"""Server memory around uploads: does a closed tab's upload give its memory back?

    python -m bench.upload_memory [--sessions 3] [--ttl 15] [--after 45] [--file PATH]

Starts `streamlit run` (tests/e2e/conftest.start_streamlit) on the demo build with
`server.disconnectedSessionTTL` = --ttl seconds (Streamlit keeps a closed tab's session that
long, in case it reconnects; its default is 120 s), then in Debian Chromium:

1. opens the Data page once (caches warm): the idle RSS;
2. in --sessions fresh browser contexts, one after the other, uploads the file (default: the
   100,000-row CSV of bench/ingest.py) and waits for the check's summary: RSS after each;
3. closes every context, then samples the server's RSS every second for ttl + --after seconds.

Prints the RSS (MB, psutil, the server process) at each step and over time. To compare two
checkouts, run this file from each (copy it into the other one's bench/). Writes nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 2**20


def upload(browser, base: str, data: bytes, name: str) -> object:
    from tests.e2e.conftest import wait_for_app

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/Data")
    wait_for_app(page, timeout=90_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_text("new and valid").first.wait_for(timeout=120_000)
    return context


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--ttl", type=int, default=15)
    ap.add_argument("--after", type=int, default=45)
    ap.add_argument("--file", type=Path, help="default: bench/ingest.py's valid_100k case")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from bench.map_media import _build
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.conftest import free_port, start_streamlit, stop, wait_for_app, wait_healthy

    if args.file is None:
        from bench.ingest import case_file

        args.file = case_file("valid_100k")
    data = args.file.read_bytes()
    folder = _build(Path(tempfile.mkdtemp(prefix="upload_memory_")))
    port = free_port()
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(args.ttl)}
    proc = start_streamlit(folder, port, extra_env=env)
    base = f"http://127.0.0.1:{port}"
    server = psutil.Process(proc.pid)
    try:
        wait_healthy(base, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = browser.new_context()
            page = warm.new_page()
            page.goto(f"{base}/Data")
            wait_for_app(page, timeout=90_000)
            warm.close()
            time.sleep(2)
            print(f"idle, Data page visited once: {mb(server):.0f} MB")
            contexts = []
            for i in range(args.sessions):
                started = time.monotonic()
                contexts.append(upload(browser, base, data, args.file.name))
                took = time.monotonic() - started
                print(
                    f"after upload {i + 1} ({args.file.name}, {took:.1f} s to the summary): {mb(server):.0f} MB"
                )
            closed = time.monotonic()
            for context in contexts:
                context.close()
            browser.close()
        samples = []
        while (waited := time.monotonic() - closed) < args.ttl + args.after:
            samples.append((waited, mb(server)))
            time.sleep(1)
    finally:
        stop(proc)
    for when in (0, args.ttl - 1, args.ttl + 5, args.ttl + 15, args.ttl + args.after - 1):
        at = min(samples, key=lambda s: abs(s[0] - when))
        print(f"{at[0]:5.0f} s after the tabs closed (session TTL {args.ttl} s): {at[1]:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
