"""Query results on the tiny fixture, against answers computed by hand from
tests/fixtures/events_simulated.csv and tests/fixtures/sourced/events_reported.csv."""

from datetime import date

import pytest

from lib import queries as q
from lib.state import ViewState


def filters(db, **state):
    return q.filters_for(ViewState(**state), q.data_context(db))


def test_context_spans_the_fixture_months(fixture_db):
    ctx = q.data_context(fixture_db)
    # Period reports (rep-S002) are not monthly data; the first monthly row is s01 (Jan 2014).
    assert (ctx.first_month, ctx.last_month) == ("2014-01", "2016-09")
    assert ctx.policies == ("law-30339", "law-30339-protocol")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        # all simulated rows: destroyed s01 s03 s04 s12; strip-A twice; rebuilds after 2 and 5 days
        (
            {},
            dict(
                airstrips_destroyed=4,
                strips_destroyed_more_than_once=1,
                median_days_to_rebuild=3.5,
                flights_detected=4,
                aircraft_interdicted=0,
                seizures=6,
                seized_kg=1000.0,
                records=14,
            ),
        ),
        (
            {"areas": ("VRAEM",), "end": "2014-12"},
            dict(
                airstrips_destroyed=3,
                strips_destroyed_more_than_once=1,
                median_days_to_rebuild=3.5,
                flights_detected=1,
                aircraft_interdicted=0,
                seizures=2,
                seized_kg=340.0,
                records=8,
            ),
        ),
        # a region selects by region: Cusco holds strip-B (s04, s05) and the flight s06
        (
            {"areas": ("Cusco",)},
            dict(
                airstrips_destroyed=1,
                strips_destroyed_more_than_once=0,
                median_days_to_rebuild=5.0,
                flights_detected=1,
                aircraft_interdicted=0,
                seizures=0,
                seized_kg=0.0,
                records=3,
            ),
        ),
        # the route filter keeps seizures on that route; airstrip KPIs leave the view
        (
            {"routes": ("river",)},
            dict(
                airstrips_destroyed=None,
                strips_destroyed_more_than_once=None,
                median_days_to_rebuild=None,
                flights_detected=None,
                aircraft_interdicted=None,
                seizures=2,
                seized_kg=300.0,
                records=2,
            ),
        ),
        (
            {"types": ("seizure",), "start": "2016-01", "end": "2016-01"},
            dict(
                airstrips_destroyed=None,
                strips_destroyed_more_than_once=None,
                median_days_to_rebuild=None,
                flights_detected=None,
                aircraft_interdicted=None,
                seizures=3,
                seized_kg=650.0,
                records=3,
            ),
        ),
    ],
)
def test_simulated_kpis(fixture_db, state, expected):
    kpi = q.kpis(fixture_db, filters(fixture_db, **state), "simulated")
    assert {k: getattr(kpi, k) for k in expected} == expected


def test_reported_kpis_never_include_period_reports_in_months(fixture_db):
    # rep-A009 (6, Jan 2015) and rep-S001 (23, Sep 2016) are monthly; rep-S002 (185 over 9 months) is not.
    kpi = q.kpis(fixture_db, filters(fixture_db), "reported")
    assert kpi.airstrips_destroyed == 29


def test_reported_facts_overlap_the_view(fixture_db):
    facts = q.reported_facts(fixture_db, filters(fixture_db, start="2014-05", end="2014-06"))
    # only the Jan–Sep 2014 report overlaps May–Jun 2014
    assert facts["event_id"].tolist() == ["rep-S002"]
    assert facts["source_url"].tolist() == ["https://example.org/insight"]


def test_events_by_month_by_area(fixture_db):
    got = q.events_by_month(fixture_db, filters(fixture_db, data="simulated"), by="area")
    assert got[["group", "n"]].groupby("group")["n"].sum().to_dict() == {
        "VRAEM": 8.0,
        "Ucayali": 4.0,
        "Pichis-Palcazú": 4.0,  # s13 counts 3 flights
    }


def test_events_by_month_rejects_unknown_grouping(fixture_db):
    with pytest.raises(ValueError, match="cannot group by"):
        q.events_by_month(fixture_db, filters(fixture_db), by="area; DROP TABLE events")


def test_route_shares_of_an_area_month(fixture_db):
    got = q.route_counts_by_area_month(fixture_db, filters(fixture_db, areas=("Ucayali",)))
    jan = got[got["month"] == "2016-01-01"].set_index("route")["share"].round(4).to_dict()
    assert jan == {"air": round(1 / 3, 4), "river": round(2 / 3, 4)}


def test_events_page_and_count(fixture_db):
    f = filters(fixture_db)
    assert q.events_count(fixture_db, f) == 17
    page2 = q.events_page(fixture_db, f, page=2, page_size=5)
    # page 1: rep-S002 (2014-01-01), s01..s04; page 2 continues by date
    assert page2["event_id"].tolist() == ["s05", "s06", "s07", "s08", "rep-A009"]
    assert list(page2.columns) == list(q.EVENT_COLUMNS)


def test_export_rows_are_the_view(fixture_db):
    rows = q.events_for_export(fixture_db, filters(fixture_db, areas=("Ucayali",), data="simulated"))
    assert rows["event_id"].tolist() == ["s09", "s10", "s11", "s14"]


def test_sources_for_view(fixture_db):
    got = q.sources_for_view(fixture_db, filters(fixture_db, end="2015-12"))
    assert dict(zip(got["source_id"], got["rows_cited"], strict=True)) == {"fx-insight": 1, "fx-dialogo": 1}


def test_map_events_carry_strip_history(fixture_db):
    got = q.events_for_map(fixture_db, filters(fixture_db, data="simulated"), limit=100)
    strip_a = got[got["airstrip_id"] == "strip-A"]
    assert set(strip_a["times_destroyed"]) == {2}
    assert set(strip_a["days_to_rebuild"]) == {2.0}
    assert len(q.events_for_map(fixture_db, filters(fixture_db), limit=3)) == 3


def test_policy_date(fixture_db):
    assert q.policy_date(fixture_db, "law-30339") == date(2015, 8, 20)
    assert q.policy_date(fixture_db, "nope") is None


def test_hostile_text_is_only_ever_a_value(fixture_db):
    f = q.Filters(date(2014, 1, 1), date(2016, 9, 1), places=("'; DROP TABLE events; --",))
    assert q.events_count(fixture_db, f) == 0
    assert q.events_count(fixture_db, filters(fixture_db)) == 17
