"""The Map page under AppTest: boundaries from PISTAS_GEO_DIR, or the centroid fallback."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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


@pytest.mark.parametrize("params", [{"layer": "hex", "colour": "route"}, {"split": "1", "window": "12"},
                                    {"shade": "change"}, {"shade": "coca"}, {"month": "2014-02"},
                                    {"layer": "<img src=x onerror=alert(1)>", "basemap": "javascript:1"}])
def test_map_variants_run(params):
    at = run_map(params)
    assert not at.exception
    assert at.get("deck_gl_json_chart")
