"""The Evidence page (AppTest on the real sourced data) and its queries, with hand-checked figures."""

from __future__ import annotations

import pytest

from lib import queries as q
from lib import story
from lib.state import Context, ViewState
from tests.conftest import run_page


@pytest.fixture(autouse=True)
def demo_env(demo_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))


def frames(at) -> list:
    return [d.value for d in at.dataframe]


def test_timeline_holds_every_sourced_row(demo_db):
    facts = q.evidence_timeline(demo_db)
    # 119 events + 316 coca + 35 policies + 21 route shares + 20 flight rates + 24 eradication + 94 others
    assert facts["kind"].value_counts().to_dict() == {
        "coca": 316,
        "event": 119,
        "indicator": 94,
        "policy": 35,
        "eradication": 24,
        "route_share": 21,
        "flights": 20,
    }
    assert facts["source_url"].notna().all()
    s002 = facts[facts["record_id"] == "rep-S002"].iloc[0]
    assert (s002["fact_id"], s002["value"], s002["place"]) == ("S002", 185.0, "VRAEM")


def test_timeline_filters_by_kind_and_place(demo_db):
    vraem_events = q.evidence_timeline(demo_db, ("event",), ("VRAEM",))
    assert set(vraem_events["kind"]) == {"event"} and (vraem_events["place"] == "VRAEM").all()
    assert "rep-S002" in set(vraem_events["record_id"]) and "rep-A054" not in set(vraem_events["record_id"])
    # Coca in Ucayali: department rows and the zones whose regions include Ucayali (Aguaytía).
    ucayali = q.evidence_timeline(demo_db, ("coca",), ("Ucayali",))
    assert {"Ucayali", "Aguaytía"} <= set(ucayali["place"])
    national = q.evidence_timeline(demo_db, ("coca",), ("Nacional",))
    assert set(national["place"]) == {"Perú"}


def test_2014_airstrip_conflict_is_side_by_side(demo_db):
    rows = q.evidence_conflicts(demo_db)
    group = rows[rows["conflict_group"] == "airstrips-destroyed-2014"]
    # 198 (Peru, LA Times), 185 (VRAEM Jan-Sep, InSight Crime), 120 (CE-VRAEM), 54 twice (Diálogo, AP)
    assert group["value"].tolist() == [198.0, 185.0, 120.0, 54.0, 54.0]
    assert group["fact_id"].tolist() == ["A042", "S002", "A004", "A006", "A044"]
    assert group["source_url"].nunique() == 5


def test_evidence_page_shows_timeline_and_conflicts():
    at = run_page("pages/5_Evidence.py")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Evidence"
    subheaders = [s.value for s in at.subheader]
    assert "629 sourced facts over time" in subheaders and "Where sources disagree" in subheaders
    tables = frames(at)
    conflict = next(df for df in tables if "claim" in df.columns and "A042" in set(df["fact_id"]))
    assert conflict["figure"].tolist() == ["198", "185", "120", "54", "54"]  # never summed or averaged
    assert conflict["claim"].str.contains("185 in the VRAEM").any()
    assert any("airstrips-destroyed-2014" in m.value for m in at.markdown)


def test_kind_filter_is_bound_to_the_url():
    at = run_page("pages/5_Evidence.py", {"kinds": "policy,EVENT", "areas": "vraem"})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.query_params["kinds"] == "event,policy"  # canonical: sorted, case folded
    subheaders = [s.value for s in at.subheader]
    # VRAEM: 37 reported events + 5 VRAEM-scoped policies
    assert "42 sourced facts over time" in subheaders, subheaders
    at.multiselect(key="w_kinds").set_value(["coca"]).run()
    assert at.query_params["kinds"] == "coca"


def test_unknown_kind_gets_a_notice():
    at = run_page("pages/5_Evidence.py", {"kinds": "rumours"})
    assert not at.exception
    assert any("kinds" in w.value for w in at.warning)


def test_kinds_round_trip():
    ctx = Context("2010-01", "2024-12")
    state, problems = ViewState.from_query({"kinds": "Coca,event"}, ctx)
    assert not problems and state.kinds == ("coca", "event")
    assert state.to_query() == {"kinds": "coca,event"}
    assert ViewState.from_query(state.to_query(), ctx)[0] == state


def test_figure_text_keeps_ranges_and_units(demo_db):
    rows = q.evidence_timeline(demo_db, ("flights",))
    f011 = rows[rows["fact_id"] == "F011"]
    assert story.figure_column(f011) == ["15–21 per month"]
