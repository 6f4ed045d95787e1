"""lib.maps: layers and decks built from DataFrames, without Streamlit."""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from lib import geo, maps
from lib.schema import EVENT_TYPES, REGIONS, ROUTES

REPO = Path(__file__).resolve().parents[1]
SHARED_GEO = Path(
    os.environ.get(geo.ENV_GEO_DIR) or Path(__file__).resolve().parents[2] / "shared" / "geo"
)  # ../shared beside the checkout
needs_shared_geo = pytest.mark.skipif(
    not (SHARED_GEO / geo.ENV_REGIONS_FILE).is_file(), reason=f"no prepared boundaries in {SHARED_GEO}"
)

SPANISH = {
    "place": "Lugar",
    "date": "Fecha",
    "count": "Cantidad",
    "provenance": "Procedencia",
    "source": "Fuente",
    "times_destroyed": "Veces destruida",
    "days_to_rebuild": "Días para reconstruir",
}


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def boundaries() -> dict:
    if not (SHARED_GEO / geo.ENV_REGIONS_FILE).is_file():
        pytest.skip(f"no prepared boundaries in {SHARED_GEO}")
    return json.loads((SHARED_GEO / geo.ENV_REGIONS_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def regions_table() -> pd.DataFrame:
    for path in (
        REPO / "data" / "sourced" / "regions.csv",
        Path(__file__).resolve().parents[2] / "shared" / "facts" / "regions.csv",
    ):
        try:
            table = pd.read_csv(path, dtype={"ubigeo": str})
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        if len(table) == 25 and {"name", "centroid_lat", "centroid_lon"} <= set(table.columns):
            return table
    pytest.skip("no regions table")


def metric_frame(values: dict[str, float] | None = None) -> pd.DataFrame:
    values = values if values is not None else {r: float(i) for i, r in enumerate(REGIONS)}
    return pd.DataFrame(
        {
            "region": list(values),
            "value": list(values.values()),
            "label": [f"{v:.0f} pistas destruidas" for v in values.values()],
        }
    )


def make_events(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lat": rng.uniform(-14.5, -6.0, n),
            "lon": rng.uniform(-78.0, -71.5, n),
            "event_type": rng.choice(EVENT_TYPES, n),
            "route": rng.choice([*ROUTES, None], n),
            "count": rng.integers(1, 6, n),
            "date": pd.to_datetime("2012-01-01") + pd.to_timedelta(rng.integers(0, 4000, n), unit="D"),
            "provenance": rng.choice(["reported", "simulated"], n),
            "source_title": rng.choice(["", "DEVIDA, informe anual 2014", "El Comercio, 12 sep 2014"], n),
            "place": rng.choice(["Llochegua, Huanta", "Pichari, La Convención", "Puerto Inca"], n),
            "airstrip_id": [f"S{i}" for i in rng.integers(0, 1500, n)],
            "times_destroyed": rng.integers(1, 5, n),
            "days_to_rebuild": rng.choice([np.nan, 3.0, 9.0, 21.0], n),
        }
    )


def layer_json(layer: pdk.Layer) -> dict:
    return json.loads(maps.CompactDeck(layers=[layer], map_provider=None, map_style="x").to_json())["layers"][
        0
    ]


# ---------------------------------------------------------------------------------------
# regions


@needs_shared_geo
def test_region_layer_colours_every_feature(boundaries):
    before = copy.deepcopy(boundaries)
    values = {r: float(i) for i, r in enumerate(REGIONS) if r != "Callao"}  # Callao: no data
    layer = maps.region_layer(boundaries, metric_frame(values))
    assert boundaries == before  # shared, cached input is not modified
    assert layer.id == "regions" and layer.type == "GeoJsonLayer"
    features = layer.data["features"]
    assert len(features) == 25
    props = {f["properties"]["name"]: f["properties"] for f in features}
    assert set(props) == set(REGIONS)
    assert props["Ucayali"]["fill"][:3] == list(maps.SEQUENTIAL[-1])  # highest value: darkest
    assert props["Amazonas"]["fill"][:3] == list(maps.SEQUENTIAL[0])  # 0: palest
    assert props["Callao"]["fill"][:3] == list(maps.NO_DATA_RGB)
    assert props["Callao"]["label"] == "—"
    assert props["Junín"]["label"] == "11 pistas destruidas"
    assert all(p["k"] == "r" for p in props.values())
    as_json = layer_json(layer)
    assert as_json["pickable"] is True
    assert as_json["getFillColor"] == "@@=properties.fill"


@needs_shared_geo
def test_region_layer_accepts_folded_region_names(boundaries):
    layer = maps.region_layer(boundaries, metric_frame({"huanuco": 5.0, "ANCASH": 1.0}))
    props = {f["properties"]["name"]: f["properties"] for f in layer.data["features"]}
    assert props["Huánuco"]["label"] == "5 pistas destruidas"
    assert props["Áncash"]["fill"][:3] != list(maps.NO_DATA_RGB)


def test_centroid_fallback_has_a_row_per_region(regions_table):
    layer = maps.region_centroid_layer(regions_table, metric_frame({"Ucayali": 100.0, "Pasco": 25.0}))
    assert layer.id == "regions" and layer.type == "ScatterplotLayer"
    assert len(layer.data) == 25
    rows = {r["name"]: r for r in layer.data}
    assert set(rows) == set(REGIONS)
    assert rows["Ucayali"]["r"] == pytest.approx(2 * rows["Pasco"]["r"], rel=0.01)  # radius ∝ sqrt
    assert rows["Lima"]["r"] == 0 and rows["Lima"]["c"][:3] == list(maps.NO_DATA_RGB)
    ucayali = regions_table.set_index("name").loc["Ucayali"]
    assert rows["Ucayali"]["p"] == [round(ucayali.centroid_lon, 4), round(ucayali.centroid_lat, 4)]


# ---------------------------------------------------------------------------------------
# events


def points_by_id(layers) -> dict[str, list[dict]]:
    return {layer.id: layer.data for layer in layers}


def test_points_layers_colours_and_sizes():
    events = make_events(200)
    events.loc[0, ["lat", "lon"]] = [np.nan, np.nan]
    events.loc[5, "route"] = "by mule"  # a category without a colour
    layers = maps.event_points_layers(events)
    assert all(layer.type == "ScatterplotLayer" for layer in layers)
    counts = events["event_type"].iloc[1:].value_counts()
    assert {layer.id for layer in layers} == {f"events-{t}" for t in counts.index}
    assert [len(layer.data) for layer in layers] == sorted(counts, reverse=True)  # rarest drawn last
    assert sum(len(layer.data) for layer in layers) == 199  # the row without coordinates is left out
    for layer in layers:
        assert layer.get_fill_color[:3] == list(maps.EVENT_TYPE_COLOURS[layer.id.removeprefix("events-")])
    src = events.iloc[1]
    row = points_by_id(layers)[f"events-{src.event_type}"][0]
    assert row["r"] == round(maps.EVENT_RADIUS_M * math.sqrt(src["count"]))
    assert row["p"] == [round(src.lon, 4), round(src.lat, 4)]
    assert row["d"] == src.date.strftime("%Y-%m-%d")
    assert set(row) == {"p", "r", "k", "n", "pl", "d", "pv", "s"}  # no colour per record

    by_route = maps.event_points_layers(events, colour_by="route")
    assert by_route[-1].id == "events-by mule" and by_route[-1].get_fill_color[:3] == list(maps.UNKNOWN_RGB)
    for layer in by_route:
        route = layer.id.removeprefix("events-").replace("unknown", "")  # rows without a route
        located = events.iloc[1:]
        assert len(layer.data) == (located["route"].fillna("") == route).sum()
    with pytest.raises(ValueError):
        maps.event_points_layers(events, colour_by="area")


def test_hex_layer_carries_only_position_and_count():
    layer = maps.event_hex_layer(make_events(500))
    assert layer.type == "HexagonLayer"
    assert len(layer.data) == 500
    assert all(set(r) == {"p", "n"} for r in layer.data)
    as_json = layer_json(layer)
    assert as_json["colorAggregation"] == "SUM"
    assert as_json["getColorWeight"] == "@@=n"
    assert as_json["pickable"] is False


def test_recurrent_strips_one_ring_per_strip():
    events = pd.DataFrame(
        {
            "lat": [-12.0, -12.0, -12.1, -9.0, -9.5],
            "lon": [-74.0, -74.0, -74.1, -75.0, -75.5],
            "date": pd.to_datetime(["2014-01-01", "2014-03-01", "2014-02-01", "2015-01-01", "2015-01-01"]),
            "count": [1, 1, 1, 1, 1],
            "place": ["A", "A2", "B", "C", "D"],
            "provenance": "simulated",
            "source_title": "",
            "airstrip_id": ["s1", "s1", "s2", None, "s4"],
            "times_destroyed": [2, 3, 1, 4, 2],
            "days_to_rebuild": [4.0, 8.0, 2.0, np.nan, np.nan],
        }
    )
    layer = maps.recurrent_strips_layer(events)
    assert layer.id == "recurrent-strips"
    rows = {r["pl"]: r for r in layer.data}
    assert set(rows) == {"A2", "C", "D"}  # s2 destroyed once: no ring; s1 once, at its latest row
    assert rows["A2"]["td"] == 3 and rows["A2"]["dr"] == "6"
    assert rows["C"]["dr"] == "—"
    assert all(r["k"] == "s" for r in layer.data)
    assert layer_json(layer)["stroked"] is True


@needs_shared_geo
def test_rivers_layer():
    layer = maps.rivers_layer(geo.load_rivers(geo_dir=SHARED_GEO))
    assert layer.id == "rivers"
    assert {f["properties"]["name"] for f in layer.data["features"]} >= {"Ucayali", "Huallaga"}


# ---------------------------------------------------------------------------------------
# deck: basemap, payload, tooltip, view


def test_blank_basemap_fetches_nothing_from_carto_or_mapbox():
    deck = maps.build_deck([maps.event_hex_layer(make_events(50))], basemap="none")
    text = deck.to_json()
    assert "mapbox://" not in text
    assert "carto" not in text.lower()
    spec = json.loads(text)
    assert spec["mapStyle"] == maps.BLANK_STYLE_URL
    assert "mapProvider" not in spec
    custom = maps.build_deck([], basemap="none", blank_style_url="/pistas/app/static/blank-style.json")
    assert json.loads(custom.to_json())["mapStyle"] == "/pistas/app/static/blank-style.json"


def test_carto_basemap_is_the_apps_style_with_carto_raster_tiles_over_a_background():
    spec = json.loads(maps.build_deck([], basemap="carto").to_json())
    assert "mapProvider" not in spec  # pydeck's CARTO style document would come from CARTO
    assert spec["mapStyle"] == maps.CARTO_STYLE_URL == "/app/static/carto-style.json"
    style = json.loads((REPO / "static" / "carto-style.json").read_text(encoding="utf-8"))
    assert style["version"] == 8
    # offline the background layer still draws (served by the app); the tiles simply do not come
    assert style["layers"][0] == {
        "id": "background",
        "type": "background",
        "paint": {"background-color": "#eceff1"},
    }
    assert [layer["type"] for layer in style["layers"]] == ["background", "raster"]
    assert all(
        u.startswith("https://") and "basemaps.cartocdn.com/light_all/" in u
        for u in style["sources"]["carto-light"]["tiles"]
    )
    assert "glyphs" not in style and "sprite" not in style  # nothing else fetched
    with pytest.raises(ValueError):
        maps.build_deck([], basemap="satellite")


def test_blank_style_file_is_a_minimal_maplibre_style():
    style = json.loads((REPO / "static" / "blank-style.json").read_text(encoding="utf-8"))
    assert style["version"] == 8
    assert style["sources"] == {}
    assert "glyphs" not in style and "sprite" not in style
    assert [layer["type"] for layer in style["layers"]] == ["background"]
    assert "http" not in json.dumps(style)
    assert maps.BLANK_STYLE_URL == "/app/static/blank-style.json"


@needs_shared_geo
def test_national_deck_with_10k_events_is_small(boundaries):
    events = make_events(10_000)
    layers = [
        maps.region_layer(boundaries, metric_frame()),
        maps.rivers_layer(geo.load_rivers(geo_dir=SHARED_GEO)),
        maps.event_hex_layer(events),
        maps.recurrent_strips_layer(events),
    ]
    deck = maps.build_deck(layers, basemap="none", tooltip_labels=SPANISH)
    assert isinstance(deck, pdk.Deck)
    text = deck.to_json()
    assert len(text) < 1_500_000, len(text)
    assert len(json.loads(text)["layers"]) == 4
    assert not re.search(r"-?\d+\.\d{5,}", text)  # coordinates rounded to 4 decimals


@needs_shared_geo
def test_points_deck_with_10k_demo_events_is_under_the_limit(boundaries):
    # Demo-like rows: simulated, so without a source title. Each point carries its tooltip
    # fields (~120-150 bytes), which is why the national view uses hexagons instead.
    events = make_events(10_000).assign(provenance="simulated", source_title="")
    deck = maps.build_deck(
        [maps.region_layer(boundaries, metric_frame()), *maps.event_points_layers(events)],
        basemap="carto",
    )
    assert len(deck.to_json()) < 1_500_000


def test_tooltip_uses_the_supplied_labels():
    deck = maps.build_deck([], tooltip_labels=SPANISH)
    tip = deck._tooltip  # what st.pydeck_chart sends beside the spec
    assert tip == maps.deck_tooltip(SPANISH)
    for label in SPANISH.values():
        assert label in tip["html"]
    for english in ("Date", "Provenance", "Times destroyed", "Days to rebuild"):
        assert english not in tip["html"]
    assert "Date:" in maps.deck_tooltip()["html"]  # English by default
    assert "&lt;b&gt;" in maps.deck_tooltip({"place": "<b>"})["html"]  # labels are escaped
    with pytest.raises(ValueError, match="unknown tooltip labels"):
        maps.deck_tooltip({"fecha": "Fecha"})


def _fill(template: str, obj: dict) -> str:
    """Streamlit's substitution: {field} from the object, else its properties, else left."""
    props = obj.get("properties") or {}

    def one(m: re.Match) -> str:
        key = m.group(1)
        if key in obj:
            return str(obj[key])
        return str(props[key]) if key in props else m.group(0)

    return re.sub(r"{(.*?)}", one, template)


def _visible_fields(kind: str) -> set[str]:
    blocks = {"r": ["pt-r"], "z": ["pt-r"], "e": ["pt-e"], "s": ["pt-e", "pt-s"]}[kind]
    html = maps.deck_tooltip()["html"]
    fields: set[str] = set()
    for block in blocks:
        body = re.search(rf'<div class="pt-b {block}">(.*?)</div>', html).group(1)
        fields |= set(re.findall(r"{(\w+)}", body))
    return fields


@needs_shared_geo
def test_every_pickable_record_fills_its_tooltip_block(boundaries, regions_table):
    events = make_events(300)
    layers = [
        maps.region_layer(boundaries, metric_frame()),
        maps.region_centroid_layer(regions_table, metric_frame()),
        *maps.event_points_layers(events),
        maps.recurrent_strips_layer(events),
        maps.coca_zone_layer(
            pd.DataFrame(
                {
                    "zone": ["VRAEM"],
                    "lat": [-12.27],
                    "lon": [-73.65],
                    "hectares": [35709.0],
                    "label": ["35,106 ha | 35,709 ha"],
                }
            )
        ),
    ]
    html = maps.deck_tooltip(SPANISH)["html"]
    for layer in layers:
        records = layer.data["features"] if isinstance(layer.data, dict) else layer.data
        assert records, layer.id
        for record in records[:50]:
            values = {**record, **(record.get("properties") or {})}
            kind = values["k"]
            assert _visible_fields(kind) <= set(values), (layer.id, kind)
            filled = _fill(html, record)
            assert f'class="pt-{kind}"' in filled


def test_views():
    tall = json.loads(maps.build_deck([], height=800).to_json())["initialViewState"]
    assert (tall["latitude"], tall["longitude"], tall["zoom"]) == (-9.2, -75.0, 4.6)
    national = json.loads(maps.build_deck([]).to_json())["initialViewState"]  # 500 px high
    assert (national["latitude"], national["longitude"]) == (-9.2, -75.0)
    assert 4.0 < national["zoom"] < 4.6  # zoomed out just enough to show Peru whole
    vraem = json.loads(maps.build_deck([], view=(-75.0, -13.5, -73.0, -11.5)).to_json())["initialViewState"]
    assert vraem["latitude"] == pytest.approx(-12.5) and vraem["longitude"] == pytest.approx(-74.0)
    assert vraem["zoom"] > national["zoom"]
    with pytest.raises(ValueError):
        maps.view_state_for((-73.0, -11.5, -75.0, -13.5))


# ---------------------------------------------------------------------------------------
# colour scales and palettes


def test_region_colour_scale_equal_and_quantile():
    scale = maps.region_colour_scale([0, 10, 20, 50, 100], n_classes=5)
    assert [(b.lo, b.hi) for b in scale] == [(0, 20), (20, 40), (40, 60), (60, 80), (80, 100)]
    assert scale[0].rgb == maps.SEQUENTIAL[0] and scale[-1].rgb == maps.SEQUENTIAL[-1]
    assert scale[0].hex == "#ffffb2"
    assert maps.colour_for_value(100, scale) == maps.SEQUENTIAL[-1]
    assert maps.colour_for_value(20, scale) == scale[0].rgb
    assert maps.colour_for_value(float("nan"), scale) == maps.NO_DATA_RGB

    quant = maps.region_colour_scale([1, 1, 2, 3, 1000], n_classes=4, method="quantile")
    assert quant[0].lo == 1 and quant[-1].hi == 1000
    assert maps.colour_for_value(2, quant) != maps.colour_for_value(1000, quant)

    assert maps.region_colour_scale([]) == []
    assert maps.region_colour_scale([float("nan")]) == []
    assert len(maps.region_colour_scale([0, 0])) == 1
    assert maps.colour_for_value(7, maps.region_colour_scale([7, 7])) == maps.SEQUENTIAL[-1]
    assert maps.region_colour_scale([-5, 5], n_classes=2)[0].lo == -5


def test_palettes_cover_the_schema():
    assert set(maps.EVENT_TYPE_COLOURS) == set(EVENT_TYPES)
    assert set(maps.ROUTE_COLOURS) == set(ROUTES)
    assert len(set(maps.EVENT_TYPE_COLOURS.values())) == len(EVENT_TYPES)
    assert maps.category_legend("route")["river"] == "#0072b2"


def test_attribution():
    assert "INEI" in maps.map_attribution(basemap="none")
    assert "CARTO" not in maps.map_attribution(basemap="none")
    assert "OpenStreetMap" in maps.map_attribution(basemap="carto")


def test_lib_imports_without_streamlit():
    code = "import sys, lib.geo, lib.maps; assert 'streamlit' not in sys.modules, 'streamlit imported'"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_serialized_deck_sends_what_the_deck_would():
    from streamlit.elements.deck_gl_json_chart import _get_pydeck_tooltip

    deck = maps.build_deck(maps.event_points_layers(make_events(30)), basemap="none", tooltip_labels=SPANISH)
    frozen = maps.SerializedDeck.of(deck)
    assert frozen.to_json() == deck.to_json()
    assert _get_pydeck_tooltip(frozen) == _get_pydeck_tooltip(deck) == maps.deck_tooltip(SPANISH)
    assert pickle.loads(pickle.dumps(frozen)) == frozen  # st.cache_data stores it pickled


# ---------------------------------------------------------------------------------------
# reading without tiles: region names, coca zones, rings over hexagons, fitted views


def shipped_regions() -> dict:
    return json.loads(geo.SHIPPED_REGIONS.read_text(encoding="utf-8"))


def test_region_names_are_drawn_inside_their_regions_with_accents():
    from shapely.geometry import Point, shape

    regions = shipped_regions()
    points = maps.region_label_points(regions)
    names = [n for n, _, _ in points]
    assert sorted(names) == sorted(set(REGIONS) - {"Callao"})
    shapes = {f["properties"]["name"]: shape(f["geometry"]) for f in regions["features"]}
    assert all(shapes[n].contains(Point(lon, lat)) for n, lon, lat in points)
    spec = layer_json(maps.region_label_layer(points))
    assert spec["@@type"] == "TextLayer" and spec["id"] == "region-names"
    assert spec["characterSet"] == "auto"  # deck.gl's default atlas has no "á", "í", "ú"
    assert not spec.get("pickable")  # a click goes through to the region
    assert spec["fontFamily"] == "Source Sans Pro, Helvetica Neue, Arial, sans-serif"  # a value, not "@@=..."
    huanuco = next((lon, lat) for n, lon, lat in points if n == "Huánuco")
    assert {"p": list(huanuco), "t": "Huánuco"} in spec["data"]


def test_coca_zone_circles_have_area_in_proportion_to_hectares():
    zones = pd.DataFrame(
        {
            "zone": ["VRAEM", "Callería"],
            "lat": [-12.27, -8.67],
            "lon": [-73.65, -74.06],
            "hectares": [36000.0, 4000.0],
            "label": ["a", "b"],
        }
    )
    layer = maps.coca_zone_layer(zones, max_hectares=36000.0, max_radius_m=30000.0)
    assert layer.id == "coca-zones"
    radii = {r["name"]: r["r"] for r in layer.data}
    assert radii == {"VRAEM": 30000, "Callería": 10000}  # sqrt(4000/36000) = 1/3
    assert all(r["k"] == "z" for r in layer.data)


def test_rings_over_hexagons_are_thin_outlines():
    events = make_events(300)
    over = layer_json(maps.recurrent_strips_layer(events, outline_only=True))
    under = layer_json(maps.recurrent_strips_layer(events))
    assert over["filled"] is False and under["filled"] is True
    assert over["lineWidthMinPixels"] < under["lineWidthMinPixels"]
    assert over["radiusMaxPixels"] < under["radiusMaxPixels"]


def test_view_fits_the_chosen_regions():
    bbox = maps.regions_bbox(shipped_regions(), ["Ucayali"])
    lon_min, lat_min, lon_max, lat_max = bbox
    assert lon_min < -74.55 < lon_max and lat_min < -8.38 < lat_max  # Pucallpa inside
    assert maps.regions_bbox(shipped_regions(), ["Atlantis"]) is None
    view = json.loads(maps.build_deck([], view=bbox, height=560).to_json())["initialViewState"]
    national = json.loads(maps.build_deck([], height=560).to_json())["initialViewState"]
    assert view["zoom"] > national["zoom"] + 1
    assert lat_min < view["latitude"] < lat_max and lon_min < view["longitude"] < lon_max


def test_region_borders_are_not_pickable():
    # deck.gl picks on every pointer-down; picking the borders' path layer made a press outlast a click
    fill = layer_json(maps.region_layer(shipped_regions(), metric_frame()))
    outline = layer_json(maps.region_outline_layer(shipped_regions()))
    assert fill["pickable"] is True and fill["stroked"] is False
    assert outline["pickable"] is False and outline["stroked"] is True and outline["filled"] is False
    assert len(outline["data"]["features"]) == 25
