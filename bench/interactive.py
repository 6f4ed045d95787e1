"""Interactive figures on the default demo data: page reruns, map payload, map first draw.

    .venv/bin/python -m bench.interactive [--views 50] [--loads 15] [--against ../old-checkout]

Prints, and writes to bench/interactive_results.json:

1. **Server time of a filter change** (issue 3: ≤ 150 ms p95; issue 4: Map ≤ 300 ms p95). One
   AppTest session per page, rerun with each seeded random view's URL (nothing of that view is
   cached), as `bench.run` does at 100k–10M events, but on the demo build the app ships with.
2. **Map payload**: bytes of the deck sent for the national view, points and hexagons (≤ 1.5 MB).
3. **Map drawn in headless Chromium** (issue 4: within 2 s of load): `streamlit run` on a free
   port, a fresh browser context per load (nothing cached), and the time of the first WebGL draw
   call on the map's canvas, counted from the page's `load` event and from navigation start.
   The Data page (no map) is loaded alike: when its footer is drawn, for comparison.

With `--against PATH` (another checkout of Pistas, e.g. `git worktree add ../base <rev>`), the
same views and loads run against both, alternating, so the ratios are measured side by side on
this shared machine (absolute times drift with its load; the ratios much less).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "overview": "app.py",
    "routes": "pages/1_Routes.py",
    "data": "pages/4_Data.py",
    "map": "pages/2_Map.py",
}
LOADS = {"map_points": "/Map?basemap=none", "map_hex": "/Map?basemap=none&layer=hex", "data": "/Data"}
FIRST_MAP_DRAW = "() => (window.__draws.find(d => d[1] > 300) || [null])[0]"
FOOTER_DRAWN = """() => { const done = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
  .some(e => e.textContent.startsWith('Data version')) && !document.querySelector('[data-testid=stStatusWidget]');
  if (done && !window.__ready) window.__ready = performance.now(); return window.__ready || null; }"""


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[round(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }


# ---- 1. server time: runs inside the checkout under test (its own lib/, its own pages) ---------
def apptest_worker(root: Path, views: list[dict[str, str]], out: Path) -> None:
    """Rerun each page of `root` with every view's URL in an open AppTest session; ms per rerun."""
    from streamlit.testing.v1 import AppTest

    sessions: dict[str, AppTest] = {}
    times: dict[str, list[float]] = {page: [] for page in PAGES}
    for page, script in PAGES.items():  # open each session on the landing view (not counted)
        at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
        if script != "app.py":
            at.switch_page(script)
        at.run()
        sessions[page] = at
    for view in views:
        for page, at in sessions.items():
            at.query_params.clear()
            for key, value in view.items():
                at.query_params[key] = value
            started = time.perf_counter()
            at.run()
            times[page].append(1000 * (time.perf_counter() - started))
            if at.exception or at.error:  # e.g. "data unavailable": a fast page that is no answer
                raise SystemExit(f"{page} {view}: {[e.value for e in [*at.exception, *at.error]]}")
    out.write_text(json.dumps(times))


def server_times(roots: dict[str, Path], views: list[dict[str, str]], rounds: int = 3) -> dict:
    """Each checkout in its own process (module names clash), alternating in `rounds` slices."""
    times: dict[str, dict[str, list[float]]] = {name: {p: [] for p in PAGES} for name in roots}
    for r in range(rounds):
        part = views[r::rounds]
        for name, root in list(roots.items()) if r % 2 == 0 else list(roots.items())[::-1]:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                # This file run as a script: sys.path[0] is bench/, so `lib` is the checkout's own.
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", str(root), json.dumps(part), out.name],
                    cwd=root,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                if done.returncode:
                    raise SystemExit(f"{name} ({root}) failed:\n{done.stderr[-3000:]}")
                for page, values in json.loads(Path(out.name).read_text()).items():
                    times[name][page] += values
    return {name: {page: summary(v) for page, v in pages.items()} for name, pages in times.items()}


# ---- 2. payload ----------------------------------------------------------------------------------
def map_payload() -> dict:
    from lib import geo, map_view, queries, views
    from lib.db import database
    from lib.state import ViewState

    db = database()
    context = queries.data_context(db)
    out = {}
    for layer in ("points", "hex"):
        view = views.View(ViewState(layer=layer, basemap="none"), context, "en")
        panel = map_view.map_panel(
            views.direct_query(db), view, "whole", geo.load_regions(), geo.load_rivers()
        )
        out[layer] = {"deck_bytes": len(panel.deck.json.encode()), "events_drawn": panel.shown}
    return out


# ---- 3. the browser ------------------------------------------------------------------------------
def start_server(root: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    ]
    return subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def one_load(browser, url: str, is_map: bool) -> dict:
    from tests.e2e.conftest import DRAW_PROBE

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(DRAW_PROBE)
    page = context.new_page()
    page.goto(url)
    done = page.wait_for_function(FIRST_MAP_DRAW if is_map else FOOTER_DRAWN, timeout=60_000, polling="raf")
    at = done.json_value()
    load = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
    context.close()
    return {"after_load": at - load, "after_navigation": at}


def browser_loads(roots: dict[str, Path], loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.conftest import free_port, stop, wait_healthy

    servers = {}
    try:
        for name, root in roots.items():
            port = free_port()
            proc = start_server(root, port)
            servers[name] = (f"http://127.0.0.1:{port}", proc)
            wait_healthy(servers[name][0], proc)
        results = {name: {what: [] for what in LOADS} for name in roots}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for base, _ in servers.values():  # warm each server's caches (not counted)
                for path in LOADS.values():
                    one_load(browser, base + path, "/Map" in path)
            names = list(servers)
            for i in range(loads):
                for what, path in LOADS.items():
                    for name in names[i % len(names) :] + names[: i % len(names)]:
                        results[name][what].append(one_load(browser, servers[name][0] + path, "/Map" in path))
            browser.close()
    finally:
        for _, proc in servers.values():
            stop(proc)
    return {
        name: {
            what: {k: summary([r[k] for r in rs]) for k in ("after_load", "after_navigation")}
            for what, rs in by.items()
        }
        for name, by in results.items()
    }


# ---- report --------------------------------------------------------------------------------------
def report(result: dict) -> None:
    names = list(result["server_ms"])
    print(f"\nServer time of a filter change (AppTest rerun, new view), ms, {result['views']} views:")
    for page in PAGES:
        cells = [
            f"{n}: median {result['server_ms'][n][page]['median']:6.1f} p95 {result['server_ms'][n][page]['p95']:6.1f}"
            for n in names
        ]
        ratio = (
            ""
            if len(names) < 2
            else (
                f"  ratio p95 {names[0]}/{names[1]} "
                f"{result['server_ms'][names[0]][page]['p95'] / result['server_ms'][names[1]][page]['p95']:.2f}"
            )
        )
        print(f"  {page:9s} " + " | ".join(cells) + ratio)
    print("\nMap payload (national view, demo data):")
    for layer, p in result["map_payload"].items():
        print(f"  {layer:7s} {p['deck_bytes'] / 1e6:.2f} MB, {p['events_drawn']:,} events drawn")
    print(f"\nHeadless Chromium, fresh context per load, {result['loads']} loads, ms (median / p95):")
    for what in LOADS:
        for n in names:
            b = result["browser_ms"][n][what]
            label = "first map draw" if what.startswith("map") else "footer drawn"
            print(
                f"  {what:10s} {n:8s} {label}: {b['after_load']['median']:6.0f} / {b['after_load']['p95']:6.0f} "
                f"after load, {b['after_navigation']['median']:6.0f} / {b['after_navigation']['p95']:6.0f} "
                "after navigation start"
            )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # see server_times
        root = Path(argv[1])
        sys.path.insert(0, str(root))
        apptest_worker(root, json.loads(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=50, help="random views (seeded) for the reruns")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--loads", type=int, default=15, help="browser loads per page and checkout")
    parser.add_argument("--against", type=Path, help="another checkout to measure side by side")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "interactive_results.json")
    args = parser.parse_args(argv)
    # Every checkout reads this one's demo build (an old checkout may have none of its own).
    os.environ.setdefault("PISTAS_DATA_DIR", str(REPO_ROOT / "data"))

    from bench.states import random_states
    from lib import queries
    from lib.db import database
    from tests import conftest  # noqa: F401  (the tests' boundaries: ../shared/geo when present)

    db = database()
    version = db.version()
    views = [
        {**s.to_query(), "v": version} for s in random_states(queries.data_context(db), args.views, args.seed)
    ]
    roots = {"this": REPO_ROOT, **({"against": args.against.resolve()} if args.against else {})}
    result = {
        "views": args.views,
        "seed": args.seed,
        "loads": args.loads,
        "data_version": version,
        "load_average_before": os.getloadavg(),
        "roots": {k: str(v) for k, v in roots.items()},
    }
    result["server_ms"] = server_times(roots, views)
    result["map_payload"] = map_payload()
    result["browser_ms"] = browser_loads(roots, args.loads)
    result["load_average_after"] = os.getloadavg()
    report(result)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
