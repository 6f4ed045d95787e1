"""The sourced facts, read through the query layer from a real build of data/sourced."""

from datetime import date

from lib import queries as q
from lib.state import ViewState


def test_vraem_jan_sep_2014_is_185(demo_db):
    f = q.filters_for(
        ViewState(start="2014-01", end="2014-09", areas=("VRAEM",), data="reported"), q.data_context(demo_db)
    )
    facts = q.reported_facts(demo_db, f)
    whole_period = facts[
        (facts["event_type"] == "airstrip_destroyed")
        & (facts["date"] == "2014-01-01")
        & (facts["date_end"] == "2014-09-30")
    ]
    assert whole_period["count"].tolist() == [185]


def test_23_airstrips_3_to_7_sep_2016(demo_db):
    f = q.filters_for(ViewState(start="2016-09", end="2016-09", data="reported"), q.data_context(demo_db))
    facts = q.reported_facts(demo_db, f)
    sep = facts[(facts["date"] == "2016-09-03") & (facts["date_end"] == "2016-09-07")]
    assert sep["count"].tolist() == [23]
    assert sep["source_url"].str.startswith("https://").all()


def test_law_30339_dates(demo_db):
    assert q.policy_date(demo_db, "law-30339") == date(2015, 8, 20)
    assert q.policy_date(demo_db, "law-30339-published") == date(2015, 8, 29)
    assert q.policy_date(demo_db, "law-30339-protocol") == date(2016, 1, 4)


def test_every_reported_row_cites_a_source(demo_db):
    with demo_db.cursor() as (cur, _):
        orphans = cur.execute(
            """SELECT count(*) FROM events e LEFT JOIN sources s USING (source_id)
               WHERE e.provenance = 'reported' AND (s.url IS NULL OR s.title IS NULL)"""
        ).fetchone()[0]
        simulated_with_source = cur.execute(
            "SELECT count(*) FROM events WHERE provenance = 'simulated' AND source_id IS NOT NULL"
        ).fetchone()[0]
    assert (orphans, simulated_with_source) == (0, 0)
