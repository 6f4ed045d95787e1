"""The queries each page makes for one view, called directly on lib.queries (no Streamlit, no cache).

Each function mirrors its page file (app.py, pages/1_Routes.py, pages/4_Data.py, pages/2_Map.py)
in what it asks and when, and returns {query name: result} plus {query name: seconds}. The
footer's `sources_count` and setup's `data_context` are left out: the app caches them per data
version, so a filter change never runs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lib import queries as q
from lib.db import Database
from lib.state import Context, ViewState

PAGES = ("overview", "routes", "data", "map")
# Pages also run whole through AppTest, and their script.
APP_PAGES = {"overview": "app.py", "routes": "pages/1_Routes.py", "data": "pages/4_Data.py"}
# Pages also done the pandas way (the map's sample uses DuckDB's hash(): not reproducible in pandas).
PANDAS_PAGES = ("overview", "routes", "data")


class Timer:
    """Calls named steps, keeping each one's result and wall time."""

    def __init__(self) -> None:
        self.results: dict[str, object] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, fn: Callable, *args, **kwargs):
        started = time.perf_counter()
        value = fn(*args, **kwargs)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        self.results[name] = value
        return value


def overview(db: Database, state: ViewState, ctx: Context, run: Timer) -> None:
    f = q.filters_for(state, ctx)
    provs = state.provenances()
    # The story first (lib.story.story): simulated flights by area, or the reported flight rates.
    if "simulated" in provs:
        run("events_by_month", q.events_by_month, db, f, by="area", event_type="flight_detected")  # adds up
        run("kpis_simulated", q.kpis, db, f, "simulated")
    else:
        run("flight_rate_estimates", q.flight_rate_estimates, db, f)
    # reported_facts is asked twice by app.py (KPIs, chart) with the same key: once is enough.
    # (The reported KPIs are the count of these rows and their sources: no kpis(…, "reported").)
    run("reported_facts", q.reported_facts, db, f)
    if state.data != "reported":  # with data=reported the explorer draws reported_facts by year
        run("events_by_month", q.events_by_month, db, f, by=state.by, event_type=state.metric)
        run("policies_in_range", q.policies_in_range, db, f.first_month, f.last_day)


def routes(db: Database, state: ViewState, ctx: Context, run: Timer) -> None:
    f = q.filters_for(state, ctx)
    shares = run("route_counts_by_area_month", q.route_counts_by_area_month, db, f)
    if not shares.empty:  # the page draws the seasonal profile only under a non-empty chart
        run("route_shares_by_month_of_year", q.route_shares_by_month_of_year, db, f)
    run("route_share_estimates", q.route_share_estimates, db)


def data(db: Database, state: ViewState, ctx: Context, run: Timer) -> None:
    f = q.filters_for(state, ctx)
    total = run("events_count", q.events_count, db, f)
    pages = max(1, -(-total // q.PAGE_SIZE))
    run("events_page", q.events_page, db, f, min(state.page, pages))
    run("sources_for_view", q.sources_for_view, db, f)


def map_page(db: Database, state: ViewState, ctx: Context, run: Timer) -> None:
    """The map with its default shading (events by region), points and the "shown of N" caption."""
    f = q.filters_for(state, ctx)
    run("events_by_region", q.events_by_region, db, f)
    run("events_for_map", q.events_for_map, db, f)
    run("located_events_count", q.located_events_count, db, f)


PAGE_FUNCTIONS = {"overview": overview, "routes": routes, "data": data, "map": map_page}


def run_page(page: str, db: Database, state: ViewState, ctx: Context) -> tuple[float, Timer]:
    """All of a page's queries for one view: (total seconds, the timer with each query's result)."""
    run = Timer()
    started = time.perf_counter()
    PAGE_FUNCTIONS[page](db, state, ctx, run)
    return time.perf_counter() - started, run
