"""Analyses are cached on the fields they read: page-only and map-only fields do not refit them."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import queries as q
from lib import views
from lib.state import ViewState

NOISE = {
    "page": 7,
    "present": True,
    "kinds": ("coca",),
    "layer": "hex",
    "basemap": "none",
    "colour": "provenance",
    "shade": "coca",
    "split": True,
    "month": "2016-01",
}


def test_page_and_map_fields_do_not_change_the_cache_key():
    base = ViewState(areas=("VRAEM",), metric="flight_detected", window=12)
    noisy = base.with_changes(**NOISE)
    assert views.analysis_state(noisy) == views.analysis_state(base)
    assert hash(views.analysis_state(noisy)) == hash(views.analysis_state(base))
    kept = views.analysis_state(noisy, keep_map=True)
    assert kept.layer == "hex" and kept.month == "2016-01" and kept.page == 1  # the map keeps its own fields


def test_fields_that_matter_still_do():
    for change in (
        {"window": 36},
        {"metric": "seizure"},
        {"areas": ("Ucayali",)},
        {"lang": "es"},
        {"data": "reported"},
    ):
        assert views.analysis_state(ViewState(**change)) != views.analysis_state(ViewState())


@pytest.mark.parametrize(
    "name",
    ["overview_series", "route_filtered_figures", "impact_analysis", "story.story", "story.reported_annual"],
)
def test_no_cached_analysis_reads_the_dropped_fields(fixture_db, name):
    """Each analysis gives the same answer with and without the dropped fields set."""
    from lib.ui import _view_function

    ctx = q.data_context(fixture_db)
    fn, query = _view_function(name), views.direct_query(fixture_db)
    plain = fn(query, views.View(ViewState(metric="flight_detected"), ctx, "en"))
    noisy = fn(query, views.View(ViewState(metric="flight_detected").with_changes(**NOISE), ctx, "en"))
    assert _comparable(plain) == _comparable(noisy)


def _comparable(result):
    """Figures and frames to JSON-able values, so two results compare by content."""
    if hasattr(result, "to_plotly_json"):
        return result.to_json()
    if isinstance(result, pd.DataFrame):
        return result.to_json(date_format="iso")
    if isinstance(result, (list, tuple)):
        return [_comparable(r) for r in result]
    if hasattr(result, "__dataclass_fields__"):
        return {k: _comparable(getattr(result, k)) for k in result.__dataclass_fields__}
    return result
