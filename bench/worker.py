"""One approach, measured in its own process: `python -m bench.worker KIND SPEC.json`.

KIND: duckdb, pandas, apptest (one size) or apptest-sizes (every size, interleaved).

Own process, so that `ru_maxrss` (peak resident memory) is that approach's alone and its first
answer is a real cold start. Only the standard library is imported at the top: the time to the
first answer counts importing duckdb/pandas/streamlit too.

SPEC.json (written by bench.run): data_dir, built folder, version, context, states (URL query of
each), out (where to write the figures as JSON and the answers as a pickle), spawned_at
(time.time() just before the parent started this process).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()
STARTED_WALL = time.time()

import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

TRIVIAL_PAGE = "import streamlit as st\nst.title('trivial')\nst.write('AppTest overhead only')\n"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Resident memory now (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _states(spec: dict):
    from lib.state import Context, ViewState

    ctx = Context(
        spec["context"]["first_month"], spec["context"]["last_month"], tuple(spec["context"]["policies"])
    )
    states = []
    for query in spec["states"]:
        state, problems = ViewState.from_query(query, ctx)
        if problems:
            raise SystemExit(f"state {query} is not valid: {problems}")
        states.append(state)
    return ctx, states


def _cold(spec: dict, first_answer_wall: float, first_answer: float) -> dict:
    return {
        "seconds_in_process": round(first_answer - STARTED, 4),
        "seconds_from_spawn": round(first_answer_wall - spec["spawned_at"], 4),
    }


def run_queries(spec: dict, approach: str) -> dict:
    """DuckDB (lib.queries on a lib.db.Database) or pandas (bench.pandas_way): same pages, same states."""
    from lib.state import ViewState

    load_before = os.getloadavg()
    if approach == "duckdb":
        from bench import pagesets as impl
        from lib.db import database

        imported_rss = rss_mb()
        opened_at = time.perf_counter()
        source = database(Path(spec["built"]))  # as the app: PISTAS_DUCKDB_MEMORY/THREADS apply
    else:
        from bench import pandas_way as impl

        imported_rss = rss_mb()
        opened_at = time.perf_counter()
        source = impl.PandasData(Path(spec["built"]) / spec["version"])
    pages = ("overview", "routes", "data")
    ctx, states = _states(spec)
    # Cold start: the landing view (no parameters), Overview's whole query set.
    impl.run_page("overview", source, ViewState(), ctx)
    first_answer, first_answer_wall = time.perf_counter(), time.time()
    out: dict = {
        "approach": approach,
        "cold_start": {
            **_cold(spec, first_answer_wall, first_answer),
            "open_seconds": round(first_answer - opened_at, 4),
        },
        "rss_after_first_answer_mb": rss_mb(),
        "peak_rss_after_first_answer_mb": peak_rss_mb(),
        "rss_after_imports_mb": imported_rss,
        "pages": {p: [] for p in pages},
        "queries": {p: [] for p in pages},
    }
    for page in pages:  # warm-up: not counted (file cache, first plans, lazy imports)
        impl.run_page(page, source, ViewState(), ctx)
    answers: dict[int, dict] = {}
    for i, state in enumerate(states):
        answers[i] = {}
        for page in pages:
            seconds, timer = impl.run_page(page, source, state, ctx)
            out["pages"][page].append(seconds)
            out["queries"][page].append(timer.seconds)
            answers[i][page] = timer.results
    out["peak_rss_mb"] = peak_rss_mb()
    if approach == "duckdb":
        # The Map page last, so the peak above covers the same work as pandas does.
        out["pages"]["map"], out["queries"]["map"] = [], []
        impl.run_page("map", source, ViewState(), ctx)
        for state in states:
            seconds, timer = impl.run_page("map", source, state, ctx)
            out["pages"]["map"].append(seconds)
            out["queries"]["map"].append(timer.seconds)
        out["peak_rss_with_map_mb"] = peak_rss_mb()
    out["loadavg"] = {"before": load_before, "after": os.getloadavg()}
    out["answers_file"] = spec["out"] + ".answers.pickle"
    with open(out["answers_file"], "wb") as handle:
        pickle.dump(answers, handle)
    return out


class Sessions:
    """One AppTest per page and data folder, rerun for each view: a filter change in an open session.

    Reusing the session is what the app does on a filter change (a rerun with a new URL), and it
    keeps AppTest's one-off set-up (scanning installed packages for components) out of the timings.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.open: dict[tuple[str, str], object] = {}

    def run(self, script: str, query: dict[str, str], key: str = "") -> float:
        """Server time of one rerun of `script` with this URL; fails on any exception or error shown."""
        from streamlit.testing.v1 import AppTest

        from lib.paths import REPO_ROOT

        at = self.open.get((script, key))
        if at is None:
            at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=self.timeout)
            if script != "app.py":
                at.switch_page(script)
            self.open[(script, key)] = at
        at.query_params.clear()
        for name, value in query.items():
            at.query_params[name] = value
        started = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - started
        if at.exception or at.error:
            problems = [e.value for e in at.exception] + [e.value for e in at.error]
            raise SystemExit(f"{script} {query} failed: {problems}")
        return seconds

    def trivial(self) -> float:
        """A rerun of a page with a title and a line: AppTest's own cost per rerun."""
        from streamlit.testing.v1 import AppTest

        at = self.open.get(("trivial", ""))
        if at is None:
            at = self.open[("trivial", "")] = AppTest.from_string(TRIVIAL_PAGE, default_timeout=self.timeout)
            at.run()
        started = time.perf_counter()
        at.run()
        return time.perf_counter() - started


def run_apptest(spec: dict) -> dict:
    """Whole pages through Streamlit's AppTest: a new view per rerun (uncached), then the same again.

    A trivial page reruns once per view too, in between, so AppTest's own overhead is measured
    under the same machine load as the pages.
    """
    from bench.pagesets import APP_PAGES

    load_before = os.getloadavg()
    sessions = Sessions(spec.get("apptest_timeout", 600))
    version = spec["version"]
    cold = sessions.run("app.py", {"v": version})  # a new app process's first page: the landing view
    first_answer, first_answer_wall = time.perf_counter(), time.time()
    out: dict = {
        "approach": "apptest",
        "cold_start": {**_cold(spec, first_answer_wall, first_answer), "first_run_seconds": round(cold, 4)},
        "pages": {p: [] for p in APP_PAGES},
        "pages_cached": {p: [] for p in APP_PAGES},
        "trivial_page": [],
    }
    for script in APP_PAGES.values():  # open a session per page on the landing view (not counted)
        sessions.run(script, {"v": version})
    sessions.trivial()
    for query in spec["states"]:
        query = {**query, "v": version}  # the canonical URL: the page does not rewrite it
        out["trivial_page"].append(sessions.trivial())
        for page, script in APP_PAGES.items():
            out["pages"][page].append(sessions.run(script, query))
            out["pages_cached"][page].append(sessions.run(script, query))  # same view again: cache hits
    out["peak_rss_mb"] = peak_rss_mb()
    out["loadavg"] = {"before": load_before, "after": os.getloadavg()}
    return out


def run_apptest_sizes(spec: dict) -> dict:
    """The pages at every size side by side in one process: per view and page, each size in turn.

    Interleaving puts every size under the same machine load, so the growth from the smallest to
    the largest size is a ratio measured side by side (the per-size runs are minutes apart).
    """
    from bench.pagesets import APP_PAGES

    load_before = os.getloadavg()
    sessions = Sessions(spec.get("apptest_timeout", 600))
    sizes = spec["sizes"]
    out: dict = {"pages": {s["size"]: {p: [] for p in APP_PAGES} for s in sizes}, "trivial_page": []}
    for s in sizes:  # a session per size and page, opened on the landing view
        os.environ["PISTAS_DATA_DIR"] = s["data_dir"]
        for script in APP_PAGES.values():
            sessions.run(script, {"v": s["version"]}, key=s["size"])
    sessions.trivial()
    for i, query in enumerate(spec["states"]):
        out["trivial_page"].append(sessions.trivial())
        order = sizes[i % len(sizes) :] + sizes[: i % len(sizes)]  # rotate who goes first
        for page, script in APP_PAGES.items():
            for s in order:
                os.environ["PISTAS_DATA_DIR"] = s["data_dir"]
                seconds = sessions.run(script, {**query, "v": s["version"]}, key=s["size"])
                out["pages"][s["size"]][page].append(seconds)
    out["peak_rss_mb"] = peak_rss_mb()
    out["loadavg"] = {"before": load_before, "after": os.getloadavg()}
    return out


def main(argv: list[str]) -> int:
    kind, spec_path = argv
    spec = json.loads(Path(spec_path).read_text())
    os.environ["PISTAS_DATA_DIR"] = spec["data_dir"]
    if kind in ("duckdb", "pandas"):
        result = run_queries(spec, kind)
    elif kind == "apptest":
        result = run_apptest(spec)
    elif kind == "apptest-sizes":
        result = run_apptest_sizes(spec)
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
