"""Benchmark: interactive at 10 million events, measured against the usual pandas approach.

    python -m bench.run [--sizes 100000,1000000,10000000] [--states 50] [--seed 1]
                        [--out bench/results.json] [--readme bench/README.md] [--data-root bench/data]

For each size: build (or reuse) the data with lib.build, draw `--states` random valid views, then
run three workers one after the other, each in its own process (bench.worker):

- duckdb:  every query each page makes, uncached, on a lib.db.Database (as the app opens it);
- pandas:  the same answers the usual way (whole events table in a DataFrame, masks, groupby);
- apptest: whole pages (Overview, Routes, Data) through Streamlit's AppTest, a fresh view each run.

DuckDB's and pandas' answers are then asserted equal. Figures go to --out (JSON) and into the
README between the results markers; targets that are missed are printed plainly.
See bench/README.md for the method and caveats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import compare
from bench.datasets import BENCH_DATA, ensure_data
from bench.pagesets import APP_PAGES, PANDAS_PAGES
from bench.report import markdown, write_readme
from bench.states import random_states
from lib import queries
from lib.db import Database
from lib.paths import REPO_ROOT

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
TARGETS = {
    "query_p95_ms": 50.0,  # query layer, every query of a page, at the largest size
    "page_p95_ms": 300.0,  # whole page server time (uncached), at the largest size
    "app_peak_mb": 500.0,  # peak resident memory of the app process
    "page_growth": 2.0,  # page p95 at the largest size / at the smallest
    "speedup_p50": 10.0,  # pandas p50 / DuckDB p50, at the largest size
    "memory_ratio": 5.0,  # pandas peak memory / DuckDB peak memory
}


def stats(seconds: list[float]) -> dict:
    """p50/p95/max in milliseconds (numpy's linear percentiles)."""
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def per_query(rows: list[dict[str, float]]) -> dict[str, dict]:
    names = dict.fromkeys(n for row in rows for n in row)
    return {name: stats([row[name] for row in rows if name in row]) for name in names}


def machine() -> dict:
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1) if mem_kb else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("duckdb", "pandas", "pyarrow", "numpy", "streamlit"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def spawn(kind: str, spec: dict, workdir: Path, log) -> dict:
    """Run one worker in a new process; return its figures."""
    spec = {**spec, "out": str(workdir / f"{kind}.json")}
    spec_path = workdir / f"{kind}.spec.json"
    spec["spawned_at"] = time.time()
    spec_path.write_text(json.dumps(spec))
    started = time.perf_counter()
    env = {
        **os.environ,
        "PISTAS_DATA_DIR": spec["data_dir"],
        "PYTHONPATH": str(REPO_ROOT),
        "STREAMLIT_LOGGER_LEVEL": "error",
    }
    subprocess.run(
        [sys.executable, "-m", "bench.worker", kind, str(spec_path)], cwd=REPO_ROOT, env=env, check=True
    )
    log(f"  {kind}: {time.perf_counter() - started:.1f}s")
    return json.loads(Path(spec["out"]).read_text())


def check_answers(duck_file: str, pandas_file: str) -> int:
    """Assert every answer DuckDB gave equals pandas' for the same view; return how many were compared."""
    with open(duck_file, "rb") as handle:
        duck = pickle.load(handle)  # noqa: S301 - our own worker's file
    with open(pandas_file, "rb") as handle:
        pand = pickle.load(handle)  # noqa: S301
    compared = 0
    for i in duck:
        for page in PANDAS_PAGES:
            try:
                compared += compare.assert_page_equal(page, duck[i][page], pand[i][page])
            except compare.Mismatch as exc:
                raise compare.Mismatch(f"state {i}: {exc}") from None
    return compared


def bench_size(size: int, n_states: int, seed: int, data_root: Path, log) -> dict:
    data = ensure_data(size, data_root, log=log)
    built = Path(data["data_dir"]) / "built"
    ctx = queries.data_context(Database(built))
    states = random_states(ctx, n_states, seed)
    spec = {
        "data_dir": data["data_dir"],
        "built": str(built),
        "version": data["version"],
        "context": {
            "first_month": ctx.first_month,
            "last_month": ctx.last_month,
            "policies": list(ctx.policies),
        },
        "states": [s.to_query() for s in states],
    }
    log(f"{size:,} events ({data['events']:,} rows, data {data['version']}): {n_states} views")
    with tempfile.TemporaryDirectory(prefix="pistas-bench-") as tmp:
        workdir = Path(tmp)
        duck = spawn("duckdb", spec, workdir, log)
        pand = spawn("pandas", spec, workdir, log)
        app = spawn("apptest", spec, workdir, log)
        compared = check_answers(duck["answers_file"], pand["answers_file"])
    log(f"  DuckDB == pandas: {compared} answers compared, all equal")
    result = {
        "data": data,
        "states": spec["states"],
        "query_layer": {p: stats(v) for p, v in duck["pages"].items()},
        "query_breakdown": {p: per_query(v) for p, v in duck["queries"].items()},
        "pandas": {p: stats(v) for p, v in pand["pages"].items()},
        "pandas_breakdown": {p: per_query(v) for p, v in pand["queries"].items()},
        "pages": {p: stats(v) for p, v in app["pages"].items()},
        "pages_cached": {p: stats(v) for p, v in app["pages_cached"].items()},
        # each rerun minus the trivial page's rerun just before it (same load): AppTest's cost taken out
        "pages_net": {
            p: stats([a - b for a, b in zip(v, app["trivial_page"], strict=True)])
            for p, v in app["pages"].items()
        },
        "apptest_trivial_page": stats(app["trivial_page"]),
        "memory_mb": {
            "duckdb_peak": duck["peak_rss_mb"],
            "duckdb_peak_with_map": duck["peak_rss_with_map_mb"],
            "duckdb_after_imports": duck["rss_after_imports_mb"],
            "pandas_peak": pand["peak_rss_mb"],
            "pandas_after_imports": pand["rss_after_imports_mb"],
            "pandas_after_load": pand["rss_after_first_answer_mb"],
            "pandas_peak_at_load": pand["peak_rss_after_first_answer_mb"],
            "app_peak": app["peak_rss_mb"],
        },
        "cold_start_s": {
            "duckdb": duck["cold_start"],
            "pandas": pand["cold_start"],
            "app": app["cold_start"],
        },
        "answers_compared": compared,
        "loadavg": {"duckdb": duck["loadavg"], "pandas": pand["loadavg"], "apptest": app["loadavg"]},
        "raw_seconds": {
            "duckdb": duck["pages"],
            "pandas": pand["pages"],
            "apptest": app["pages"],
            "apptest_cached": app["pages_cached"],
        },
    }
    result["speedup_p50"] = {
        p: _ratio(result["pandas"][p]["p50_ms"], result["query_layer"][p]["p50_ms"]) for p in PANDAS_PAGES
    }
    result["memory_ratio"] = _ratio(pand["peak_rss_mb"], duck["peak_rss_mb"])
    result["_spec"] = spec
    return result


def side_by_side(sizes: dict[str, dict], log) -> dict | None:
    """Whole pages at every size interleaved in one process (see bench.worker.run_apptest_sizes)."""
    specs = [sizes[k].pop("_spec") for k in sorted(sizes, key=int)]
    if len(specs) < 2:
        return None
    if any(s["context"] != specs[0]["context"] for s in specs):
        log("  sizes have different month ranges: no side-by-side page run")
        return None
    spec = {
        "data_dir": specs[0]["data_dir"],
        "states": specs[0]["states"],
        "sizes": [
            {"size": str(int(k)), "data_dir": sp["data_dir"], "version": sp["version"]}
            for k, sp in zip(sorted(sizes, key=int), specs, strict=True)
        ],
    }
    log(f"all sizes side by side: {len(spec['states'])} views × {len(APP_PAGES)} pages × {len(specs)} sizes")
    with tempfile.TemporaryDirectory(prefix="pistas-bench-") as tmp:
        raw = spawn("apptest-sizes", spec, Path(tmp), log)
    pages = {size: {p: stats(v) for p, v in by_page.items()} for size, by_page in raw["pages"].items()}
    keys = sorted(pages, key=int)
    small, big = pages[keys[0]], pages[keys[-1]]
    return {
        "pages": pages,
        "trivial_page": stats(raw["trivial_page"]),
        "growth_p50": {p: _ratio(big[p]["p50_ms"], small[p]["p50_ms"]) for p in big},
        "growth_p95": {p: _ratio(big[p]["p95_ms"], small[p]["p95_ms"]) for p in big},
        "peak_rss_mb": raw["peak_rss_mb"],
        "loadavg": raw["loadavg"],
        "raw_seconds": raw["pages"],
    }


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def targets(sizes: dict[str, dict], together: dict | None = None) -> list[dict]:
    """Each target with its figure; `met` False is printed plainly."""
    keys = sorted(sizes, key=int)
    big, small = sizes[keys[-1]], sizes[keys[0]]
    at = f"{int(keys[-1]):,} events"
    out = []

    def add(name: str, figure, limit: float, met: bool, unit: str) -> None:
        out.append({"target": name, "figure": figure, "limit": limit, "unit": unit, "met": bool(met)})

    for page, s in big["query_layer"].items():
        add(
            f"query layer p95, {page} page, at {at}",
            s["p95_ms"],
            TARGETS["query_p95_ms"],
            s["p95_ms"] <= TARGETS["query_p95_ms"],
            "ms ≤",
        )
    for page, s in big["pages"].items():
        add(
            f"page server time p95 (uncached), {page}, at {at}",
            s["p95_ms"],
            TARGETS["page_p95_ms"],
            s["p95_ms"] <= TARGETS["page_p95_ms"],
            "ms ≤",
        )
    app_peak = big["memory_mb"]["app_peak"]
    add(
        f"peak memory of the app process (AppTest, 3 pages × {len(big['states'])} views × 2), at {at}",
        app_peak,
        TARGETS["app_peak_mb"],
        app_peak <= TARGETS["app_peak_mb"],
        "MB ≤",
    )
    if len(keys) > 1:
        for page in big["pages"]:
            if together:  # measured side by side (interleaved), not minutes apart
                growth, how = together["growth_p95"][page], "side by side"
            else:
                growth, how = (
                    _ratio(big["pages"][page]["p95_ms"], small["pages"][page]["p95_ms"]),
                    "separate runs",
                )
            add(
                f"page p95 growth {int(keys[0]):,} → {int(keys[-1]):,} events, {page} ({how})",
                growth,
                TARGETS["page_growth"],
                growth is not None and growth <= TARGETS["page_growth"],
                "× ≤",
            )
    for page, ratio in big["speedup_p50"].items():
        add(
            f"DuckDB faster than pandas at p50, {page} queries, at {at}",
            ratio,
            TARGETS["speedup_p50"],
            ratio is not None and ratio >= TARGETS["speedup_p50"],
            "× ≥",
        )
    ratio = big["memory_ratio"]
    add(
        f"pandas peak memory / DuckDB peak memory (same views), at {at}",
        ratio,
        TARGETS["memory_ratio"],
        ratio is not None and ratio >= TARGETS["memory_ratio"],
        "× ≥",
    )
    return out


def run(
    sizes: list[int], n_states: int, seed: int, out: Path, readme: Path | None, data_root: Path, log=print
) -> dict:
    started = time.perf_counter()
    results: dict = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine(),
            "versions": versions(),
            "args": {"sizes": sizes, "states": n_states, "seed": seed},
            "duckdb_settings": {
                "memory_limit": os.environ.get("PISTAS_DUCKDB_MEMORY", "1GB"),
                "threads": int(os.environ.get("PISTAS_DUCKDB_THREADS", "2")),
            },
            "apptest_pages": APP_PAGES,
        },
        "sizes": {},
    }
    for size in sizes:
        results["sizes"][str(size)] = bench_size(size, n_states, seed, data_root, log)
    results["side_by_side"] = side_by_side(results["sizes"], log)
    results["targets"] = targets(results["sizes"], results["side_by_side"])
    results["meta"]["bench_seconds"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    table = markdown(results)
    if readme is not None:
        write_readme(readme, table)
    log("")
    log(table)
    missed = [t for t in results["targets"] if not t["met"]]
    for t in missed:
        log(f"TARGET MISSED: {t['target']}: {t['figure']} (target {t['unit']} {t['limit']})")
    if not missed:
        log("every target met")
    log(f"wrote {out}" + (f" and {readme}" if readme else ""))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated simulated event counts"
    )
    parser.add_argument("--states", type=int, default=50, help="random views per size")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random views")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results.json")
    parser.add_argument("--readme", type=Path, default=REPO_ROOT / "bench" / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="do not touch the README")
    parser.add_argument("--data-root", type=Path, default=BENCH_DATA, help="where the builds go (per size)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    run(sizes, args.states, args.seed, args.out, None if args.no_readme else args.readme, args.data_root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
