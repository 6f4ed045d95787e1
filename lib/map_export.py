"""The Map page's exports: a static map image and the tables behind the map.

deck.gl draws in the browser, so a server-side image of the map is drawn again with Plotly (a
choropleth of the same regions in the same shading classes, the same located events as dots, the
shipped boundaries and no tiles), which kaleido renders offline like every other chart. The image
then carries the page's title, view, sources, link and data version (lib.views.image).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go

from lib import geo, maps
from lib.i18n import t, type_label
from lib.map_view import POINTS_DRAWN, period_filters, points_sample, region_metric, scale_items, shade_scale
from lib.views import Query, View

STEP_MS = 300  # one month of browser playback (issue 14: a step in at most 300 ms)


def region_table(query: Query, view: View, which: str = "whole") -> pd.DataFrame:
    """region, value, label: what the map shades, one row per region."""
    metric, _ = region_metric(query, view, period_filters(query, view, which))
    return metric[["region", "value", "label"]].sort_values("region").reset_index(drop=True)


def points_table(query: Query, view: View, which: str = "whole") -> pd.DataFrame:
    """The located events in the map's period (the same repeatable sample the map draws from)."""
    events = query("events_for_map", period_filters(query, view, which))
    cols = [
        "event_id",
        "date",
        "event_type",
        "route",
        "count",
        "provenance",
        "area",
        "region",
        "place",
        "lat",
        "lon",
        "airstrip_id",
        "times_destroyed",
        "source_id",
        "source_title",
    ]
    return events[[c for c in cols if c in events.columns]].reset_index(drop=True)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _rings(geometry: dict) -> list[list[list[float]]]:
    """The outer rings of a (Multi)Polygon (lakes are left filled: a national map does not miss them)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [polygon[0] for polygon in polygons]


def _outline(rings: list[list[list[float]]]) -> tuple[list, list]:
    """Rings as one x/y run, None between them, for a single filled trace."""
    xs: list = []
    ys: list = []
    for ring in rings:
        xs += [pt[0] for pt in ring] + [None]
        ys += [pt[1] for pt in ring] + [None]
    return xs, ys


def static_map(query: Query, view: View, regions: geo.GeoResult, which: str = "whole") -> go.Figure:
    """The map as a Plotly figure: shaded regions (the page's classes), events as dots, no tiles.

    Plain x/y traces (longitude, latitude) rather than Plotly's geo traces: those fetch a world
    topojson from a CDN, and the export must work offline.
    """
    lang, state = view.lang, view.state
    f = period_filters(query, view, which)
    metric, legend_title = region_metric(query, view, f)
    scale = shade_scale(query, view, which)
    fig = go.Figure()
    if regions.geojson is not None:
        values = metric.set_index("region")["value"]
        by_colour: dict[str, list] = {}
        for feat in regions.geojson["features"]:
            value = values.get(feat["properties"]["name"])
            colour = _hex(
                maps.colour_for_value(None if value is None or pd.isna(value) else float(value), scale.bins)
            )
            by_colour.setdefault(colour, []).extend(_rings(feat["geometry"]))
        for colour, rings in by_colour.items():  # one filled trace per class: the page's scale exactly
            xs, ys = _outline(rings)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    fill="toself",
                    fillcolor=colour,
                    mode="lines",
                    line={"color": "#5a5a5a", "width": 0.6},
                    hoverinfo="skip",
                    showlegend=False,
                    meta="region",
                )
            )
    events = points_sample(query("events_for_map", f), state.colour, limit=POINTS_DRAWN)
    key = "event_type" if state.colour == "event_type" else "route"
    colours = maps.EVENT_TYPE_COLOURS if key == "event_type" else maps.ROUTE_COLOURS
    for value, part in events.groupby(key, sort=True):
        name = type_label(str(value), lang) if key == "event_type" else t(f"route_{value}", lang)
        fig.add_trace(
            go.Scatter(
                x=part["lon"],
                y=part["lat"],
                mode="markers",
                name=name,
                hoverinfo="skip",
                marker={"size": 4, "color": _hex(colours.get(str(value), maps.UNKNOWN_RGB)), "opacity": 0.75},
            )
        )
    for rgb, label in scale_items(scale, lang):  # the shading classes, as the page's legend lists them
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=label,
                legendgroup="shade",
                marker={"size": 12, "symbol": "square", "color": _hex(rgb)},
            )
        )
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    fig.update_xaxes(**hidden, range=[-81.6, -68.4])
    fig.update_yaxes(**hidden, range=[-18.6, 0.2], scaleanchor="x", scaleratio=1.014)  # ~1/cos(9.5°)
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=900,
        paper_bgcolor="white",
        plot_bgcolor="white",
        meta={"legend": "side"},
        legend={"title": {"text": legend_title}, "x": 1.0, "xanchor": "left", "y": 1, "yanchor": "top"},
    )
    return fig


def _play_from(months: list[str], month: str | None) -> list[str]:
    """The frames Play runs: after the view's month (a stop reruns the page, which opens the
    figure there; Plotly's own "from current" starts over on a new figure), else from the start."""
    if month in months and months.index(month) + 1 < len(months):
        return months[months.index(month) + 1 :]
    return months


def animated_map(query: Query, view: View) -> go.Figure:
    """Month-by-month playback that runs in the browser: the whole period is sent once as Plotly
    frames (the regions, then that month's located events), so a step costs no server rerun.

    Every month of the period is a frame, empty ones too, so the slider's steps are calendar
    months. The figure opens on the view's `month=` (a link to a stopped playback shows that
    month); lib.playback reports where the animation stopped so the URL keeps it.
    The regions keep the whole period's shading; events are coloured by type.
    """
    lang = view.lang
    whole = View(replace(view.state, month=None), view.context, lang)
    regions = geo.load_regions()
    base = static_map(query, whole, regions)
    region_traces = [tr for tr in base.data if tr.meta == "region"]
    f = whole.filters
    events = query("events_for_map", f)
    events = events.assign(month=pd.to_datetime(events["date"]).dt.strftime("%Y-%m"))
    months = [p.strftime("%Y-%m") for p in pd.period_range(f.first_month, f.last_month, freq="M")]
    colour = events["event_type"].map(lambda v: _hex(maps.EVENT_TYPE_COLOURS.get(str(v), maps.UNKNOWN_RGB)))

    def points(month: str) -> go.Scatter:
        sel = events["month"] == month
        return go.Scatter(
            x=events.loc[sel, "lon"],
            y=events.loc[sel, "lat"],
            mode="markers",
            hoverinfo="skip",
            marker={"size": 6, "color": colour[sel].tolist(), "opacity": 0.85},
            showlegend=False,
        )

    first = months.index(view.state.month) if view.state.month in months else 0
    fig = go.Figure(data=[*region_traces, points(months[first] if months else "")], layout=base.layout)
    n = len(region_traces)
    fig.frames = [go.Frame(name=m, data=[points(m)], traces=[n]) for m in months]
    step = {
        "frame": {"duration": STEP_MS, "redraw": False},
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    fig.update_layout(
        meta={"legend": "side"},
        updatemenus=[
            {
                "type": "buttons",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "buttons": [
                    {
                        "label": t("play", lang),
                        "method": "animate",
                        "args": [_play_from(months, view.state.month), step],
                    },
                    {
                        "label": t("pause", lang),
                        "method": "animate",
                        "args": [[None], {**step, "frame": {"duration": 0}}],
                    },
                ],
            }
        ],
        sliders=[
            {
                "active": first,
                "x": 0.12,
                "len": 0.88,
                "y": 0,
                "currentvalue": {"prefix": f"{t('playback', lang)}: "},
                "steps": [{"label": m, "method": "animate", "args": [[m], step]} for m in months],
            }
        ],
        height=640,
    )
    return fig
