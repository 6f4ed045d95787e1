"""The Map page's decks as functions of (query, view, boundaries), like lib.views for charts.

A panel is built once per view and language and then served as JSON text from the page's
cache (lib.ui.Page.map_panel): building and serialising the layers of 10,000 events costs
~150 ms, replaying the text a few ms, so the map reaches the browser sooner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import pandas as pd

from lib import geo, maps, queries
from lib.i18n import route_label, t, type_label
from lib.views import Query, View, policy_label

MAP_HEIGHT = 560
Which = Literal["whole", "before", "after"]


@dataclass(frozen=True)
class MapPanel:
    """One map of the page: the serialised deck, its legend title, and how many events are
    drawn (`shown`, a sample when there are many), have coordinates, and are in the period."""

    deck: maps.SerializedDeck
    legend: str
    shown: int
    located: int
    events: int
    first_month: date
    last_month: date


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


def region_metric(query: Query, view: View, f: queries.Filters) -> tuple[pd.DataFrame, str]:
    """(region, value, label) for the chosen shading, and its legend title."""
    state, lang = view.state, view.lang
    if state.shade == "coca":
        years = query("coca_years") or [2022]
        year = min(max(f.last_month.year, years[0]), years[-1])
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
        df["label"] = [f"{v:+.0%} ({int(x):,} → {int(y):,})" for v, x, y in
                       zip(df["value"], both["before"], both["after"], strict=True)]  # fmt: skip
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


def map_panel(query: Query, view: View, which: Which, regions: geo.GeoResult, rivers: dict | None) -> MapPanel:
    """The deck for one period: regions shaded by the metric, rivers, events, recurrent strips."""
    state, lang = view.state, view.lang
    f = period_filters(query, view, which)
    metric, legend = region_metric(query, view, f)
    layers = []
    if regions.geojson is not None:
        layers.append(maps.region_layer(regions.geojson, metric))
    else:
        layers.append(maps.region_centroid_layer(query("regions"), metric))
    if rivers is not None:
        layers.append(maps.rivers_layer(rivers))
    events = query("events_for_map", f)
    events = events.assign(
        provenance=events["provenance"].map(lambda p: t(f"prov_{p}", lang)),
        source_title=events["source_title"].fillna(t("prov_simulated", lang)),
    )
    if state.layer == "hex":  # rings over the hexagons' fill
        layers += [maps.event_hex_layer(events), maps.recurrent_strips_layer(events)]
    else:  # rings under the points: at national zoom they would hide the points' colours
        layers += [maps.recurrent_strips_layer(events), *maps.event_points_layers(events, colour_by=state.colour)]
    deck = maps.build_deck(layers, basemap=state.basemap, tooltip_labels=tooltip_labels(lang), height=MAP_HEIGHT)
    return MapPanel(maps.SerializedDeck.of(deck), legend, len(events), query("located_events_count", f),
                    query("events_count", f), f.first_month, f.last_month)  # fmt: skip


def legend_line(colour_by: Literal["event_type", "route"], lang: str) -> str:
    labels = maps.category_legend(colour_by)
    name = type_label if colour_by == "event_type" else route_label
    return " · ".join(f"{name(k, lang)} {v}" for k, v in labels.items())
