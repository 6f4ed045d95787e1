"""The Map page under AppTest: boundaries from PISTAS_GEO_DIR, or the centroid fallback."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import maps
from lib.schema import REGIONS
from tests.conftest import run_page

ROOT = Path(__file__).resolve().parents[1]
SHARED_GEO = ROOT.parent / "shared" / "geo"


def run_map(params=None) -> AppTest:
    return run_page("pages/2_Map.py", params)


def region_layer(at: AppTest) -> dict:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return next(layer for layer in deck["layers"] if layer["id"] == "regions")


@pytest.fixture(autouse=True)
def fixture_env(fixture_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))
    from lib import geo

    geo.clear_caches()


@pytest.mark.skipif(not SHARED_GEO.is_dir(), reason="needs ../shared/geo")
def test_region_layer_has_25_features_with_geo_dir(monkeypatch):
    monkeypatch.setenv("PISTAS_GEO_DIR", str(SHARED_GEO))
    at = run_map({"basemap": "none"})
    assert not at.exception
    layer = region_layer(at)
    assert layer["@@type"] == "GeoJsonLayer"
    assert len(layer["data"]["features"]) == 25


def test_centroid_fallback_without_boundaries(monkeypatch, tmp_path):
    from lib import geo

    monkeypatch.delenv("PISTAS_GEO_DIR", raising=False)
    monkeypatch.setattr(geo, "SHIPPED_REGIONS", tmp_path / "deleted.geojson")  # and no geo cache
    at = run_map()
    assert not at.exception
    layer = region_layer(at)
    assert layer["@@type"] == "ScatterplotLayer" and len(layer["data"]) == 25


@pytest.mark.parametrize(
    "params",
    [
        {"layer": "hex", "colour": "route"},
        {"split": "1", "window": "12"},
        {"shade": "change"},
        {"shade": "coca"},
        {"month": "2014-02"},
        {"layer": "<img src=x onerror=alert(1)>", "basemap": "javascript:1"},
    ],
)
def test_map_variants_run(params):
    at = run_map(params)
    assert not at.exception
    assert at.get("deck_gl_json_chart")


# ---------------------------------------------------------------------------------------
# issue 14: Peru with no setting and no network; legends a person reads; clicks; zones


@pytest.fixture
def no_network(monkeypatch):
    """Every URL or socket opened fails the test, and PISTAS_GEO_DIR is gone."""
    import socket
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args[:1]}")

    monkeypatch.delenv("PISTAS_GEO_DIR", raising=False)
    monkeypatch.delenv("PISTAS_GEO_OFFLINE", raising=False)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def deck(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[index].proto.json)


def legend_svgs(at: AppTest) -> list[str]:
    """The SVG legends drawn with st.image (as data: URLs)."""
    import base64

    out = []
    for element in at.get("image"):
        for img in element.proto.imgs:
            if img.url.startswith("data:image/svg+xml;base64,"):
                out.append(base64.b64decode(img.url.split(",", 1)[1]).decode("utf-8"))
    return out


def svg_texts(svg: str) -> list[str]:
    import html
    import re

    return [html.unescape(m) for m in re.findall(r"<text[^>]*>(.*?)</text>", svg)]


def test_map_draws_peru_with_no_setting_and_no_network(no_network):

    at = run_map()
    assert not at.exception
    layer = region_layer(at)
    assert layer["@@type"] == "GeoJsonLayer"
    assert sorted(f["properties"]["name"] for f in layer["data"]["features"]) == sorted(REGIONS)
    layers = {layer["id"]: layer for layer in deck(at)["layers"]}
    assert {"rivers", "region-names"} <= set(layers)
    assert "Ucayali" in {r["t"] for r in layers["region-names"]["data"]}
    assert deck(at)["mapStyle"] == "/app/static/carto-style.json"  # served here: reads offline
    captions = [c.value for c in at.caption]
    assert any(maps.GEO_ATTRIBUTION_EN in c for c in captions)  # in the page's language (English here)
    assert not at.info  # nothing went wrong, so nothing to say
    assert not any("Errno" in c for c in captions)


def test_legends_name_the_colours_and_list_the_shading_classes(no_network):
    at = run_map()
    svgs = legend_svgs(at)
    texts = [t for svg in svgs for t in svg_texts(svg)]
    assert "airstrips destroyed" in texts and "seizures" in texts
    assert not [t for t in texts if "#" in t]  # names, never hex codes
    classes = [t for t in texts if t.endswith(" events") and " – " in t]
    assert len(classes) == 5 and classes[0].startswith("0 – ")
    assert "no data" in texts
    assert not any("#d55e00" in c.value for c in at.caption)  # the old hex-code line is gone


def test_spanish_legend(no_network):
    at = run_map({"lang": "es", "shade": "coca"})
    texts = [t for svg in legend_svgs(at) for t in svg_texts(svg)]
    assert any(t.startswith("hectáreas de coca") for t in texts)
    assert any(t.endswith(" ha") and " – " in t for t in texts)
    assert "sin datos" in texts


def test_split_panels_share_one_scale_and_say_so(no_network):
    at = run_map({"split": "1", "window": "12"})
    assert not at.exception
    fills = []
    for i in range(2):
        regions = next(layer for layer in deck(at, i)["layers"] if layer["id"] == "regions")
        fills.append({f["properties"]["name"]: f["properties"]["fill"] for f in regions["data"]["features"]})
    svgs = legend_svgs(at)
    shared = [svg for svg in svgs if "Both maps use this one scale." in svg_texts(svg)]
    assert len(shared) == 2
    rows = [[t for t in svg_texts(svg) if " – " in t] for svg in shared]
    assert rows[0] == rows[1] and len(rows[0]) >= 2  # the same classes under both panels


def test_choosing_a_place_zooms_the_map_to_it(no_network):
    national = deck(run_map())["initialViewState"]
    ucayali = deck(run_map({"areas": "ucayali"}))["initialViewState"]
    assert ucayali["zoom"] > national["zoom"] + 1
    assert -11.5 < ucayali["latitude"] < -7.0 and -75.5 < ucayali["longitude"] < -70.5
    vraem = deck(run_map({"areas": "vraem"}))["initialViewState"]
    assert -15.0 < vraem["latitude"] < -10.5  # Apurímac, Ayacucho, Cusco, Huancavelica, Junín


def test_hexagon_rings_are_outlines(no_network):
    at = run_map({"layer": "hex"})
    rings = next(layer for layer in deck(at)["layers"] if layer["id"] == "recurrent-strips")
    assert rings["filled"] is False
    ids = [layer["id"] for layer in deck(at)["layers"]]
    assert ids.index("events-hex") < ids.index("recurrent-strips")


@pytest.fixture(scope="module")
def sourced_data_dir(tmp_path_factory):
    """A build of the real sourced tables (the Devida zone panel), without the simulated demo."""
    from lib.build import BuildSpec, build

    root = tmp_path_factory.mktemp("sourced-data")
    build(
        BuildSpec(sourced=ROOT / "data" / "sourced", out=root / "built", simulate=False), log=lambda *_: None
    )
    return root


def zone_layer(at: AppTest) -> dict:
    return next(layer for layer in deck(at)["layers"] if layer["id"] == "coca-zones")


# Hand-checked against data/sourced/coca.csv (level=zone, series=DEVIDA).
@pytest.mark.parametrize(
    ("year", "zone", "label"),
    [
        (2023, "VRAEM", "38,253 ha (2023), pipaber/xgboost_deforestation (GitHub)"),  # C178
        (
            2022,
            "VRAEM",
            "35,106 ha (2022), Lampadia | 35,709 ha (2022), El Búho",
        ),  # C024 and C025, never averaged
        (2024, "Tigre", "76 ha (2024), pipaber/xgboost_deforestation (GitHub)"),  # C176
        (2018, "Aguaytía", "1,517 ha (2018), pipaber/xgboost_deforestation (GitHub)"),  # C062
    ],
)
def test_coca_zone_circles_carry_the_years_hectares(
    sourced_data_dir, monkeypatch, year, zone, label, no_network
):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(sourced_data_dir))
    at = run_map({"shade": "coca", "end": f"{year}-12", "data": "reported"})
    assert not at.exception
    records = {r["name"]: r for r in zone_layer(at)["data"]}
    assert records[zone]["label"] == label
    assert records[zone]["k"] == "z"
    assert "Tigre" not in records if year == 2023 else True  # not monitored in 2023: no circle, not zero
    texts = [t for svg in legend_svgs(at) for t in svg_texts(svg)]
    assert f"green circle: Devida coca zone, area by hectares ({year})" in texts


def test_coca_zone_sizes_follow_hectares(sourced_data_dir):
    from lib import map_view
    from lib.db import Database
    from lib.views import direct_query

    query = direct_query(Database(sourced_data_dir / "built"))
    zones = map_view.coca_zones(query, 2023).set_index("zone")
    assert zones.loc["VRAEM", "hectares"] == 38253
    assert "Tigre" not in zones.index  # "-" in the 2024 report table for 2023
    both = map_view.coca_zones(query, 2022).set_index("zone")
    assert both.loc["VRAEM", "hectares"] == 35709  # the circle is the larger figure; the label has both
    assert list(map_view.coca_zones(query, 2022)["hectares"]) == sorted(both["hectares"], reverse=True)


@pytest.mark.parametrize(
    ("objects", "region"),
    [
        ({"regions": [{"type": "Feature", "properties": {"k": "r", "name": "Loreto"}}]}, "Loreto"),
        ({"regions": [{"k": "r", "name": "Puno", "p": [-70.0, -15.0]}]}, "Puno"),  # centroid marker
        ({"events-seizure": [{"k": "e", "p": [-74.22, -13.16], "n": 1}]}, "Ayacucho"),  # a point, points view
        ({"recurrent-strips": [{"k": "s", "p": [-74.55, -8.38]}]}, "Ucayali"),  # Pucallpa
        ({"coca-zones": [{"k": "z", "name": "VRAEM", "p": [-73.6521, -12.272]}]}, "VRAEM"),  # the area
        ({"coca-zones": [{"k": "z", "name": "Callería", "p": [-74.0591, -8.672]}]}, "Ucayali"),
        ({"events-seizure": [{"k": "e", "p": [-60.0, -13.0]}]}, None),  # Brazil
        ({"events-seizure": [{"k": "e"}]}, None),
        ({}, None),
    ],
)
def test_any_pick_gives_the_region_under_it(objects, region):
    from lib import geo, map_view

    regions = geo.load_regions(geo_dir=geo.SHIPPED_DIR)
    assert map_view.picked_region({"selection": {"objects": objects}}, regions) == region
    assert map_view.picked_region(None, regions) is None


def test_points_view_draws_a_repeatable_sample_keeping_rare_kinds():
    import pandas as pd

    from lib import map_view

    kinds = ["seizure"] * 9000 + ["flight_detected"] * 900 + ["aircraft_interdicted"] * 100
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(kinds))], "event_type": kinds})
    sample = map_view.points_sample(events, "event_type", limit=5000)
    counts = sample["event_type"].value_counts().to_dict()
    assert counts == {"seizure": 4500, "flight_detected": 450, "aircraft_interdicted": 100}
    assert map_view.points_sample(events, "event_type", limit=5000).index.equals(sample.index)
    assert sample.index.is_monotonic_increasing  # drawn in the query's (date) order
    small = events.head(100)
    assert map_view.points_sample(small, "event_type", limit=5000) is small


@pytest.mark.parametrize("note", [None, "Both maps use this one scale."])
def test_legend_svgs_are_well_formed_xml(note):
    # A browser shows a broken image for an SVG that is not well-formed (a repeated attribute)
    import xml.etree.ElementTree as ET

    from lib import map_view

    svg = map_view.legend_svg(
        "hectáreas & <coca>", [((1, 2, 3), "a < b"), ("ring", (4, 5, 6), "anillo")], note=note
    )
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[:3] == ["hectáreas & <coca>", "a < b", "anillo"]
    assert (note in texts) if note else len(texts) == 3
