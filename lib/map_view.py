"""The Map page's decks and legends as functions of (query, view, boundaries), like lib.views.

A panel is built once per view and language and then served as JSON text from the page's
cache (lib.ui.Page.map_panel): building and serialising the layers of 10,000 events costs
~150 ms, replaying the text a few ms, so the map reaches the browser sooner.

Legends are small SVG images (:func:`legend_svg`): colour swatches with the names of what
they mean, in the page's language, never hex codes. The region shading's classes come with
the panel (:class:`ShadeScale`); the two panels of a before/after split share one scale,
computed over both periods, and say so.

A click picks one object; :func:`picked_region` turns any of them into a region: a region
polygon (or its marker) by its name, an event, strip ring or coca zone by the region its
position falls in, so narrowing by click works in points and hexagon views alike.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any, Literal

import pandas as pd

from lib import geo, l10n, maps, queries
from lib.i18n import route_label, t, type_label
from lib.schema import AREA_REGIONS, canonical_place, canonical_region
from lib.views import Query, View, policy_label

log = logging.getLogger(__name__)
MAP_HEIGHT = 560
Which = Literal["whole", "before", "after"]
# The unit a shading's values are in (i18n "unit_<key>"; change is a percentage).
SHADE_UNITS = {
    "events": "unit_events",
    "destroyed": "unit_strips",
    "coca": "unit_ha",
    "change": "unit_change",
}


@dataclass(frozen=True)
class ShadeScale:
    """The region shading's legend: title, classes (value ranges -> colour), the unit key,
    and whether both panels of a split share it."""

    title: str
    bins: tuple[maps.ColourBin, ...]
    shade: str
    shared: bool = False


@dataclass(frozen=True)
class MapPanel:
    """One map of the page: the serialised deck, its legend title, and how many events are
    drawn (`shown`, a sample when there are many), have coordinates, and are in the period;
    the shading scale, and the year of the coca zones drawn (None when none are)."""

    deck: maps.SerializedDeck
    legend: str
    shown: int
    located: int
    events: int
    first_month: date
    last_month: date
    scale: ShadeScale | None = None
    zone_year: int | None = None


def shift_months(month: date, n: int) -> date:
    return (pd.Timestamp(month) + pd.DateOffset(months=n)).date()


def policy_periods(query: Query, view: View, f: queries.Filters) -> tuple[queries.Filters, queries.Filters]:
    """The view's filters for the `window` months before and after the chosen policy's month."""
    policy_day = query("policy_date", view.state.policy) or date(2015, 8, 20)
    start = policy_day.replace(day=1)
    window = view.state.window
    before = replace(f, first_month=shift_months(start, -window), last_month=shift_months(start, -1))
    after = replace(f, first_month=start, last_month=shift_months(start, window - 1))
    return before, after


def period_filters(query: Query, view: View, which: Which) -> queries.Filters:
    """The filters one map shows: the view (or its playback month), or a side of the policy split."""
    f = view.filters
    if which != "whole":
        before, after = policy_periods(query, view, f)
        return before if which == "before" else after
    if view.state.month:
        month = queries.month_date(view.state.month)
        return replace(f, first_month=month, last_month=month)
    return f


def coca_year(query: Query, f: queries.Filters, zones: bool = False) -> int:
    """The year of coca figures a period shows: its last year, within the years there are
    (of the department series, or with ``zones`` of the Devida zone panel)."""
    years = sorted({int(y) for y in zone_panel(query)["year"]}) if zones else query("coca_years")
    years = years or [2022]
    return min(max(f.last_month.year, years[0]), years[-1])


ZONE_PANEL_COLUMNS = ("year", "zone", "hectares", "source_id")


def zone_panel(query: Query) -> pd.DataFrame:
    """The Devida zone panel, or an empty one for a build without zones (a small test build
    made before the coca_zones table existed, whose coca table the panel query cannot read)."""
    try:
        return query("coca_zone_panel")
    except Exception as exc:  # noqa: BLE001 - the database's own error type; the map goes on without zones
        log.warning("coca zones left off the map: %s", exc.__class__.__name__)
        return pd.DataFrame({c: [] for c in ZONE_PANEL_COLUMNS})


def region_metric(query: Query, view: View, f: queries.Filters) -> tuple[pd.DataFrame, str]:
    """(region, value, label) for the chosen shading, and its legend title."""
    state, lang = view.state, view.lang
    if state.shade == "coca":
        year = coca_year(query, f)
        df = query("coca_by_region_year", year).rename(columns={"hectares": "value"})
        df["label"] = df["value"].map(lambda v: f"{v:,.0f} ha")
        return df, t("shade_coca", lang, year=year)
    if state.shade == "change":
        before, after = policy_periods(query, view, f)
        b = query("events_by_region", before).set_index("region")["n"]
        a = query("events_by_region", after).set_index("region")["n"]
        both = pd.concat({"before": b, "after": a}, axis=1).fillna(0)
        both = both[both["before"] > 0]
        df = pd.DataFrame({"region": both.index, "value": (both["after"] / both["before"] - 1).to_numpy()})
        df["label"] = [
            f"{v:+.0%} ({int(x):,} → {int(y):,})"
            for v, x, y in zip(df["value"], both["before"], both["after"], strict=True)
        ]
        label = policy_label(query, state.policy, lang)
        return df, t("shade_change", lang, policy=label, window=state.window)
    if state.shade == "destroyed":
        f = replace(f, types=("airstrip_destroyed",))
    df = query("events_by_region", f).rename(columns={"n": "value"})
    df["label"] = df["value"].map(lambda v: f"{v:,.0f}")
    return df, t(f"shade_{state.shade}", lang)


def tooltip_labels(lang: str) -> dict[str, str]:
    keys = ("place", "date", "count", "provenance", "source", "times_destroyed", "days_to_rebuild")
    return {k: t(f"tip_{k}", lang) for k in keys}


def coca_zones(query: Query, year: int) -> pd.DataFrame:
    """Devida coca zones of one year at their points: zone, lat, lon, hectares, label.

    A zone with several figures for the year (VRAEM 2022: 35,106 and 35,709 ha) keeps all
    of them side by side in ``label``, each with its source; ``hectares`` (the circle's size)
    is the largest, never an average. Zones not monitored that year (no figure) are left out.
    """
    panel = zone_panel(query)
    rows = panel[(panel["year"] == year) & panel["hectares"].notna()]
    publishers = _publishers(query)
    points = geo.coca_zone_points()
    out = []
    for zone, group in rows.groupby("zone", sort=True):
        if zone not in points:
            continue
        figures = [
            f"{h:,.0f} ha ({year}), {publishers.get(src) or src}"
            for h, src in zip(group["hectares"], group["source_id"], strict=True)
        ]
        lat, lon = points[zone]
        out.append(
            {
                "zone": zone,
                "lat": lat,
                "lon": lon,
                "hectares": float(group["hectares"].max()),
                "label": " | ".join(figures),
            }
        )
    # Largest first, so a small zone sharing a point (Putumayo's three) is drawn on top.
    frame = pd.DataFrame(out, columns=["zone", "lat", "lon", "hectares", "label"])
    return frame.sort_values("hectares", ascending=False, kind="stable").reset_index(drop=True)


def _publishers(query: Query) -> dict[str, str]:
    facts = query("evidence_timeline", ("coca",))
    pairs = facts[["source_id", "source_publisher"]].dropna().drop_duplicates("source_id")
    return dict(zip(pairs["source_id"], pairs["source_publisher"], strict=True))


def area_regions(places: Sequence[str]) -> list[str]:
    """The regions a view's places cover: an area's regions, or the region itself."""
    out: list[str] = []
    for place in places:
        for name in AREA_REGIONS.get(place, (place,)):
            region = canonical_region(name)
            if region and region not in out:
                out.append(region)
    return out


def view_for(view: View, regions: geo.GeoResult) -> Literal["national"] | maps.Bbox:
    """The national view, or the bounds of the regions the view's places cover."""
    names = area_regions(view.state.areas)
    if not names or regions.geojson is None:
        return "national"
    return maps.regions_bbox(regions.geojson, names) or "national"


def shade_scale(query: Query, view: View, which: Which) -> ShadeScale:
    """The shading's classes for one panel; a split's panels share one scale over both periods."""
    whiches: tuple[Which, ...] = ("before", "after") if which != "whole" else ("whole",)
    values: list[float] = []
    title = ""
    for w in whiches:
        metric, legend = region_metric(query, view, period_filters(query, view, w))
        values += [float(v) for v in metric["value"] if v is not None and not pd.isna(v)]
        if w == which:
            title = legend
    return ShadeScale(
        title, tuple(maps.region_colour_scale(values)), view.state.shade, shared=which != "whole"
    )


@lru_cache(maxsize=8)
def _label_points(geojson: _Hashed) -> tuple[tuple[str, float, float], ...]:
    return tuple(maps.region_label_points(geojson.obj))


def label_points(regions: geo.GeoResult) -> tuple[tuple[str, float, float], ...]:
    """Where the region names go (computed once per boundaries object: the dicts are shared)."""
    if regions.geojson is None:
        return ()
    return _label_points(_Hashed(regions.geojson))


class _Hashed:
    """A geojson dict keyed by identity for lru_cache (lib.geo shares one dict per file)."""

    def __init__(self, obj: dict) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Hashed) and other.obj is self.obj

    def get(self, key: str, default: Any = None) -> Any:
        return self.obj.get(key, default)


# Points drawn in the points view. deck.gl picks on every pointer-down; in software WebGL
# (headless Chromium, a laptop without a GPU driver) that costs ~16 µs a point, and a press
# longer than 250 ms is not a click: 10,000 points lost every click (issue 14), 5,000 leave
# room. Hexagons are not pickable and aggregate the whole sample.
POINTS_DRAWN = 5000
POINTS_FLOOR = 300  # each colour keeps at least this many (all, if it has fewer)


def points_sample(events: pd.DataFrame, colour_by: str, limit: int = POINTS_DRAWN) -> pd.DataFrame:
    """A repeatable sample of at most about ``limit`` events (by a hash of the event id), each
    colour keeping its share and at least :data:`POINTS_FLOOR`, so rare kinds stay visible."""
    if len(events) <= limit or "event_id" not in events.columns:
        return events
    rank = pd.util.hash_pandas_object(events["event_id"].astype("string"), index=False).to_numpy()
    cats = (
        events[colour_by].astype("string").fillna("")
        if colour_by in events.columns
        else pd.Series("", index=events.index)
    )
    share = limit / len(events)
    keep: list = []
    for _, group in pd.DataFrame({"c": cats, "h": rank}, index=events.index).groupby("c", sort=True):
        n = max(min(len(group), POINTS_FLOOR), int(len(group) * share))
        keep += list(group.sort_values("h", kind="stable").index[:n])
    return events.loc[sorted(keep)]


def map_panel(
    query: Query, view: View, which: Which, regions: geo.GeoResult, rivers: dict | None
) -> MapPanel:
    """The deck for one period: regions shaded by the metric (one scale for a split's two
    panels), their names, rivers, coca zones (when shading by coca), events, recurrent strips;
    zoomed to the view's places."""
    state, lang = view.state, view.lang
    f = period_filters(query, view, which)
    metric, legend = region_metric(query, view, f)
    scale = shade_scale(query, view, which)
    layers = []
    if regions.geojson is not None:
        layers += [
            maps.region_layer(regions.geojson, metric, scale=scale.bins),
            maps.region_outline_layer(regions.geojson),
        ]
    else:
        layers.append(maps.region_centroid_layer(query("regions"), metric, scale=scale.bins))
    if rivers is not None:
        layers.append(maps.rivers_layer(rivers))
    zone_year = None
    if state.shade == "coca":
        panel_ha = pd.to_numeric(zone_panel(query)["hectares"], errors="coerce")
        if panel_ha.notna().any():
            zone_year = coca_year(query, f, zones=True)
            layers.append(
                maps.coca_zone_layer(coca_zones(query, zone_year), max_hectares=float(panel_ha.max()))
            )
    events = query("events_for_map", f)
    events = events.assign(
        provenance=events["provenance"].map(lambda p: t(f"prov_{p}", lang)),
        source_title=events["source_title"].fillna(t("prov_simulated", lang)),
    )
    if state.layer == "hex":  # thin unfilled rings over the hexagons: their colour shows through
        layers += [maps.event_hex_layer(events), maps.recurrent_strips_layer(events, outline_only=True)]
    else:  # rings under the points: at national zoom they would hide the points' colours
        events = points_sample(events, state.colour)
        layers += [
            maps.recurrent_strips_layer(events),
            *maps.event_points_layers(events, colour_by=state.colour),
        ]
    layers.append(maps.region_label_layer(label_points(regions)))  # names on top of everything
    deck = maps.build_deck(
        layers,
        basemap=state.basemap,
        view=view_for(view, regions),
        tooltip_labels=tooltip_labels(lang),
        height=MAP_HEIGHT,
    )
    return MapPanel(
        maps.SerializedDeck.of(deck),
        legend,
        len(events),
        query("located_events_count", f),
        query("events_count", f),
        f.first_month,
        f.last_month,
        scale,
        zone_year,
    )


# ---------------------------------------------------------------------------------------
# clicks


def picked_region(event: Any, regions: geo.GeoResult) -> str | None:
    """The region a map click picked, from any pickable layer.

    A region polygon or marker gives its name; a coca zone named like an analysis area
    (VRAEM, Huallaga) gives that area; an event, strip ring or other zone gives the region
    its position ``p`` falls in (point in polygon, on the boundaries drawn).
    """
    try:
        objects = event.selection.objects  # type: ignore[union-attr]
    except AttributeError:
        try:
            objects = event["selection"]["objects"]
        except (KeyError, TypeError):
            return None
    for layer_id, picked in (objects or {}).items():
        for obj in picked or []:
            if not isinstance(obj, dict):
                continue
            name = (obj.get("properties") or {}).get("name") or obj.get("name")
            if layer_id == "regions":
                region = canonical_region(name) if isinstance(name, str) else None
            elif layer_id == "coca-zones" and isinstance(name, str) and canonical_place(name) in AREA_REGIONS:
                region = canonical_place(name)  # the VRAEM zone narrows to the VRAEM area
            else:
                region = region_at(obj.get("p"), regions)
            if region:
                return region
    return None


def region_at(position: Any, regions: geo.GeoResult) -> str | None:
    """The region whose polygon holds ``position`` ([lon, lat]), or None."""
    if regions.geojson is None or not isinstance(position, (list, tuple)) or len(position) < 2:
        return None
    try:
        lon, lat = float(position[0]), float(position[1])
    except (TypeError, ValueError):
        return None
    from shapely.geometry import Point

    point = Point(lon, lat)
    for name, shape in _shapes(_Hashed(regions.geojson)):
        if shape.covers(point):
            return name
    return None


@lru_cache(maxsize=8)
def _shapes(geojson: _Hashed) -> tuple[tuple[str, Any], ...]:
    from shapely import prepare
    from shapely.geometry import shape

    out = []
    for feature in geojson.get("features", []):
        name = canonical_region(str((feature.get("properties") or {}).get("name", "")))
        if name and feature.get("geometry"):
            geom = shape(feature["geometry"])
            prepare(geom)
            out.append((name, geom))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# legends


def legend_line(colour_by: Literal["event_type", "route"], lang: str) -> str:
    """The point colours' names as plain text (for a screen reader or a text export)."""
    name = type_label if colour_by == "event_type" else route_label
    return " · ".join(name(k, lang) for k in maps.category_legend(colour_by))


def category_items(colour_by: Literal["event_type", "route"], lang: str) -> list[tuple[maps.RGB, str]]:
    """(colour, name) of each point colour, in the page's language."""
    colours = maps.EVENT_TYPE_COLOURS if colour_by == "event_type" else maps.ROUTE_COLOURS
    name = type_label if colour_by == "event_type" else route_label
    return [(rgb, name(k, lang)) for k, rgb in colours.items()]


def _number(value: float, shade: str, lang: str = "en") -> str:
    """A class bound in the page's number format (lib.l10n: 3.750 ha in Spanish)."""
    if shade == "change":
        text = l10n.percent(value, lang)
        return text if value <= 0 else f"+{text}"
    return l10n.number(value, lang, 0 if abs(value) >= 100 or value == int(value) else 1)


def scale_items(scale: ShadeScale, lang: str) -> list[tuple[maps.RGB, str]]:
    """(colour, "lo – hi unit") for each class of the shading, then "no data"."""
    unit = t(SHADE_UNITS.get(scale.shade, "unit_events"), lang)
    items = []
    for b in scale.bins:
        lo, hi = _number(b.lo, scale.shade, lang), _number(b.hi, scale.shade, lang)
        text = f"{lo} – {hi}" if lo != hi else lo
        items.append((b.rgb, f"{text} {unit}".strip()))
    items.append((maps.NO_DATA_RGB, t("legend_no_data", lang)))
    return items


def symbol_items(panel: MapPanel, layer: str, lang: str) -> list[tuple[str, maps.RGB, str]]:
    """(shape, colour, text) for the map's other marks: hexagons, strip rings, coca zones."""
    items: list[tuple[str, maps.RGB, str]] = []
    if layer == "hex":
        items += [
            ("hex", maps.SEQUENTIAL[1], t("legend_hex_few", lang)),
            ("hex", maps.SEQUENTIAL[-1], t("legend_hex_many", lang)),
        ]
    items.append(("ring", maps.RECURRENT_RGB, t("legend_ring", lang)))
    if panel.zone_year is not None:
        items.append(("circle", maps.COCA_ZONE_RGB, t("legend_zone", lang, year=panel.zone_year)))
    return items


_SVG_ROW = 20
_SVG_FONT = 'font-family="Source Sans Pro, Helvetica Neue, Arial, sans-serif" font-size="13"'


def legend_svg(
    title: str, items: Sequence[tuple[Any, ...]], *, note: str | None = None, width: int | None = None
) -> str:
    """A small SVG legend: a bold title, one row per item, an optional note in grey.

    ``items`` are (rgb, text) swatches or (shape, rgb, text) with shape "square", "hex",
    "ring" or "circle". Text is XML-escaped; colours appear only as fills, never as text.
    """
    if width is None:  # ~7 px a character at 13 px: wide enough for the longest line
        longest = max([len(title) * 1.1, len(note or "") * 0.95, *(len(str(i[-1])) + 4 for i in items)])
        width = int(max(200, min(600, 7 * longest)))
    rows = []
    y = 18
    lines = (
        [f'<text x="0" y="{y - 4}" {_SVG_FONT} fill="#31333f" font-weight="700">{html.escape(title)}</text>']
        if title
        else []
    )
    for item in items:
        shape, rgb, text = item if len(item) == 3 else ("square", *item)
        colour = "rgb({},{},{})".format(*rgb)
        cy = y + _SVG_ROW / 2
        if shape == "ring":
            mark = f'<circle cx="8" cy="{cy}" r="6" fill="none" stroke="{colour}" stroke-width="2"/>'
        elif shape == "circle":
            mark = f'<circle cx="8" cy="{cy}" r="6" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>'
        elif shape == "hex":
            pts = " ".join(
                f"{8 + 7 * math.cos(math.radians(a)):.1f},{cy + 7 * math.sin(math.radians(a)):.1f}"
                for a in range(30, 390, 60)
            )
            mark = f'<polygon points="{pts}" fill="{colour}"/>'
        else:
            mark = f'<rect x="1" y="{cy - 7}" width="14" height="14" fill="{colour}" stroke="#777" stroke-width="0.5"/>'
        rows.append(
            mark + f'<text x="24" y="{cy + 4.5}" {_SVG_FONT} fill="#31333f">{html.escape(text)}</text>'
        )
        y += _SVG_ROW
    if note:
        y += 4
        rows.append(
            f'<text x="0" y="{y + 10}" {_SVG_FONT} font-style="italic" fill="#555">{html.escape(note)}</text>'
        )
        y += _SVG_ROW
    height = y + 4
    body = "".join(lines + rows)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">{body}</svg>'
    )


def legends(
    panel: MapPanel, layer: str, colour_by: Literal["event_type", "route"], lang: str, *, shading: bool = True
) -> list[str]:
    """The SVG legends under the map: point colours (points view), shading classes (unless
    ``shading`` is False: a split draws them under each panel), symbols."""
    out = []
    if layer != "hex":
        out.append(
            legend_svg(
                t("legend_colours", lang, by=t(f"colour_{colour_by}", lang)), category_items(colour_by, lang)
            )
        )
    if shading and panel.scale is not None:
        note = t("legend_shared", lang) if panel.scale.shared else None
        out.append(legend_svg(panel.scale.title, scale_items(panel.scale, lang), note=note))
    out.append(legend_svg(t("legend_symbols", lang), symbol_items(panel, layer, lang)))
    return out
