"""The Map page's exports: a static image of the map (offline, self-describing) and its tables."""

from __future__ import annotations

import re

import pytest

from lib import export, geo, map_export, views
from lib import queries as q
from lib.map_view import shade_scale
from lib.state import ViewState
from tests.conftest import run_page


def view_of(db, **state):
    return views.View(ViewState(**state), q.data_context(db), "en")


@pytest.fixture(scope="module")
def regions():
    return geo.load_regions()


def test_region_table_is_what_the_map_shades(demo_db):
    view = view_of(demo_db, areas=("VRAEM",))
    table = map_export.region_table(views.direct_query(demo_db), view)
    by_region = q.events_by_region(demo_db, view.filters).set_index("region")["n"]
    assert table.set_index("region")["value"].to_dict() == by_region.to_dict()
    assert set(table["region"]) <= {
        "Apurímac",
        "Ayacucho",
        "Cusco",
        "Huancavelica",
        "Junín",
        "Nacional",
    } | set(by_region.index)


def test_points_table_holds_the_located_events_in_view(demo_db):
    view = view_of(demo_db, areas=("Ucayali",), start="2020-01", end="2020-12")
    points = map_export.points_table(views.direct_query(demo_db), view)
    assert len(points) == q.located_events_count(demo_db, view.filters)
    assert set(points["area"]) == {"Ucayali"} and points["lat"].notna().all()


def test_static_map_draws_every_region_in_the_pages_classes(demo_db, regions):
    view = view_of(demo_db, shade="coca")
    query = views.direct_query(demo_db)
    fig = map_export.static_map(query, view, regions)
    rings = sum(sum(1 for x in tr.x if x is None) for tr in fig.data if tr.meta == "region")
    polygons = sum(
        len(f["geometry"]["coordinates"]) if f["geometry"]["type"] == "MultiPolygon" else 1
        for f in regions.geojson["features"]
    )
    assert rings == polygons  # every region drawn, each of its parts once
    classes = [tr.name for tr in fig.data if tr.legendgroup == "shade"]
    assert len(classes) == len(shade_scale(query, view, "whole").bins) + 1  # and "no data"
    assert all("ha" in c for c in classes[:-1])


@pytest.mark.skipif(not export.image_export_available()[0], reason="image export needs Chromium")
def test_static_map_svg_describes_itself(demo_db, regions):
    view = view_of(demo_db)
    query = views.direct_query(demo_db)
    fig = map_export.static_map(query, view, regions)
    svg = views.image(fig, view, "abc123def456", "svg", name="map", link="http://localhost/Map", query=query)
    words = " ".join(re.findall(r">([^<>]+)<", svg.decode()))
    assert "Map" in words and "abc123def456" in words and "simulated demo data" in words


def test_map_page_offers_the_image_and_both_tables(demo_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))
    at = run_page("pages/2_Map.py")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert {"Events on the map (CSV)", "Region table (CSV)", "PNG", "SVG"} <= set(labels), labels


def test_browser_playback_sends_every_month_once_as_frames(demo_db):
    view = view_of(demo_db, start="2016-01", end="2016-12")
    query = views.direct_query(demo_db)
    fig = map_export.animated_map(query, view)
    months = [f.name for f in fig.frames]
    assert months == [f"2016-{m:02d}" for m in range(1, 13)]
    events = q.events_for_map(demo_db, view.filters)
    in_june = (events["date"].astype(str).str[:7] == "2016-06").sum()
    june = next(f for f in fig.frames if f.name == "2016-06")
    assert len(june.data[0].x) == in_june  # each frame holds exactly its month's located events
    play = fig.layout.updatemenus[0].buttons[0]
    assert play.method == "animate" and play.args[1]["frame"]["duration"] == 300
