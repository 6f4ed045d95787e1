"""DataFrame -> pydeck Deck, as pure functions (no Streamlit).

Layers
------
Each layer function returns a ``pydeck.Layer`` (the event points: one per colour) whose data
are plain Python records holding only the columns the layer draws or its tooltip shows, with
coordinates rounded to :data:`COORD_DECIMALS`; colours and radii are computed here, in Python.
Layer ids are stable so a page can read selections: ``regions``, ``events-<type or route>``,
``events-hex``, ``recurrent-strips``, ``rivers``, ``region-outlines``, ``region-names``, ``coca-zones``. Record keys are short because they repeat on
every row: ``p`` [lon, lat], ``r`` radius (m), ``c`` colour, ``k`` kind, ``n`` count, ``pl`` place,
``d`` date, ``pv`` provenance, ``s`` source, ``td`` times destroyed, ``dr`` days to rebuild;
region records and features carry ``name`` and ``label``.

Tooltip
-------
Streamlit fills ``{field}`` in one deck-wide HTML template from the picked object (or its
``properties``), HTML-escaped. Every pickable record therefore carries ``k`` (its kind:
``r`` region, ``e`` event, ``s`` recurrent strip, ``z`` coca zone: shown like a region) and the template shows only the block for
that kind, through a class on the outer element. Field names (labels) come from
``tooltip_labels`` in :func:`build_deck`, so the caller picks the language. Values are shown
as given: translate ``provenance`` and friends in the frame before calling, if wanted.

Basemap
-------
Both basemaps are MapLibre styles served by the app from ``static/`` (at ``/app/static/...``
with ``server.enableStaticServing``), so the map always has its background and draws its
layers without a network: ``basemap="carto"`` (``carto-style.json``) adds CARTO's light raster
tiles, which fill in when the browser can reach them and are simply absent when it cannot;
``basemap="none"`` (``blank-style.json``) fetches nothing at all. pydeck's own CARTO style is
not used: its style document comes from CARTO, so offline there is no background at all, and
``map_style=None`` makes Streamlit fall back to CARTO's tiles anyway. The regions, their
names (:func:`region_label_layer`) and the rivers carry the map when tiles are missing.

Payload
-------
:func:`build_deck` returns a :class:`CompactDeck`, a ``pydeck.Deck`` whose ``to_json`` (what
``st.pydeck_chart`` and ``to_html`` send) has no indentation: about a third of pydeck's
indented output. A national deck with 10,000 events (hexagons) and the light regions is
well under 1.5 MB (see tests/test_maps.py).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from lib.geo import BASEMAP_ATTRIBUTION, GEO_ATTRIBUTION, round_geometry
from lib.schema import canonical_region

RGB = tuple[int, int, int]
Bbox = tuple[float, float, float, float]  # (lon_min, lat_min, lon_max, lat_max)

COORD_DECIMALS = 4
BLANK_STYLE_URL = "/app/static/blank-style.json"
CARTO_STYLE_URL = "/app/static/carto-style.json"
NATIONAL_VIEW = {"latitude": -9.2, "longitude": -75.0, "zoom": 4.6}
PERU_EXTENT = (-81.35, -18.4, -68.65, 0.0)  # lon_min, lat_min, lon_max, lat_max of the land
DEFAULT_VIEWPORT_PX = (800, 500)  # st.pydeck_chart's default height

# Sequential palette for choropleths and hexagons (ColorBrewer YlOrRd, 6 classes).
SEQUENTIAL: tuple[RGB, ...] = (
    (255, 255, 178),
    (254, 217, 118),
    (254, 178, 76),
    (253, 141, 60),
    (240, 59, 32),
    (189, 0, 38),
)
NO_DATA_RGB: RGB = (215, 215, 215)
REGION_FILL_ALPHA = 190
REGION_LINE_RGB: RGB = (90, 90, 90)
RIVER_RGB: RGB = (64, 135, 200)
RECURRENT_RGB: RGB = (200, 0, 120)
LABEL_RGB: RGB = (35, 35, 35)
COCA_ZONE_RGB: RGB = (0, 120, 60)
COCA_ZONE_MAX_RADIUS_M = 45000.0  # the largest zone-year (VRAEM, ~38,000 ha)
# Region names drawn on the map; Callao sits inside Lima's label at national zoom.
UNLABELLED_REGIONS = frozenset({"Callao"})

# Categorical colours (Okabe-Ito, readable with colour-blindness).
EVENT_TYPE_COLOURS: dict[str, RGB] = {
    "airstrip_destroyed": (213, 94, 0),
    "airstrip_detected": (230, 159, 0),
    "airstrip_rebuilt": (204, 121, 167),
    "flight_detected": (86, 180, 233),
    "aircraft_interdicted": (0, 114, 178),
    "seizure": (0, 158, 115),
}
ROUTE_COLOURS: dict[str, RGB] = {
    "air": (86, 180, 233),
    "land": (213, 94, 0),
    "river": (0, 114, 178),
    "sea": (0, 158, 115),
}
UNKNOWN_RGB: RGB = (150, 150, 150)

DEFAULT_TOOLTIP_LABELS: dict[str, str] = {
    "place": "Place",
    "date": "Date",
    "count": "Count",
    "provenance": "Provenance",
    "source": "Source",
    "times_destroyed": "Times destroyed",
    "days_to_rebuild": "Days to rebuild",
}

EVENT_RADIUS_M = 2500.0  # radius of a single event; grows with sqrt(count)
CENTROID_MAX_RADIUS_M = 60000.0
SOURCE_MAX_CHARS = 80


# ---------------------------------------------------------------------------------------
# colour scales


@dataclass(frozen=True)
class ColourBin:
    """One legend entry: values in [lo, hi] get ``rgb`` (``hi`` inclusive for the last)."""

    lo: float
    hi: float
    rgb: RGB

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


def region_colour_scale(
    values: Iterable[float] | pd.Series,
    *,
    n_classes: int = 5,
    method: Literal["equal", "quantile"] = "equal",
    palette: Sequence[RGB] = SEQUENTIAL,
) -> list[ColourBin]:
    """Legend entries (value range -> colour) for a sequential choropleth.

    ``equal``: equal-width classes from 0 (or the minimum, if negative) to the maximum.
    ``quantile``: class edges at quantiles, for skewed counts. NaNs are ignored; no finite
    value gives an empty list (everything is drawn as "no data").
    """
    vals = pd.Series(list(values), dtype="float64").dropna()
    vals = vals[vals.map(math.isfinite)]
    if vals.empty:
        return []
    lo, hi = float(vals.min()), float(vals.max())
    if method == "equal" and lo >= 0:
        lo = 0.0
    if hi <= lo:
        return [ColourBin(lo, hi, tuple(palette[-1]))]  # type: ignore[arg-type]
    n = max(1, min(n_classes, len(palette)))
    if method == "quantile":
        edges = sorted(set(float(q) for q in vals.quantile([i / n for i in range(n + 1)])))
        if len(edges) < 2:
            edges = [lo, hi]
    else:
        edges = [lo + (hi - lo) * i / n for i in range(n + 1)]
    k = len(edges) - 1
    # Spread the classes over the whole palette, so 3 classes still run pale -> dark.
    picks = [round(i * (len(palette) - 1) / max(k - 1, 1)) for i in range(k)]
    return [ColourBin(edges[i], edges[i + 1], tuple(palette[picks[i]])) for i in range(k)]  # type: ignore[misc]


def colour_for_value(value: float | None, scale: Sequence[ColourBin]) -> RGB:
    """The colour of ``value`` on ``scale``; NO_DATA_RGB for None/NaN or an empty scale."""
    if value is None or not scale or not math.isfinite(float(value)):
        return NO_DATA_RGB
    for entry in scale:
        if value <= entry.hi:
            return entry.rgb
    return scale[-1].rgb


def category_legend(colour_by: Literal["event_type", "route"]) -> dict[str, str]:
    """Category -> hex colour used by :func:`event_points_layers` (for a drawn legend's swatches)."""
    colours = EVENT_TYPE_COLOURS if colour_by == "event_type" else ROUTE_COLOURS
    return {k: "#{:02x}{:02x}{:02x}".format(*v) for k, v in colours.items()}


# ---------------------------------------------------------------------------------------
# small helpers


def _rgba(rgb: Sequence[int], alpha: int | None = None) -> list[int]:
    return [int(c) for c in rgb] + ([alpha] if alpha is not None else [])


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if value is pd.NaT:
        return ""
    return str(value)


def _texts(series: pd.Series) -> list[str]:
    """`_text` of each value, vectorised (10k tooltip rows per deck)."""
    return series.astype("string").fillna("").tolist()


def _date_text(series: pd.Series) -> list[str]:
    return pd.to_datetime(series, errors="coerce").dt.strftime("%Y-%m-%d").fillna("").tolist()


def _number_text(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(v):
        return ""
    return f"{v:.0f}" if v == int(v) else f"{v:.1f}"


def _coord(series: pd.Series) -> list[float]:
    # Python's round, not numpy's: it rounds the exact binary value (float32 columns sit on ties).
    return [round(v, COORD_DECIMALS) for v in pd.to_numeric(series, errors="coerce").astype(float).tolist()]


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; has {list(df.columns)}")


def _located(events: pd.DataFrame) -> pd.DataFrame:
    """Rows with usable coordinates (lat/lon are nullable in the events table)."""
    _require(events, ("lat", "lon"), "events frame")
    lat = pd.to_numeric(events["lat"], errors="coerce")
    lon = pd.to_numeric(events["lon"], errors="coerce")
    return events[lat.notna() & lon.notna()]


def _metric_by_region(metric_df: pd.DataFrame) -> dict[str, tuple[float | None, str]]:
    _require(metric_df, ("region", "value"), "regions metric frame")
    labels = metric_df["label"] if "label" in metric_df.columns else [None] * len(metric_df)
    out: dict[str, tuple[float | None, str]] = {}
    for region, value, label in zip(metric_df["region"], metric_df["value"], labels, strict=True):
        name = canonical_region(str(region)) if region is not None else None
        if name is None:
            continue
        v = None if value is None or pd.isna(value) else float(value)
        out[name] = (v, _text(label) if label is not None else _number_text(v))
    return out


# ---------------------------------------------------------------------------------------
# layers


def region_layer(
    geojson: dict,
    metric_df: pd.DataFrame,
    *,
    scale: Sequence[ColourBin] | None = None,
    no_data_label: str = "—",
    layer_id: str = "regions",
) -> pdk.Layer:
    """Choropleth of ``metric_df`` (region, value, label) over the region boundaries.

    Fill colours are computed here from ``scale`` (default :func:`region_colour_scale` of
    the values) into each feature's ``properties.fill``. The input geojson is not modified.
    """
    metric = _metric_by_region(metric_df)
    if scale is None:
        scale = region_colour_scale(v for v, _ in metric.values() if v is not None)
    features = []
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        name = canonical_region(str(props.get("name", ""))) or str(props.get("name", ""))
        value, label = metric.get(name, (None, no_data_label))
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "k": "r",
                    "name": name,
                    "label": label or no_data_label,
                    "fill": _rgba(colour_for_value(value, scale), REGION_FILL_ALPHA),
                },
                "geometry": round_geometry(feature["geometry"], COORD_DECIMALS),
            }
        )
    return pdk.Layer(
        "GeoJsonLayer",
        data={"type": "FeatureCollection", "features": features},
        id=layer_id,
        pickable=True,
        stroked=False,  # borders are region_outline_layer's: picking a path layer is slow
        filled=True,
        get_fill_color="properties.fill",
        auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
    )


def region_outline_layer(geojson: dict, *, layer_id: str = "region-outlines") -> pdk.Layer:
    """The regions' borders, not pickable.

    Kept apart from :func:`region_layer` because deck.gl picks on every pointer-down, and
    picking the borders' path layer cost ~180 ms in software WebGL (headless Chromium, a
    laptop without a GPU driver): with the event points on top the press then outlasted
    the 250 ms a click may take, and clicks were lost (points view only, issue 14).
    """
    features = [
        {"type": "Feature", "properties": {}, "geometry": round_geometry(f["geometry"], COORD_DECIMALS)}
        for f in geojson.get("features", [])
        if f.get("geometry")
    ]
    return pdk.Layer(
        "GeoJsonLayer",
        data={"type": "FeatureCollection", "features": features},
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=_rgba(REGION_LINE_RGB, 200),
        line_width_min_pixels=0.8,
    )


def region_centroid_layer(
    regions_df: pd.DataFrame,
    metric_df: pd.DataFrame,
    *,
    scale: Sequence[ColourBin] | None = None,
    max_radius_m: float = CENTROID_MAX_RADIUS_M,
    no_data_label: str = "—",
    layer_id: str = "regions",
) -> pdk.Layer:
    """No-boundaries fallback: a circle per region at its centroid, area ∝ value.

    ``regions_df`` is the regions table (name, centroid_lat, centroid_lon); every region in
    it gets a row, with the no-data colour when ``metric_df`` has no value for it.
    """
    _require(regions_df, ("name", "centroid_lat", "centroid_lon"), "regions table")
    metric = _metric_by_region(metric_df)
    if scale is None:
        scale = region_colour_scale(v for v, _ in metric.values() if v is not None)
    finite = [v for v, _ in metric.values() if v is not None and v > 0]
    vmax = max(finite) if finite else 0.0
    records = []
    for name_raw, lat, lon in zip(
        regions_df["name"],
        _coord(regions_df["centroid_lat"]),
        _coord(regions_df["centroid_lon"]),
        strict=True,
    ):
        name = canonical_region(str(name_raw)) or str(name_raw)
        value, label = metric.get(name, (None, no_data_label))
        share = math.sqrt(value / vmax) if value is not None and value > 0 and vmax > 0 else 0.0
        records.append(
            {
                "p": [lon, lat],
                "r": round(max_radius_m * share),
                "c": _rgba(colour_for_value(value, scale), 220),
                "k": "r",
                "name": name,
                "label": label or no_data_label,
            }
        )
    return pdk.Layer(
        "ScatterplotLayer",
        data=records,
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_position="p",
        get_radius="r",
        get_fill_color="c",
        get_line_color=_rgba(REGION_LINE_RGB, 220),
        line_width_min_pixels=1,
        radius_min_pixels=4,
        radius_max_pixels=60,
    )


def _event_tooltip_fields(events: pd.DataFrame) -> dict[str, list[str]]:
    n = len(events)
    source = events["source_title"] if "source_title" in events.columns else [None] * n
    return {
        "place": _texts(events["place"]) if "place" in events.columns else [""] * n,
        "date": _date_text(events["date"]) if "date" in events.columns else [""] * n,
        "provenance": _texts(events["provenance"]) if "provenance" in events.columns else [""] * n,
        "source": [v[:SOURCE_MAX_CHARS] for v in _texts(pd.Series(source, dtype=object))],
    }


def _counts(events: pd.DataFrame) -> list[int]:
    if "count" not in events.columns:
        return [1] * len(events)
    return [max(1, int(v)) for v in pd.to_numeric(events["count"], errors="coerce").fillna(1)]


def event_points_layers(
    events: pd.DataFrame,
    colour_by: Literal["event_type", "route"] = "event_type",
    *,
    radius_m: float = EVENT_RADIUS_M,
    layer_id: str = "events",
) -> list[pdk.Layer]:
    """Circles for located events, one layer per colour (event type or route): radius ∝ sqrt(count).

    The colour is the layer's, not each record's: 10,000 points send ~190 KB less. Layers are
    ``{layer_id}-{category}`` (unknown categories grey), the most numerous first so that rare
    events are drawn on top. Rows without
    lat/lon are skipped. Each record carries the tooltip fields (place, date, count,
    provenance, source), so keep this for bounded row counts; :func:`event_hex_layer` is the
    national-zoom view of many events.
    """
    if colour_by not in ("event_type", "route"):
        raise ValueError(f"colour_by must be 'event_type' or 'route', not {colour_by!r}")
    located = _located(events)
    colours = EVENT_TYPE_COLOURS if colour_by == "event_type" else ROUTE_COLOURS
    cats = pd.Series(
        _texts(located[colour_by]) if colour_by in located.columns else [""] * len(located),
        index=located.index,
    )
    # Most numerous first, rarest last (drawn on top): a layer hides what lies under it, and
    # an interdiction or a destroyed strip must not vanish under thousands of detected flights.
    counts = cats.value_counts()
    legend = {c: i for i, c in enumerate(colours)}
    order = sorted(counts.index, key=lambda c: (-counts[c], legend.get(c, len(legend)), c))
    return [
        _points_layer(
            located[cats == cat], colours.get(cat, UNKNOWN_RGB), radius_m, f"{layer_id}-{cat or 'unknown'}"
        )
        for cat in order
    ]


def _points_layer(located: pd.DataFrame, colour: RGB, radius_m: float, layer_id: str) -> pdk.Layer:
    counts = _counts(located)
    tips = _event_tooltip_fields(located)
    records = [
        {
            "p": [lon, lat],
            "r": round(radius_m * math.sqrt(n)),
            "k": "e",
            "n": n,
            "pl": place,
            "d": date,
            "pv": prov,
            "s": src,
        }
        for lon, lat, n, place, date, prov, src in zip(
            _coord(located["lon"]),
            _coord(located["lat"]),
            counts,
            tips["place"],
            tips["date"],
            tips["provenance"],
            tips["source"],
            strict=True,
        )
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        data=records,
        id=layer_id,
        pickable=True,
        stroked=False,
        filled=True,
        get_position="p",
        get_radius="r",
        get_fill_color=_rgba(colour),
        opacity=0.85,
        radius_min_pixels=2,
        radius_max_pixels=30,
        auto_highlight=True,
    )


def event_hex_layer(
    events: pd.DataFrame,
    *,
    radius_m: float = 20000.0,
    layer_id: str = "events-hex",
) -> pdk.Layer:
    """Hexagon bins of located events, coloured by the sum of ``count`` (deck.gl aggregates).

    Records hold only position and count. Not pickable: a hexagon has no place or source.
    """
    located = _located(events)
    records = [
        {"p": [lon, lat], "n": n}
        for lon, lat, n in zip(_coord(located["lon"]), _coord(located["lat"]), _counts(located), strict=True)
    ]
    return pdk.Layer(
        "HexagonLayer",
        data=records,
        id=layer_id,
        get_position="p",
        get_color_weight="n",
        get_elevation_weight="n",
        color_aggregation='"SUM"',
        elevation_aggregation='"SUM"',
        color_range=[_rgba(c) for c in SEQUENTIAL],
        radius=radius_m,
        coverage=0.9,
        extruded=False,
        opacity=0.75,
        pickable=False,
    )


def recurrent_strips_layer(
    events: pd.DataFrame,
    *,
    min_times: int = 2,
    radius_m: float = 4000.0,
    outline_only: bool = False,
    layer_id: str = "recurrent-strips",
) -> pdk.Layer:
    """Rings around airstrips destroyed more than once (``times_destroyed`` >= min_times).

    ``outline_only`` draws thin unfilled rings (over hexagons, so the hexagons' colour shows
    through); otherwise a faint fill and a 2 px outline (under the event points).

    One ring per ``airstrip_id`` (rows without one are kept as they are), at its latest
    row; ring size grows with times destroyed. ``days_to_rebuild`` is the mean over the
    strip's rows that have one.
    """
    _require(events, ("times_destroyed",), "events frame")
    located = _located(events)
    times = pd.to_numeric(located["times_destroyed"], errors="coerce")
    rec = located[times >= min_times].copy()
    rec["times_destroyed"] = pd.to_numeric(rec["times_destroyed"], errors="coerce")
    if "days_to_rebuild" not in rec.columns:
        rec["days_to_rebuild"] = float("nan")
    rec["days_to_rebuild"] = pd.to_numeric(rec["days_to_rebuild"], errors="coerce")
    if "airstrip_id" in rec.columns and len(rec):
        if "date" in rec.columns:
            rec = rec.assign(_d=pd.to_datetime(rec["date"], errors="coerce")).sort_values(
                "_d", kind="stable", na_position="first"
            )
        has_id = rec["airstrip_id"].notna()
        with_id = rec[has_id]
        grouped = with_id.groupby("airstrip_id", sort=False)
        last = grouped.tail(1).set_index("airstrip_id")
        last["times_destroyed"] = grouped["times_destroyed"].max()
        last["days_to_rebuild"] = grouped["days_to_rebuild"].mean()
        rec = pd.concat([last.reset_index(), rec[~has_id]], ignore_index=True)
    tips = _event_tooltip_fields(rec)
    records = [
        {
            "p": [lon, lat],
            "r": round(radius_m * math.sqrt(t)),
            "k": "s",
            "n": n,
            "pl": place,
            "d": date,
            "pv": prov,
            "s": src,
            "td": int(t),
            "dr": _number_text(d) or "—",
        }
        for lon, lat, t, d, n, place, date, prov, src in zip(
            _coord(rec["lon"]),
            _coord(rec["lat"]),
            rec["times_destroyed"],
            rec["days_to_rebuild"],
            _counts(rec),
            tips["place"],
            tips["date"],
            tips["provenance"],
            tips["source"],
            strict=True,
        )
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        data=records,
        id=layer_id,
        pickable=True,
        stroked=True,
        get_position="p",
        get_radius="r",
        filled=not outline_only,
        get_fill_color=_rgba(RECURRENT_RGB, 40),
        get_line_color=_rgba(RECURRENT_RGB, 200 if outline_only else 255),
        line_width_min_pixels=1 if outline_only else 2,
        radius_min_pixels=4 if outline_only else 6,
        radius_max_pixels=18 if outline_only else 40,
        auto_highlight=True,
    )


def rivers_layer(rivers_geojson: dict, *, layer_id: str = "rivers") -> pdk.Layer:
    """Blue lines for the main rivers (from ``lib.geo.load_rivers``); not pickable."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": (f.get("properties") or {}).get("name")},
            "geometry": round_geometry(f["geometry"], COORD_DECIMALS),
        }
        for f in rivers_geojson.get("features", [])
        if f.get("geometry")
    ]
    return pdk.Layer(
        "GeoJsonLayer",
        data={"type": "FeatureCollection", "features": features},
        id=layer_id,
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=_rgba(RIVER_RGB, 220),
        line_width_min_pixels=1.5,
    )


def region_label_points(geojson: dict) -> list[tuple[str, float, float]]:
    """(name, lon, lat) of a point inside each region for its label, Callao left out.

    The pole of inaccessibility (``shapely.ops.polylabel``: the inside point farthest from
    the border) of the region's largest part: inside even for crescent-shaped regions, and
    away from the neighbours' labels more often than a centroid.
    """
    from shapely.geometry import shape
    from shapely.ops import polylabel

    out = []
    for feature in geojson.get("features", []):
        name = canonical_region(str((feature.get("properties") or {}).get("name", "")))
        if not name or name in UNLABELLED_REGIONS or not feature.get("geometry"):
            continue
        geom = shape(feature["geometry"])
        # The largest part: Loreto's label belongs in its body, not on an island.
        if geom.geom_type == "MultiPolygon":
            geom = max(geom.geoms, key=lambda g: g.area)
        point = polylabel(geom, tolerance=0.02)
        out.append((name, round(point.x, 3), round(point.y, 3)))
    return out


def region_label_layer(
    points: Iterable[tuple[str, float, float]], *, layer_id: str = "region-names"
) -> pdk.Layer:
    """Region names at ``points`` (name, lon, lat): the map reads without basemap tiles.

    Not pickable, so a click goes through to the region under the name. ``characterSet``
    "auto" lets deck.gl draw the accented names (its default atlas is ASCII only).
    """
    records = [{"p": [lon, lat], "t": name} for name, lon, lat in points]
    return pdk.Layer(
        "TextLayer",
        data=records,
        id=layer_id,
        pickable=False,
        get_position="p",
        get_text="t",
        get_size=11,
        get_color=_rgba(LABEL_RGB, 230),
        # Quoted: pydeck turns a bare string into an accessor expression ("@@=...").
        font_family='"Source Sans Pro, Helvetica Neue, Arial, sans-serif"',
        font_weight=600,
        character_set='"auto"',
        # SDF for the white halo; a 32 px atlas (deck.gl's default is 64) is enough for 11 px
        # labels and cut the first draw in software WebGL from a median ~4.9 s to ~3.8 s.
        font_settings={"sdf": True, "fontSize": 32, "buffer": 3, "radius": 8},
        outline_width=3,
        outline_color=[255, 255, 255, 220],
        get_text_anchor='"middle"',
        get_alignment_baseline='"center"',
    )


def coca_zone_layer(
    zones: pd.DataFrame,
    *,
    max_hectares: float | None = None,
    max_radius_m: float = COCA_ZONE_MAX_RADIUS_M,
    layer_id: str = "coca-zones",
) -> pdk.Layer:
    """Circles for the coca zones of one year: area ∝ hectares, at each zone's point.

    ``zones`` has one row per zone: zone, lat, lon, hectares (the largest figure, for the
    size) and label (every figure side by side, for the tooltip). ``max_hectares`` fixes
    the size scale (e.g. over all years, so circles compare between years and panels).
    """
    _require(zones, ("zone", "lat", "lon", "hectares", "label"), "coca zones frame")
    ha = pd.to_numeric(zones["hectares"], errors="coerce")
    top = float(max_hectares if max_hectares is not None else (ha.max() if len(ha) else 0.0) or 0.0)
    records = [
        {
            "p": [lon, lat],
            "r": round(max_radius_m * math.sqrt(h / top)) if top > 0 and h > 0 else 0,
            "k": "z",
            "name": str(zone),
            "label": _text(label),
        }
        for zone, lon, lat, h, label in zip(
            zones["zone"],
            _coord(zones["lon"]),
            _coord(zones["lat"]),
            ha.fillna(0).tolist(),
            zones["label"],
            strict=True,
        )
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        data=records,
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_position="p",
        get_radius="r",
        get_fill_color=_rgba(COCA_ZONE_RGB, 70),
        get_line_color=_rgba(COCA_ZONE_RGB, 230),
        line_width_min_pixels=1.5,
        radius_min_pixels=3,
        radius_max_pixels=70,
        auto_highlight=True,
    )


def regions_bbox(geojson: dict, names: Iterable[str]) -> Bbox | None:
    """(lon_min, lat_min, lon_max, lat_max) around the named regions' polygons, or None."""
    wanted = {canonical_region(n) for n in names} - {None}
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
            return
        for c in coords:
            walk(c)

    for feature in geojson.get("features", []):
        name = canonical_region(str((feature.get("properties") or {}).get("name", "")))
        if name in wanted and feature.get("geometry"):
            walk(feature["geometry"].get("coordinates") or [])
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


# ---------------------------------------------------------------------------------------
# deck


class CompactDeck(pdk.Deck):
    """A pydeck.Deck whose JSON has no indentation (pydeck indents by 2: ~3x the bytes).

    Non-ASCII stays as UTF-8 text rather than ``\\uXXXX`` escapes (place names are Spanish).
    """

    def to_json(self) -> str:
        return json.dumps(
            self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False
        )


@dataclass(frozen=True)
class SerializedDeck:
    """A deck as the JSON text ``st.pydeck_chart`` sends, plus its tooltip: cacheable and cheap.

    ``st.pydeck_chart`` reads only ``to_json()``, ``_tooltip`` and a few optional attributes of
    the object it is given, so this stands in for the Deck once it has been built.
    """

    json: str
    tooltip: dict[str, Any]

    @classmethod
    def of(cls, deck: pdk.Deck) -> SerializedDeck:
        return cls(deck.to_json(), dict(deck._tooltip))

    def to_json(self) -> str:
        return self.json

    @property
    def _tooltip(self) -> dict[str, Any]:
        return self.tooltip


_TIP_CSS = (
    "<style>.pt-b{display:none}.pt-r .pt-r,.pt-z .pt-r,.pt-e .pt-e,.pt-s .pt-e,.pt-s .pt-s"
    "{display:block}</style>"
)


def deck_tooltip(tooltip_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The deck-wide tooltip ({html, style}) with field names from ``tooltip_labels``.

    Keys: place, date, count, provenance, source, times_destroyed, days_to_rebuild; missing
    keys fall back to English, unknown keys raise ValueError.
    """
    labels = dict(DEFAULT_TOOLTIP_LABELS)
    if tooltip_labels:
        unknown = set(tooltip_labels) - set(DEFAULT_TOOLTIP_LABELS)
        if unknown:
            raise ValueError(f"unknown tooltip labels {sorted(unknown)}; known: {list(labels)}")
        labels.update(tooltip_labels)
    lab = {k: html.escape(v) for k, v in labels.items()}
    html_template = (
        f'<div class="pt-{{k}}">{_TIP_CSS}'
        '<div class="pt-b pt-r"><b>{name}</b><br/>{label}</div>'
        '<div class="pt-b pt-e">'
        f"{lab['place']}: <b>{{pl}}</b>"
        f"<br/>{lab['date']}: {{d}}"
        f"<br/>{lab['count']}: {{n}}"
        f"<br/>{lab['provenance']}: {{pv}}"
        f"<br/>{lab['source']}: {{s}}</div>"
        '<div class="pt-b pt-s">'
        f"{lab['times_destroyed']}: {{td}}"
        f"<br/>{lab['days_to_rebuild']}: {{dr}}</div>"
        "</div>"
    )
    style = {
        "backgroundColor": "rgba(255,255,255,0.95)",
        "color": "#222",
        "fontSize": "12px",
        "lineHeight": "1.35",
        "padding": "6px 8px",
        "border": "1px solid #bbb",
        "maxWidth": "320px",
    }
    return {"html": html_template, "style": style}


def _fit_zoom(bbox: Bbox, viewport_px: tuple[int, int], margin: float) -> float:
    """The Web Mercator zoom at which ``bbox`` fills the viewport (deck.gl: 512 px world)."""
    lon_min, lat_min, lon_max, lat_max = bbox
    width, height = viewport_px

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    lon_span = max(lon_max - lon_min, 0.005) * margin
    y_span = max(abs(merc_y(lat_max) - merc_y(lat_min)), 0.005) * margin
    return min(math.log2(360 * width / (512 * lon_span)), math.log2(360 * height / (512 * y_span)))


def view_state_for(
    view: Literal["national"] | Bbox, *, viewport_px: tuple[int, int] = DEFAULT_VIEWPORT_PX
) -> pdk.ViewState:
    """National view over Peru, or the view that fits a bbox in a viewport of that size.

    National: centred on (-9.2, -75.0) at zoom 4.6, or less if the map is too short to show
    Peru whole (at 500 px high that is about 4.2).
    """
    if view == "national":
        zoom = min(NATIONAL_VIEW["zoom"], _fit_zoom(PERU_EXTENT, viewport_px, 1.04))
        return pdk.ViewState(
            latitude=NATIONAL_VIEW["latitude"],
            longitude=NATIONAL_VIEW["longitude"],
            zoom=round(zoom, 2),
            pitch=0,
            bearing=0,
        )
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in view)  # type: ignore[union-attr]
    if not (lon_min <= lon_max and lat_min <= lat_max):
        raise ValueError(f"bbox must be (lon_min, lat_min, lon_max, lat_max), got {view!r}")
    zoom = _fit_zoom((lon_min, lat_min, lon_max, lat_max), viewport_px, 1.15)
    return pdk.ViewState(
        latitude=round((lat_min + lat_max) / 2, 4),
        longitude=round((lon_min + lon_max) / 2, 4),
        zoom=round(max(1.0, min(zoom, 14.0)), 2),
        pitch=0,
        bearing=0,
    )


def build_deck(
    layers: Sequence[pdk.Layer],
    *,
    basemap: Literal["carto", "none"] = "carto",
    view: Literal["national"] | Bbox = "national",
    tooltip_labels: Mapping[str, str] | None = None,
    blank_style_url: str = BLANK_STYLE_URL,
    carto_style_url: str = CARTO_STYLE_URL,
    height: int | None = None,
    width: int | None = None,
) -> CompactDeck:
    """The deck: layers over the app's CARTO style (online tiles on an offline background)
    or its blank style.

    The style URLs must be reachable from the browser (``/app/static/...`` with static
    serving on; prefix them with ``server.baseUrlPath`` if one is set). ``height``/``width``
    are the map's size in pixels (as given to ``st.pydeck_chart``), used only to fit the
    initial view; by default 800 x 500.
    """
    if basemap == "carto":
        style = carto_style_url
    elif basemap == "none":
        style = blank_style_url
    else:
        raise ValueError(f"basemap must be 'carto' or 'none', not {basemap!r}")
    viewport = (width or DEFAULT_VIEWPORT_PX[0], height or DEFAULT_VIEWPORT_PX[1])
    return CompactDeck(
        layers=list(layers),
        initial_view_state=view_state_for(view, viewport_px=viewport),
        map_provider=None,
        map_style=style,
        tooltip=deck_tooltip(tooltip_labels),
    )


GEO_ATTRIBUTION_EN = (
    "Boundaries: INEI (Peru), via josedaniel-cb/limites-peru-geojson (MIT). "
    "Rivers: Natural Earth (public domain)."
)
BASEMAP_ATTRIBUTION_EN = "Basemap: © CARTO, © OpenStreetMap contributors"


def map_attribution(*, basemap: Literal["carto", "none"], boundaries: bool = True, lang: str = "es") -> str:
    """Attribution line for under the map, in the page's language: boundaries/rivers, plus
    CARTO/OSM when tiles show (the Spanish line is the one the data's README gives)."""
    geo_line, tiles = (
        (GEO_ATTRIBUTION, BASEMAP_ATTRIBUTION)
        if lang == "es"
        else (GEO_ATTRIBUTION_EN, BASEMAP_ATTRIBUTION_EN)
    )
    parts = [geo_line] if boundaries else []
    if basemap == "carto":
        parts.append(tiles)
    return " ".join(parts)
