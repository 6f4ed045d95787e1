"""The Map page's three figures of issue 14, measured where the user is.

    python -m bench.map_media [--loads 5] [--exports 5]

1. **First draw offline**: `streamlit run` on the demo build, Debian Chromium with every request
   off this machine aborted (as on a laptop with no network); time from `goto` to deck.gl's first
   draw on a canvas wider than 300 px (tests/e2e/conftest.py's DRAW_PROBE), default view and a
   blank basemap, fresh browser context each load.
2. **Browser playback step**: the animated map (toggle "Play in the browser"); the time one
   `Plotly.animate` step takes alone, and the gaps between frames while it plays (the figure asks
   for 300 ms), with the count of websocket messages sent while playing (should be 0).
3. **Map PNG export**: lib.map_export.static_map + lib.views.image (kaleido on the same
   Chromium), in-process, first (cold kaleido) and warm medians.

Prints medians; writes nothing. Absolute times drift on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]


def _build(folder: Path) -> Path:
    from lib.build import BuildSpec, build

    build(BuildSpec(sourced=ROOT / "data" / "sourced", out=folder / "built"), log=lambda *_: None)
    return folder


def _offline(context) -> None:
    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            r.abort("internetdisconnected")

    context.route("**/*", route)


def first_draws(browser, base: str, query: str, loads: int) -> list[float]:
    from tests.e2e.conftest import DRAW_PROBE, wait_for_app

    out = []
    for _ in range(loads):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        _offline(context)
        context.add_init_script(DRAW_PROBE)
        page = context.new_page()
        started = time.monotonic()
        page.goto(f"{base}/Map?{query}")
        page.wait_for_function("() => window.__draws.some(d => d[1] > 300)", timeout=90_000)
        out.append(time.monotonic() - started)
        wait_for_app(page, timeout=90_000)
        context.close()
    return out


def playback(browser, base: str) -> dict:
    from tests.e2e.conftest import open_animated_map, play_frames, wait_for_app

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.monotonic())))
    open_animated_map(page, f"{base}/Map?start=2014-01&end=2016-12", timeout=90_000)
    alone = page.evaluate("""async () => {
        const gd = document.querySelector('.st-key-map_anim .js-plotly-plot');
        const names = gd._transitionData._frames.map(f => f.name).slice(1, 13);
        const times = [];
        for (const name of names) {
            const t0 = performance.now();
            await Plotly.animate(gd, [name], {frame: {duration: 0, redraw: false}, transition: {duration: 0}});
            times.push(performance.now() - t0);
        }
        return times; }""")
    # the last step stopped there: its URL rerun; then play from the start with the figure's timing
    wait_for_app(page, timeout=90_000)
    page.wait_for_timeout(1500)
    frames, t0, t1 = play_frames(page, 13)
    gaps = [b - a for (_, a), (_, b) in zip(frames, frames[1:], strict=False)][:12]
    context.close()
    return {"alone_ms": alone, "gaps_ms": gaps, "sent_while_playing": len([s for s in sent if t0 < s < t1])}


def png_exports(data_dir: Path, n: int) -> list[float]:
    from lib import geo, map_export, queries, views
    from lib.db import Database
    from lib.state import ViewState

    db = Database(data_dir / "built")
    view = views.View(ViewState(), queries.data_context(db), "en")
    query = views.direct_query(db)
    regions = geo.load_regions()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        png = views.image(
            map_export.static_map(query, view, regions),
            view,
            "bench",
            "png",
            name="map",
            link="",
            query=query,
        )
        out.append(time.perf_counter() - started)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--exports", type=int, default=5)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.conftest import free_port, start_streamlit, stop, wait_healthy

    folder = _build(Path(tempfile.mkdtemp(prefix="map_media_")))
    exports = png_exports(folder, args.exports)
    port = free_port()
    proc = start_streamlit(folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            default = first_draws(browser, base, "", args.loads)
            blank = first_draws(browser, base, "basemap=none", args.loads)
            play = playback(browser, base)
            browser.close()
    finally:
        stop(proc)
    med = statistics.median
    print(f"first map draw offline, default view: median {med(default):.2f} s of {len(default)} {default}")
    print(f"first map draw offline, basemap=none: median {med(blank):.2f} s of {len(blank)}")
    print(
        f"playback step alone (Plotly.animate, 12 steps): median {med(play['alone_ms']):.1f} ms, "
        f"max {max(play['alone_ms']):.1f} ms"
    )
    print(
        f"playback frame gaps while playing: median {med(play['gaps_ms']):.0f} ms, "
        f"max {max(play['gaps_ms']):.0f} ms; websocket messages sent while playing: {play['sent_while_playing']}"
    )
    print(
        f"map PNG export (static_map + image): first {exports[0]:.2f} s, "
        f"median of the rest {med(exports[1:] or exports):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
