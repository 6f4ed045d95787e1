"""The data URLs (lib/data_api.py): a view's query string returns exactly that view's rows."""

from __future__ import annotations

import pytest

from lib import data_api
from lib import queries as q
from lib.state import ViewState


def test_a_views_query_string_returns_exactly_its_rows(fixture_db):
    got = data_api.view_rows(fixture_db, {"areas": "ucayali"})  # forgiving, as the pages are
    assert got["rows"]["event_id"].tolist() == ["s09", "s10", "s11", "s14"]  # the fixture's Ucayali rows
    assert got["total"] == 4 and got["state"].areas == ("Ucayali",) and got["simulated"]
    assert got["version"] == fixture_db.version()


def test_paging_walks_the_same_rows_as_the_data_page(fixture_db):
    f = q.filters_for(ViewState(), q.data_context(fixture_db))
    everything = q.events_for_export(fixture_db, f)["event_id"].tolist()
    walked, offset = [], 0
    while True:
        page = data_api.view_rows(fixture_db, {"_size": "3", "_offset": str(offset)})
        walked += page["rows"]["event_id"].tolist()
        offset += 3
        if offset >= page["total"]:
            break
    assert walked == everything and len(everything) > 6


def test_unusable_view_values_are_reported_not_errors(fixture_db):
    got = data_api.view_rows(fixture_db, {"areas": "Atlantis", "start": "2014-13"})
    assert {p.param for p in got["problems"]} == {"areas", "start"}


@pytest.mark.parametrize("params", [{"_size": "0"}, {"_size": "10001"}, {"_size": "ten"}, {"_offset": "-1"}])
def test_paging_parameters_are_bounded(fixture_db, params):
    with pytest.raises(data_api.BadRequest, match="_size|_offset"):
        data_api.view_rows(fixture_db, params)


def test_reported_only_view_is_not_flagged_simulated(fixture_db):
    got = data_api.view_rows(fixture_db, {"data": "reported"})
    assert not got["simulated"] and set(got["rows"]["provenance"]) <= {"reported"}
