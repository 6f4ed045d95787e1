"""Why is a query slow? Its SQL, timings and DuckDB's EXPLAIN ANALYZE for one view.

    python -m bench.explain QUERY [--size 10000000] [--view N | --default] [--repeat 5]

QUERY is a page query name as in bench.pagesets (kpis_simulated, reported_facts, events_page, …).
The view is the N-th random view of the benchmark (same seed) or the default view. The SQL is
captured from lib.queries as it runs (each statement of the query), then each statement is
timed `--repeat` times and profiled once with EXPLAIN ANALYZE on the benchmark's data.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

from bench import pagesets
from bench.datasets import BENCH_DATA
from bench.states import random_states
from lib import queries as q
from lib.db import database
from lib.state import ViewState


@contextmanager
def capture():
    """Record (sql, bound params) of every statement lib.queries runs inside the block."""
    seen: list[tuple[str, dict]] = []
    df, scalar = q._df, q._scalar

    def rec_df(db, sql, params):
        seen.append((sql, q._bound(sql, params)))
        return df(db, sql, params)

    def rec_scalar(db, sql, params):
        seen.append((sql, q._bound(sql, params)))
        return scalar(db, sql, params)

    q._df, q._scalar = rec_df, rec_scalar
    try:
        yield seen
    finally:
        q._df, q._scalar = df, scalar


def statements(db, page: str, query: str, state: ViewState, ctx) -> list[tuple[str, dict]]:
    """The statements `query` runs for this view (by running its page with capture on)."""
    run = pagesets.Timer()
    captured: list[tuple[str, dict]] = []

    def only(name, fn, *args, **kwargs):
        if name != query:
            return run(name, fn, *args, **kwargs)
        with capture() as seen:
            value = run(name, fn, *args, **kwargs)
        captured.extend(seen)
        return value

    pagesets.PAGE_FUNCTIONS[page](db, state, ctx, only)
    return captured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("query")
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--data-root", type=Path, default=BENCH_DATA)
    parser.add_argument("--view", type=int, default=0, help="index of the benchmark's random view")
    parser.add_argument("--default", action="store_true", help="the default view instead")
    parser.add_argument("--states", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    db = database(args.data_root / str(args.size) / "built")
    ctx = q.data_context(db)
    state = ViewState() if args.default else random_states(ctx, args.states, args.seed)[args.view]
    page = next((p for p, names in PAGE_QUERIES.items() if args.query in names), None)
    if page is None:
        raise SystemExit(
            f"unknown query {args.query!r}; one of {sorted(n for v in PAGE_QUERIES.values() for n in v)}"
        )
    print(f"view: {state.to_query() or '(default)'}")
    for sql, params in statements(db, page, args.query, state, ctx):
        print("\n" + "=" * 100 + f"\n{sql.strip()}\nparams: {params}")
        with db.cursor() as (cur, _version):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                cur.execute(sql, params).fetchall()
                times.append(time.perf_counter() - started)
            print(
                f"median {statistics.median(times) * 1000:.1f} ms over {args.repeat} runs "
                f"(min {min(times) * 1000:.1f})"
            )
            plan = cur.execute("EXPLAIN ANALYZE " + sql, params).fetchall()
            print(plan[0][1])
    return 0


PAGE_QUERIES = {
    "overview": ("kpis_simulated", "reported_facts", "events_by_month", "policies_in_range"),
    "routes": ("route_counts_by_area_month", "route_shares_by_month_of_year", "route_share_estimates"),
    "data": ("events_count", "events_page", "sources_for_view"),
    "map": ("events_by_region", "events_for_map", "located_events_count"),
}

if __name__ == "__main__":
    raise SystemExit(main())
