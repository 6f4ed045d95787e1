"""Impact page timings on the demo data: uncached analysis in process, and the real server.

    .venv/bin/python -m bench.impact [--views 20] [--loads 8] [--against ../old-checkout]

1. **Analysis** (`lib.views.impact_analysis`, every fit uncached): seeded random views (policy
   Law 30339, metric, window, treated area, language), each new to the process. The window scan
   is memoised on its inputs, so views that share metric and treated area reuse it, as a user
   changing only the window would.
2. **Real server**: `streamlit run` on a free port and headless Chromium (Debian's), a fresh
   context per load of `/Impact?<view>`; the time until the page's footer is drawn and the
   script has finished (all estimates on screen), from navigation start.

With `--against PATH` (e.g. `git worktree add ../base <rev>`, data built there with
`python -m lib.build`), both checkouts run the same views alternately, and the ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
METRICS = ("airstrip_destroyed", "flight_detected", "seizure", "airstrip_detected")
AREAS = ("VRAEM", "Ucayali", "Pichis-Palcazú", "Huallaga")
WINDOWS = (12, 18, 24, 36, 48)
WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from threadpoolctl import threadpool_limits
from lib import queries, views
from lib.db import Database
from lib.paths import built_dir
from lib.state import ViewState
db = Database(built_dir()); ctx = queries.data_context(db); q = views.direct_query(db)
views.impact_analysis(q, views.View(ViewState(metric="seizure", treated=("Puno",)), ctx, "en"))  # imports
out = []
for spec in json.loads(sys.argv[2]):
    lang = spec.pop("lang")
    state = ViewState(metric=spec["metric"], window=spec["window"], treated=(spec["treated"],))
    t0 = time.perf_counter()
    views.impact_analysis(q, views.View(state, ctx, lang))
    out.append(time.perf_counter() - t0)
print(json.dumps(out))
"""
FOOTER_DRAWN = """() => { const done = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
  .some(e => /^(Data version|Versión de datos)/.test(e.textContent))
  && !document.querySelector('[data-testid=stStatusWidget]');
  if (done && !window.__ready) window.__ready = performance.now(); return window.__ready || null; }"""


def views_for(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "metric": rng.choice(METRICS),
            "window": rng.choice(WINDOWS),
            "treated": rng.choice(AREAS),
            "lang": rng.choice(("en", "es")),
        }
        for _ in range(n)
    ]


def analysis_times(root: Path, specs: list[dict]) -> list[float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(root)}
    env.pop("PISTAS_DATA_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(root), json.dumps(specs)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_times(root: Path, specs: list[dict]) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    port = _free_port()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("PISTAS_DATA_DIR", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            _wait_ready(browser, port)
            for spec in specs:
                query = f"metric={spec['metric']}&window={spec['window']}&treated={spec['treated']}&lang={spec['lang']}"
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/Impact?{query}")
                page.wait_for_function(FOOTER_DRAWN, timeout=120_000, polling=50)
                out.append(page.evaluate("window.__ready") / 1000)
                context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return out


def _wait_ready(browser, port: int) -> None:
    """First load warms the server (imports, caches of the data version), not counted."""
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/Impact?metric=seizure&treated=Puno")
            page.wait_for_function(FOOTER_DRAWN, timeout=120_000, polling=100)
            page.close()
            return
        except Exception:  # server not up yet
            time.sleep(1)
    raise RuntimeError("streamlit did not start")


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "n": len(times),
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max": ordered[-1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--loads", type=int, default=8)
    parser.add_argument("--against", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    roots = {"now": REPO_ROOT} | ({"base": args.against.resolve()} if args.against else {})
    results: dict[str, dict] = {}
    specs = views_for(args.views, args.seed)
    for name, root in roots.items():  # alternate in halves so drift hits both
        results[name] = {"analysis": analysis_times(root, [dict(s) for s in specs[: len(specs) // 2]])}
    for name, root in roots.items():
        results[name]["analysis"] += analysis_times(root, [dict(s) for s in specs[len(specs) // 2 :]])
    loads = views_for(args.loads, args.seed + 1)
    for name, root in roots.items():
        results[name]["server"] = server_times(root, loads)
    report = {name: {k: summary(v) for k, v in r.items()} for name, r in results.items()}
    for name, parts in report.items():
        for part, s in parts.items():
            print(
                f"{name:5s} {part:8s} n={s['n']:3d}  p50 {s['p50'] * 1000:7.0f} ms  p95 {s['p95'] * 1000:7.0f} ms"
                f"  max {s['max'] * 1000:7.0f} ms"
            )
    if "base" in report:
        for part in ("analysis", "server"):
            ratio = report["now"][part]["p50"] / report["base"][part]["p50"]
            print(f"ratio now/base {part}: p50 {ratio:.2f}")
    (REPO_ROOT / "bench" / "impact_results.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
