"""Named queries, one per question the pages ask. All SQL of the project lives here.

Every user value reaches SQL as a bound parameter (`$name`); the only identifiers chosen at
run time (a grouping column, a sort order) come from allow-lists in this module. Each
function takes a `Database` and plain values and returns a pandas DataFrame (or a small
dataclass), so it can be tested without Streamlit and cached by the caller.

Charts read the monthly rollup (cost independent of the number of events); tables, maps
and exports read the event files with bounds.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lib.db import Database
from lib.schema import EVENT_COLUMNS
from lib.state import Context, ViewState, period_end

GROUP_COLUMNS = ("area", "region", "event_type", "route", "provenance")
MAP_POINT_LIMIT = 10_000
EXPORT_ROW_LIMIT = 1_000_000
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """The part of a view that selects rows, in the form SQL needs."""

    first_month: date  # first day of the first month
    last_month: date  # first day of the last month
    places: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    provenances: tuple[str, ...] = ("reported", "simulated")

    @property
    def last_day(self) -> date:
        days = calendar.monthrange(self.last_month.year, self.last_month.month)[1]
        return self.last_month.replace(day=days)

    def params(self) -> dict[str, object]:
        return {
            "first_month": self.first_month,
            "last_month": self.last_month,
            "last_day": self.last_day,
            "places": list(self.places),
            "types": list(self.types),
            "routes": list(self.routes),
            "provenances": list(self.provenances),
        }


def month_date(month: str) -> date:
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)


def filters_for(state: ViewState, context: Context) -> Filters:
    return Filters(
        first_month=month_date(state.start),
        last_month=month_date(period_end(state, context)),
        places=state.areas,
        types=state.types,
        routes=state.routes,
        provenances=state.provenances(),
    )


# Shared WHERE fragments. Empty lists mean "all"; lists are cast so an empty one has a type.
def _match(t: str = "") -> str:
    """Place, type, route and provenance filters on columns of table alias `t` ('' or 'e.')."""
    return f"""
    (len($places::VARCHAR[]) = 0 OR list_contains($places::VARCHAR[], {t}area)
        OR list_contains($places::VARCHAR[], {t}region))
    AND (len($types::VARCHAR[]) = 0 OR list_contains($types::VARCHAR[], {t}event_type))
    AND (len($routes::VARCHAR[]) = 0 OR list_contains($routes::VARCHAR[], {t}route))
    AND list_contains($provenances::VARCHAR[], {t}provenance)
"""


ROLLUP_WHERE = f"month BETWEEN $first_month AND $last_month AND {_match()}"
# strip_cycles rows are destructions (route air): type and route filters are applied in Python.
STRIPS_WHERE = """month BETWEEN $first_month AND $last_month
    AND (len($places::VARCHAR[]) = 0 OR list_contains($places::VARCHAR[], area)
        OR list_contains($places::VARCHAR[], region))
    AND list_contains($provenances::VARCHAR[], provenance)"""
# An event is in view when its period overlaps the view's period. Always alias events as `e`.
EVENTS_WHERE = (
    "e.date <= $last_day AND e.date_end >= $first_month AND e.year <= year($last_day) AND " + _match("e.")
)


_PARAM_RE = re.compile(r"\$([a-z_]+)")


def _bound(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the parameters the statement names (DuckDB rejects unused ones)."""
    return {name: params[name] for name in set(_PARAM_RE.findall(sql))}


def _df(db: Database, sql: str, params: dict[str, object]) -> pd.DataFrame:
    with db.cursor() as (cur, _version):
        return cur.execute(sql, _bound(sql, params)).df()


def _scalar(db: Database, sql: str, params: dict[str, object]):
    with db.cursor() as (cur, _version):
        return cur.execute(sql, _bound(sql, params)).fetchone()[0]


# ---- bounds and vocabulary ----------------------------------------------------------------
def data_context(db: Database) -> Context:
    """Month range of the monthly data and the known policy ids."""
    with db.cursor() as (cur, _version):
        first, last = cur.execute("SELECT min(month), max(month) FROM rollup").fetchone()
        policies = tuple(r[0] for r in cur.execute("SELECT policy_id FROM policies ORDER BY date").fetchall())
    if first is None:
        first = last = date.today().replace(day=1)
    return Context(first.strftime("%Y-%m"), last.strftime("%Y-%m"), policies or ("law-30339",))


# ---- KPIs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpis:
    """Headline figures for one provenance in the view. None: not in view (type filtered out)."""

    airstrips_destroyed: int | None
    strips_destroyed_more_than_once: int | None
    median_days_to_rebuild: float | None
    flights_detected: int | None
    aircraft_interdicted: int | None
    seizures: int | None
    seized_kg: float | None
    records: int


def kpis(db: Database, f: Filters, provenance: str) -> Kpis:
    """KPIs for one provenance (reported and simulated are never summed together)."""
    params = {**f.params(), "provenances": [provenance]}
    totals = _df(
        db,
        f"""SELECT event_type, sum(n) AS n, sum(kg) AS kg, sum(n_rows) AS n_rows
            FROM rollup WHERE {ROLLUP_WHERE} GROUP BY event_type""",
        params,
    ).set_index("event_type")
    strips = _df(
        db,
        f"""SELECT count(*) FILTER (WHERE prev_month >= $first_month
                                      AND (prev2_month IS NULL OR prev2_month < $first_month))
                       AS repeat_strips,
                   median(days_to_rebuild) AS median_days
            FROM strip_cycles WHERE {STRIPS_WHERE}""",
        params,
    ).iloc[0]

    def in_view(event_type: str) -> bool:
        type_ok = not f.types or event_type in f.types
        route_ok = not f.routes or event_type == "seizure" or "air" in f.routes
        return type_ok and route_ok

    def total(event_type: str, column: str = "n"):
        if not in_view(event_type):
            return None
        return (
            int(totals[column].get(event_type, 0) or 0)
            if column == "n"
            else float(totals[column].get(event_type, 0) or 0)
        )

    strips_in_view = in_view("airstrip_destroyed")
    median_days = strips["median_days"] if strips_in_view else None
    return Kpis(
        airstrips_destroyed=total("airstrip_destroyed"),
        strips_destroyed_more_than_once=int(strips["repeat_strips"]) if strips_in_view else None,
        median_days_to_rebuild=None if median_days is None or pd.isna(median_days) else float(median_days),
        flights_detected=total("flight_detected"),
        aircraft_interdicted=total("aircraft_interdicted"),
        seizures=total("seizure"),
        seized_kg=total("seizure", "kg"),
        records=int(totals["n_rows"].sum()) if len(totals) else 0,
    )


# ---- time series --------------------------------------------------------------------------
def events_by_month(
    db: Database, f: Filters, by: str = "area", event_type: str | None = None
) -> pd.DataFrame:
    """Monthly event counts grouped by `by` (area, region, event_type, route) and provenance."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; choose one of {GROUP_COLUMNS}")
    params = f.params()
    if event_type is not None:
        params["types"] = [event_type]
    return _df(
        db,
        f"""SELECT month, coalesce({by}, '(none)') AS "group", provenance, sum(n) AS n
            FROM rollup WHERE {ROLLUP_WHERE}
            GROUP BY ALL ORDER BY month, "group", provenance""",
        params,
    )


def monthly_counts_by_area(
    db: Database, f: Filters, event_type: str, route: str | None = None
) -> pd.DataFrame:
    """month, area, n for one event type (and route): the input of lib.impact."""
    params = {**f.params(), "types": [event_type]}
    if route is not None:
        params["routes"] = [route]
    return _df(
        db,
        f"""SELECT month, area, sum(n)::DOUBLE AS n FROM rollup
            WHERE {ROLLUP_WHERE} GROUP BY ALL ORDER BY month, area""",
        params,
    )


def provenance_months(db: Database, provenance: str) -> tuple[date, date] | None:
    """First and last month that rows of one provenance cover (the span an impact model may zero-fill)."""
    found = _df(
        db,
        "SELECT min(month) AS first, max(month) AS last FROM rollup WHERE provenance = $p",
        {"p": provenance},
    )
    if found.empty or pd.isna(found["first"].iloc[0]):
        return None
    return (pd.Timestamp(found["first"].iloc[0]).date(), pd.Timestamp(found["last"].iloc[0]).date())


def route_counts_by_area_month(db: Database, f: Filters) -> pd.DataFrame:
    """Seizures by month, area and route, with each route's share of its area-month."""
    params = {**f.params(), "types": ["seizure"]}
    return _df(
        db,
        f"""SELECT month, area, route, sum(n) AS n,
                   sum(n) / sum(sum(n)) OVER (PARTITION BY month, area) AS share
            FROM rollup WHERE {ROLLUP_WHERE} AND route IS NOT NULL
            GROUP BY month, area, route ORDER BY month, area, route""",
        params,
    )


def route_shares_by_month_of_year(db: Database, f: Filters) -> pd.DataFrame:
    """Route shares of seizures by area and calendar month (the rainy-season profile)."""
    params = {**f.params(), "types": ["seizure"]}
    return _df(
        db,
        f"""SELECT area, month(month) AS month_of_year, route, sum(n) AS n,
                   sum(n) / sum(sum(n)) OVER (PARTITION BY area, month(month)) AS share
            FROM rollup WHERE {ROLLUP_WHERE} AND route IS NOT NULL
            GROUP BY area, month_of_year, route ORDER BY area, month_of_year, route""",
        params,
    )


# ---- sourced tables -----------------------------------------------------------------------
def reported_facts(db: Database, f: Filters) -> pd.DataFrame:
    """Reported events overlapping the view, with their source (for sourced markers)."""
    params = {**f.params(), "provenances": ["reported"]}
    return _df(
        db,
        f"""SELECT e.event_id, e.date, e.date_end, e.date_precision, e.area, e.region,
                   e.event_type, e."count", e.quantity_kg, e.notes,
                   s.title AS source_title, s.publisher AS source_publisher, s.url AS source_url
            FROM cited e LEFT JOIN sources s USING (source_id)
            WHERE {EVENTS_WHERE}
            ORDER BY e.date, e.event_id""",
        params,
    )


def policies_in_range(db: Database, first: date, last: date) -> pd.DataFrame:
    """Policies dated within [first, last], with their source."""
    return _df(
        db,
        """SELECT p.policy_id, p.date::DATE AS date, p.kind, p.title_es, p.title_en, p.scope,
                  s.title AS source_title, s.url AS source_url
           FROM policies p LEFT JOIN sources s USING (source_id)
           WHERE p.date::DATE BETWEEN $first AND $last ORDER BY p.date""",
        {"first": first, "last": last},
    )


def policy_date(db: Database, policy_id: str) -> date | None:
    found = _df(db, "SELECT date::DATE AS date FROM policies WHERE policy_id = $id", {"id": policy_id})
    return pd.Timestamp(found["date"].iloc[0]).date() if len(found) else None


def all_policies(db: Database) -> pd.DataFrame:
    return _df(
        db, "SELECT policy_id, date::DATE AS date, kind, title_es, title_en FROM policies ORDER BY date", {}
    )


def route_share_estimates(db: Database) -> pd.DataFrame:
    """Every reported route-share estimate with its source; conflicting ones stay separate."""
    return _df(
        db,
        """SELECT r.*, s.title AS source_title, s.publisher AS source_publisher, s.url AS source_url
           FROM route_shares r LEFT JOIN sources s USING (source_id)
           ORDER BY r.period_start, r.area, r.route""",
        {},
    )


def coca_by_region_year(db: Database, year: int) -> pd.DataFrame:
    """Coca hectares by department for one year (DEVIDA series only: never mixed with others)."""
    return _df(
        db,
        """SELECT geography AS region, hectares FROM coca
           WHERE level = 'department' AND year = $year AND series = 'DEVIDA'""",
        {"year": year},
    )


def sources_count(db: Database) -> int:
    return _scalar(db, "SELECT count(*) FROM sources", {})


def regions(db: Database) -> pd.DataFrame:
    return _df(db, "SELECT * FROM regions ORDER BY ubigeo", {})


# ---- rows behind the view -----------------------------------------------------------------
_EVENT_SELECT = ", ".join(f'e."{c}"' for c in EVENT_COLUMNS)


def events_count(db: Database, f: Filters) -> int:
    return _scalar(db, f"SELECT count(*) FROM events e WHERE {EVENTS_WHERE}", f.params())


def events_page(db: Database, f: Filters, page: int, page_size: int = PAGE_SIZE) -> pd.DataFrame:
    """One page of the events in view, by date then id (stable across reruns)."""
    return _events_from(db, f, (max(page, 1) - 1) * page_size, page_size)


def events_slice(db: Database, f: Filters, offset: int, limit: int) -> pd.DataFrame:
    """`limit` events in view from the `offset`-th, by date then id (the data URLs page with it)."""
    return _events_from(db, f, offset, limit)


def _events_from(db: Database, f: Filters, offset: int, limit: int) -> pd.DataFrame:
    params = {**f.params(), "limit": limit, "offset": offset}
    return _df(
        db,
        f"""SELECT {_EVENT_SELECT} FROM events e WHERE {EVENTS_WHERE}
            ORDER BY e.date, e.event_id LIMIT $limit OFFSET $offset""",
        params,
    )


def events_for_export(db: Database, f: Filters, limit: int = EXPORT_ROW_LIMIT) -> pd.DataFrame:
    """Exactly the rows behind the view, in schema order (bounded)."""
    params = {**f.params(), "limit": limit}
    return _df(
        db,
        f"""SELECT {_EVENT_SELECT} FROM events e WHERE {EVENTS_WHERE}
            ORDER BY e.date, e.event_id LIMIT $limit""",
        params,
    )


def sources_for_view(db: Database, f: Filters) -> pd.DataFrame:
    """The sources cited by the rows in view (title, publisher, date, link)."""
    return _df(
        db,
        f"""SELECT s.source_id, s.title, s.publisher, s.date, s.url, count(*) AS rows_cited
            FROM cited e JOIN sources s USING (source_id)
            WHERE {EVENTS_WHERE}
            GROUP BY ALL ORDER BY s.date, s.title""",
        f.params(),
    )


def events_for_map(db: Database, f: Filters, limit: int = MAP_POINT_LIMIT) -> pd.DataFrame:
    """Located events in view, a repeatable sample of at most `limit`, with strip history."""
    params = {**f.params(), "limit": limit}
    return _df(
        db,
        f"""WITH sample AS MATERIALIZED (
                -- map_points is stored in a fixed pseudo-random order (hash of the id): the
                -- first N matching rows are a repeatable sample, and a broad view stops early.
                SELECT e.event_id, e.date, e.lat, e.lon, e.event_type, e.route, e."count",
                       e.provenance, e.airstrip_id, e.area, e.region, e.place, e.source_id
                FROM map_points e WHERE {EVENTS_WHERE}
                LIMIT $limit
            ),
            strips AS (
                SELECT airstrip_id, count(*) AS times_destroyed,
                       median(days_to_rebuild) AS days_to_rebuild
                FROM strip_cycles
                WHERE airstrip_id IN (SELECT airstrip_id FROM sample WHERE airstrip_id IS NOT NULL)
                GROUP BY airstrip_id
            )
            SELECT sample.*, coalesce(strips.times_destroyed, 0) AS times_destroyed,
                   strips.days_to_rebuild, src.title AS source_title
            FROM sample LEFT JOIN strips USING (airstrip_id)
            LEFT JOIN sources src ON src.source_id = sample.source_id
            ORDER BY sample.date""",
        params,
    )


def events_by_region(db: Database, f: Filters) -> pd.DataFrame:
    """Event counts by region in view (for the region layer)."""
    return _df(
        db,
        f"""SELECT region, sum(n) AS n FROM rollup
            WHERE {ROLLUP_WHERE} AND region IS NOT NULL GROUP BY region ORDER BY region""",
        f.params(),
    )


def located_events_count(db: Database, f: Filters) -> int:
    """How many events in view have coordinates (the map says when it shows a sample)."""
    return _scalar(
        db,
        f"SELECT count(*) FROM map_points e WHERE {EVENTS_WHERE}",
        f.params(),
    )


def coca_years(db: Database) -> list[int]:
    """Years with DEVIDA coca hectares by department."""
    found = _df(
        db,
        "SELECT DISTINCT year FROM coca WHERE level = 'department' AND series = 'DEVIDA' ORDER BY year",
        {},
    )
    return [int(y) for y in found["year"]]


def uploaded_by_month(
    db: Database, f: Filters, uploaded: pd.DataFrame, include_builtin: bool
) -> pd.DataFrame:
    """Monthly counts of a session's uploaded rows by area, optionally beside the built-in data.

    The upload is registered on this query's own cursor only: no other session, and no file,
    ever sees it.
    """
    rows = uploaded[["date", "area", "region", "event_type", "route", "count"]].copy()
    rows["date"] = pd.to_datetime(rows["date"])
    params = {**f.params(), "include": include_builtin}
    sql = f"""
        WITH up AS (
            SELECT date_trunc('month', date)::DATE AS month, area, region, event_type, route,
                   'uploaded' AS provenance, sum("count")::DOUBLE AS n
            FROM session_upload GROUP BY ALL
        ),
        builtin AS (
            SELECT month, area, region, event_type, route, provenance, n::DOUBLE AS n
            FROM rollup WHERE $include AND {ROLLUP_WHERE}
        )
        SELECT month, coalesce(area, '(none)') AS "group", provenance, sum(n) AS n
        FROM (SELECT * FROM up WHERE month BETWEEN $first_month AND $last_month UNION ALL SELECT * FROM builtin)
        GROUP BY ALL ORDER BY month, "group", provenance
    """
    with db.cursor() as (cur, _version):
        cur.register("session_upload", rows)
        try:
            return cur.execute(sql, _bound(sql, params)).df()
        finally:
            cur.unregister("session_upload")


# ---- sourced tables added for issue 13 (eradication, indicators, coca zones, conflicts) --------
def eradication(db: Database, measure: str = "eradicated") -> pd.DataFrame:
    """Reported eradication rows (or yearly goals) with their source; overlapping periods stay apart."""
    return _df(
        db,
        """SELECT e.*, s.title AS source_title, s.url AS source_url
           FROM eradication e LEFT JOIN sources s USING (source_id)
           WHERE e.measure = $measure ORDER BY e.period_start, e.level, e.geography""",
        {"measure": measure},
    )


def indicators(db: Database, metric: str | None = None) -> pd.DataFrame:
    """Other sourced figures (indicators.csv), all or one metric, with their source."""
    return _df(
        db,
        """SELECT i.*, s.title AS source_title, s.url AS source_url
           FROM indicators i LEFT JOIN sources s USING (source_id)
           WHERE $metric IS NULL OR i.metric = $metric
           ORDER BY i.metric, i.period_start, i.category""",
        {"metric": metric},
    )


def coca_zone_panel(db: Database) -> pd.DataFrame:
    """The DEVIDA zone × year panel (2018-2024) with each zone's regions; empty hectares = not monitored."""
    return _df(
        db,
        """SELECT c.year, c.geography AS zone, c.hectares, c.derived, c.fact_id, c.source_id,
                  z.regions, z.provinces, z.confidence
           FROM coca c JOIN coca_zones z ON z.zone = c.geography
           WHERE c.level = 'zone' AND c.series = 'DEVIDA' AND z.in_devida_panel = 'yes'
             AND c.year BETWEEN 2018 AND 2024
           ORDER BY zone, c.year, c.fact_id""",
        {},
    )


def conflicts(db: Database) -> pd.DataFrame:
    """Groups of facts that disagree (conflicts.csv): one row per fact, never combined."""
    return _df(db, "SELECT conflict_group, fact_id, what FROM conflicts ORDER BY conflict_group, fact_id", {})


# ---- Evidence: every sourced fact on one timeline (issue 13) ------------------------------------
EVIDENCE_SQL = """
WITH facts AS (
    SELECT 'event' AS kind, nullif(regexp_extract(e.event_id, '^rep-([A-Z]+[0-9]+)', 1), '') AS fact_id,
           e.event_id AS record_id, e.date::DATE AS date_start, coalesce(e.date_end, e.date)::DATE AS date_end,
           e.area AS place, e.region AS regions, e.event_type AS what,
           NULL::DOUBLE AS value_low,
           CASE WHEN e.event_type = 'seizure' THEN e.quantity_kg / 1000 ELSE e."count" END::DOUBLE AS value,
           NULL::DOUBLE AS value_high,
           CASE WHEN e.event_type = 'seizure' THEN 't' ELSE 'count' END AS unit, e.source_id
    FROM cited e WHERE e.provenance = 'reported'
    UNION ALL
    SELECT 'coca', c.fact_id, c.level || ':' || c.geography || ':' || c.year::VARCHAR,
           make_date(c.year, 1, 1), make_date(c.year, 12, 31), c.geography,
           CASE WHEN c.level = 'department' THEN c.geography ELSE z.regions END,
           'coca ' || c.level || ' (' || c.series || ')', NULL, c.hectares::DOUBLE, NULL, 'ha', c.source_id
    FROM coca c LEFT JOIN coca_zones z ON c.level = 'zone' AND z.zone = c.geography
    UNION ALL
    SELECT 'policy', p.fact_id, p.policy_id, try_cast(p.date AS DATE), try_cast(p.date AS DATE),
           CASE WHEN p.scope = 'national' THEN 'Nacional' ELSE p.scope END, NULL,
           CASE WHEN $lang = 'es' THEN p.title_es ELSE p.title_en END, NULL, NULL, NULL, p.kind, p.source_id
    FROM policies p
    UNION ALL
    SELECT 'route_share', r.fact_id, r.estimate_id, try_cast(r.period_start AS DATE), try_cast(r.period_end AS DATE),
           r.area, NULL,
           r.route || ': ' || r.basis, r.share_low * 100, r.share * 100, r.share_high * 100, '%', r.source_id
    FROM route_shares r
    UNION ALL
    SELECT 'flights', f.fact_id, f.estimate_id, try_cast(f.period_start AS DATE), try_cast(f.period_end AS DATE),
           f.area, NULL, f.what,
           f.rate_low::DOUBLE, CASE WHEN f.rate_low = f.rate_high THEN f.rate_low END::DOUBLE,
           f.rate_high::DOUBLE, 'per ' || f.per, f.source_id
    FROM flight_estimates f
    UNION ALL
    SELECT 'eradication', x.fact_id, x.eradication_id, try_cast(x.period_start AS DATE),
           try_cast(x.period_end AS DATE), x.geography,
           CASE WHEN x.level = 'department' THEN x.geography END, x.measure, NULL, x.hectares::DOUBLE, NULL,
           'ha', x.source_id
    FROM eradication x
    UNION ALL
    SELECT 'indicator', i.fact_id, i.indicator_id, try_cast(i.period_start AS DATE), try_cast(i.period_end AS DATE),
           i.geography, NULL,
           i.metric || coalesce(' (' || i.category || ')', ''), i.value_low::DOUBLE, i.value::DOUBLE,
           i.value_high::DOUBLE, i.unit, i.source_id
    FROM indicators i
)
SELECT f.* REPLACE (coalesce(f.date_start, f.date_end) AS date_start, coalesce(f.date_end, f.date_start) AS date_end),
       s.title AS source_title, s.publisher AS source_publisher, s.url AS source_url
FROM facts f LEFT JOIN sources s USING (source_id)
"""
# A fact's places: its place and regions, split on ';' or ','; 'Perú' counts as 'Nacional'.
_EVIDENCE_PLACES = """list_transform(string_split(regexp_replace(coalesce(place, '') || ';' || coalesce(regions, ''),
                         '\\s*[;,]\\s*', ';', 'g'), ';'), lambda p: CASE WHEN p = 'Perú' THEN 'Nacional' ELSE p END)"""


def evidence_timeline(
    db: Database, kinds: tuple[str, ...] = (), places: tuple[str, ...] = (), lang: str = "en"
) -> pd.DataFrame:
    """Every sourced fact as one row (kind, fact_id, period, place, what, value, unit, source),
    optionally of some kinds and some areas/regions (a fact matches when any of its places does)."""
    return _df(
        db,
        f"""SELECT * FROM ({EVIDENCE_SQL})
            WHERE (len($kinds::VARCHAR[]) = 0 OR list_contains($kinds::VARCHAR[], kind))
              AND (len($places::VARCHAR[]) = 0 OR list_has_any($places::VARCHAR[], {_EVIDENCE_PLACES}))
            ORDER BY date_start, kind, record_id""",
        {"kinds": list(kinds), "places": list(places), "lang": lang},
    )


def evidence_conflicts(db: Database, lang: str = "en") -> pd.DataFrame:
    """Each conflict group with every sourced row of its facts, one row each: never summed."""
    return _df(
        db,
        f"""SELECT c.conflict_group, c.fact_id, c.what AS claim, f.kind, f.record_id, f.date_start, f.date_end,
                   f.place, f.value_low, f.value, f.value_high, f.unit, f.source_title, f.source_url
            FROM conflicts c LEFT JOIN ({EVIDENCE_SQL}) f USING (fact_id)
            ORDER BY c.conflict_group, f.value DESC NULLS LAST, c.fact_id, f.record_id""",
        {"lang": lang},
    )


def flight_rate_estimates(db: Database, f: Filters) -> pd.DataFrame:
    """Reported drug-flight rates (flight_estimates) in the view's places and period, with their source."""
    return _df(
        db,
        """WITH fe AS (
               SELECT *, coalesce(try_cast(period_start AS DATE), try_cast(period_end AS DATE)) AS d0,
                      try_cast(period_end AS DATE) AS d1
               FROM flight_estimates)
           SELECT fe.estimate_id, fe.fact_id, fe.period, fe.d0 AS period_start, fe.d1 AS period_end, fe.area,
                  fe.rate_low::DOUBLE AS rate_low, fe.rate_high::DOUBLE AS rate_high, fe.per, fe.what,
                  s.title AS source_title, s.url AS source_url
           FROM fe LEFT JOIN sources s USING (source_id)
           WHERE (len($places::VARCHAR[]) = 0 OR list_contains($places::VARCHAR[], fe.area))
             AND fe.d0 <= $last_day AND fe.d1 >= $first_month
           ORDER BY fe.d0, fe.estimate_id""",
        f.params(),
    )
