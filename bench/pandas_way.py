"""The same page queries done "the usual Streamlit way": read every event into one DataFrame, then
boolean masks and groupby per view. Each view takes only the columns it needs after the mask
(`df.loc[mask, cols]`), as a careful pandas user would: a fair baseline, not a straw man.

This is what a typical Streamlit app does (`@st.cache_data def load(): return pd.read_parquet(...)`):
the whole events table lives in the process, derived columns are added once at load (month,
the strip rebuild delays), and each filter change scans it again. Results must equal lib.queries'
(bench.compare checks), so the semantics below follow the SQL exactly:

- KPIs and monthly series count events whose `date_precision` is not 'period' (what the rollup
  holds), by month of `date`;
- the rows behind a view are those whose [date, date_end] overlaps the view's months;
- place filters match an event's area or its region; empty filter lists mean "all";
- SQL NULL semantics: a NULL never matches a filter, sum() of only NULLs is NULL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from lib.queries import GROUP_COLUMNS, PAGE_SIZE, Filters, Kpis, filters_for
from lib.schema import EVENT_COLUMNS
from lib.state import Context, ViewState


class PandasData:
    """Every event in memory, plus the small sourced tables."""

    def __init__(self, folder: Path):
        events = pd.read_parquet(folder / "events")  # hive partitions: adds `year`
        for col in ("date", "date_end"):
            events[col] = pd.to_datetime(events[col])
        events["month"] = events["date"].dt.to_period("M").dt.to_timestamp()
        self.events = events
        self.sources = pd.read_parquet(folder / "sources.parquet")
        policies = pd.read_parquet(folder / "policies.parquet")
        policies["date"] = pd.to_datetime(policies["date"])
        self.policies = policies
        self.route_shares = pd.read_parquet(folder / "route_shares.parquet")
        self.flight_estimates = pd.read_parquet(folder / "flight_estimates.parquet")
        self.strips = strip_cycles(events)


def strip_cycles(events: pd.DataFrame) -> pd.DataFrame:
    """One row per destruction with the days until the strip was next rebuilt (merge_asof)."""
    has_id = events["airstrip_id"].notna()
    destroyed = events.loc[
        has_id & (events["event_type"] == "airstrip_destroyed"),
        ["airstrip_id", "date", "month", "area", "region", "provenance"],
    ]
    rebuilt = events.loc[has_id & (events["event_type"] == "airstrip_rebuilt"), ["airstrip_id", "date"]]
    rebuilt = rebuilt.rename(columns={"date": "rebuilt_date"})
    joined = pd.merge_asof(
        destroyed.sort_values("date"),
        rebuilt.sort_values("rebuilt_date"),
        left_on="date",
        right_on="rebuilt_date",
        by="airstrip_id",
        direction="forward",
        allow_exact_matches=True,
    )
    joined["days_to_rebuild"] = (joined["rebuilt_date"] - joined["date"]).dt.days
    return joined.drop(columns="rebuilt_date")


# ---- masks ---------------------------------------------------------------------------------
def _match(df: pd.DataFrame, f: Filters) -> np.ndarray:
    mask = df["provenance"].isin(f.provenances).to_numpy()
    if f.places:
        mask = mask & (df["area"].isin(f.places) | df["region"].isin(f.places)).to_numpy()
    if f.types:
        mask = mask & df["event_type"].isin(f.types).to_numpy()
    if f.routes:
        mask = mask & df["route"].isin(f.routes).to_numpy()
    return mask


def _monthly(data: PandasData, f: Filters, columns: list[str]) -> pd.DataFrame:
    """The events the rollup would count for this view (no period reports, months in range)."""
    ev = data.events
    first, last = pd.Timestamp(f.first_month), pd.Timestamp(f.last_month)
    precision = ev["date_precision"]
    mask = (precision.notna() & (precision != "period")).to_numpy()
    mask = mask & ((ev["month"] >= first) & (ev["month"] <= last)).to_numpy()
    mask = mask & _match(ev, f)
    return ev.loc[mask, columns]


def _overlapping(data: PandasData, f: Filters, columns: list[str]) -> pd.DataFrame:
    """The rows behind the view: events whose period overlaps the view's months."""
    ev = data.events
    mask = (
        (ev["date"] <= pd.Timestamp(f.last_day)) & (ev["date_end"] >= pd.Timestamp(f.first_month))
    ).to_numpy()
    mask = mask & _match(ev, f)
    return ev.loc[mask, columns]


def _sum(series: pd.Series):
    """SQL sum(): NULL when every value is NULL."""
    return series.sum(min_count=1)


# ---- Overview ------------------------------------------------------------------------------
def kpis(data: PandasData, f: Filters, provenance: str) -> Kpis:
    rows = _monthly(data, replace(f, provenances=(provenance,)), ["event_type", "count", "quantity_kg"])
    totals = rows.groupby("event_type").agg(
        n=("count", "sum"), kg=("quantity_kg", _sum), n_rows=("count", "size")
    )
    s = data.strips
    first, last = pd.Timestamp(f.first_month), pd.Timestamp(f.last_month)
    mask = ((s["month"] >= first) & (s["month"] <= last)).to_numpy() & (
        s["provenance"] == provenance
    ).to_numpy()
    if f.places:
        mask = mask & (s["area"].isin(f.places) | s["region"].isin(f.places)).to_numpy()
    strips = s[mask]
    repeat = int((strips.groupby("airstrip_id").size() > 1).sum())
    median_days = strips["days_to_rebuild"].median()

    def in_view(event_type: str) -> bool:  # as lib.queries.kpis
        type_ok = not f.types or event_type in f.types
        route_ok = not f.routes or event_type == "seizure" or "air" in f.routes
        return type_ok and route_ok

    def total(event_type: str, column: str = "n"):
        if not in_view(event_type):
            return None
        value = totals[column].get(event_type, 0)
        return int(value or 0) if column == "n" else float(value or 0)

    strips_in_view = in_view("airstrip_destroyed")
    return Kpis(
        airstrips_destroyed=total("airstrip_destroyed"),
        strips_destroyed_more_than_once=repeat if strips_in_view else None,
        median_days_to_rebuild=None if not strips_in_view or pd.isna(median_days) else float(median_days),
        flights_detected=total("flight_detected"),
        aircraft_interdicted=total("aircraft_interdicted"),
        seizures=total("seizure"),
        seized_kg=total("seizure", "kg"),
        records=int(totals["n_rows"].sum()) if len(totals) else 0,
    )


def events_by_month(data: PandasData, f: Filters, by: str, event_type: str) -> pd.DataFrame:
    if by not in GROUP_COLUMNS:
        raise ValueError(by)
    rows = _monthly(data, replace(f, types=(event_type,)), ["month", by, "provenance", "count"])
    grouped = (
        rows.assign(group=rows[by].fillna("(none)"))
        .groupby(["month", "group", "provenance"], dropna=False)["count"]
        .sum()
        .reset_index(name="n")
    )
    return grouped.sort_values(["month", "group", "provenance"], ignore_index=True)


def reported_facts(data: PandasData, f: Filters) -> pd.DataFrame:
    cols = [
        "event_id",
        "date",
        "date_end",
        "date_precision",
        "area",
        "region",
        "event_type",
        "count",
        "quantity_kg",
        "notes",
        "source_id",
    ]
    rows = _overlapping(data, replace(f, provenances=("reported",)), cols)
    src = data.sources[["source_id", "title", "publisher", "url"]].rename(
        columns={"title": "source_title", "publisher": "source_publisher", "url": "source_url"}
    )
    out = rows[cols].merge(src, on="source_id", how="left").drop(columns="source_id")
    return out.sort_values(["date", "event_id"], ignore_index=True)


def policies_in_range(data: PandasData, first, last) -> pd.DataFrame:
    p = data.policies
    p = p[(p["date"] >= pd.Timestamp(first)) & (p["date"] <= pd.Timestamp(last))]
    src = data.sources[["source_id", "title", "url"]].rename(
        columns={"title": "source_title", "url": "source_url"}
    )
    out = p[["policy_id", "date", "kind", "title_es", "title_en", "scope", "source_id"]].merge(
        src, on="source_id", how="left"
    )
    return out.drop(columns="source_id").sort_values("date", ignore_index=True, kind="stable")


# ---- Routes --------------------------------------------------------------------------------
def _route_rows(data: PandasData, f: Filters) -> pd.DataFrame:
    rows = _monthly(data, replace(f, types=("seizure",)), ["month", "area", "route", "count"])
    return rows[rows["route"].notna()]


def _with_share(grouped: pd.DataFrame, within: list[str]) -> pd.DataFrame:
    totals = grouped.groupby(within, dropna=False)["n"].transform("sum")
    return grouped.assign(share=grouped["n"] / totals)


def route_counts_by_area_month(data: PandasData, f: Filters) -> pd.DataFrame:
    rows = _route_rows(data, f)
    grouped = rows.groupby(["month", "area", "route"], dropna=False)["count"].sum().reset_index(name="n")
    return _with_share(grouped, ["month", "area"]).sort_values(["month", "area", "route"], ignore_index=True)


def route_shares_by_month_of_year(data: PandasData, f: Filters) -> pd.DataFrame:
    rows = _route_rows(data, f)
    rows = rows.assign(month_of_year=rows["month"].dt.month)
    grouped = (
        rows.groupby(["area", "month_of_year", "route"], dropna=False)["count"].sum().reset_index(name="n")
    )
    return _with_share(grouped, ["area", "month_of_year"]).sort_values(
        ["area", "month_of_year", "route"], ignore_index=True
    )


def route_share_estimates(data: PandasData) -> pd.DataFrame:
    src = data.sources[["source_id", "title", "publisher", "url"]].rename(
        columns={"title": "source_title", "publisher": "source_publisher", "url": "source_url"}
    )
    out = data.route_shares.merge(src, on="source_id", how="left")
    return out.sort_values(["period_start", "area", "route"], ignore_index=True, kind="stable")


def flight_rate_estimates(data: PandasData, f: Filters) -> pd.DataFrame:
    fe = data.flight_estimates.copy()
    end = pd.to_datetime(fe["period_end"], errors="coerce")
    start = pd.to_datetime(fe["period_start"], errors="coerce").fillna(end)
    keep = (start <= pd.Timestamp(f.last_day)) & (end >= pd.Timestamp(f.first_month))
    if f.places:
        keep &= fe["area"].isin(f.places)
    fe["period_start"], fe["period_end"] = start, end
    fe = fe[keep]
    src = data.sources[["source_id", "title", "url"]].rename(
        columns={"title": "source_title", "url": "source_url"}
    )
    out = fe.merge(src, on="source_id", how="left")
    out["rate_low"], out["rate_high"] = out["rate_low"].astype(float), out["rate_high"].astype(float)
    cols = [
        "estimate_id",
        "fact_id",
        "period",
        "period_start",
        "period_end",
        "area",
        "rate_low",
        "rate_high",
        "per",
        "what",
        "source_title",
        "source_url",
    ]
    return out.sort_values(["period_start", "estimate_id"], ignore_index=True)[cols]


# ---- Data ----------------------------------------------------------------------------------
def events_count(data: PandasData, f: Filters) -> int:
    return len(_overlapping(data, f, ["event_id"]))


def events_page(data: PandasData, f: Filters, page: int) -> pd.DataFrame:
    keys = _overlapping(data, f, ["date", "event_id"]).sort_values(["date", "event_id"])
    start = (max(page, 1) - 1) * PAGE_SIZE
    return data.events.loc[keys.index[start : start + PAGE_SIZE], list(EVENT_COLUMNS)].reset_index(drop=True)


def sources_for_view(data: PandasData, f: Filters) -> pd.DataFrame:
    rows = _overlapping(data, f, ["source_id"])
    cited = rows.merge(
        data.sources[["source_id", "title", "publisher", "date", "url"]], on="source_id", how="inner"
    )
    out = cited.groupby(["source_id", "title", "publisher", "date", "url"], dropna=False).size()
    out = out.reset_index(name="rows_cited")
    return out.sort_values(["date", "title"], ignore_index=True)


# ---- the page sets (same names as bench.pagesets) ------------------------------------------
def overview(data: PandasData, state: ViewState, ctx: Context, run: Callable) -> None:
    f, provs = filters_for(state, ctx), state.provenances()
    if "simulated" in provs:
        run("events_by_month", events_by_month, data, f, by="area", event_type="flight_detected")  # the story
        run("kpis_simulated", kpis, data, f, "simulated")
    else:
        run("flight_rate_estimates", flight_rate_estimates, data, f)
    run("reported_facts", reported_facts, data, f)
    if state.data != "reported":
        run("events_by_month", events_by_month, data, f, by=state.by, event_type=state.metric)
        run("policies_in_range", policies_in_range, data, f.first_month, f.last_day)


def routes(data: PandasData, state: ViewState, ctx: Context, run: Callable) -> None:
    f = filters_for(state, ctx)
    shares = run("route_counts_by_area_month", route_counts_by_area_month, data, f)
    if not shares.empty:
        run("route_shares_by_month_of_year", route_shares_by_month_of_year, data, f)
    run("route_share_estimates", route_share_estimates, data)


def data_page(data: PandasData, state: ViewState, ctx: Context, run: Callable) -> None:
    f = filters_for(state, ctx)
    total = run("events_count", events_count, data, f)
    pages = max(1, -(-total // PAGE_SIZE))
    run("events_page", events_page, data, f, min(state.page, pages))
    run("sources_for_view", sources_for_view, data, f)


PAGE_FUNCTIONS = {"overview": overview, "routes": routes, "data": data_page}


def run_page(page: str, data: PandasData, state: ViewState, ctx: Context):
    from bench.pagesets import Timer

    run = Timer()
    started = time.perf_counter()
    PAGE_FUNCTIONS[page](data, state, ctx, run)
    return time.perf_counter() - started, run
