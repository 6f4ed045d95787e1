"""Map: regions shaded by a metric, events as points or hexagons, recurrent strips, rivers."""

import os
from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from lib import geo, maps, paths, queries, ui
from lib.i18n import route_label, t, type_label

MAP_HEIGHT = 560

page = ui.setup("page_map")
lang, state, ctx = page.lang, page.state, page.context
ui.title(page, "page_map")


def shift_months(month: date, n: int) -> date:
    return (pd.Timestamp(month) + pd.DateOffset(months=n)).date()


def policy_periods(f: queries.Filters) -> tuple[queries.Filters, queries.Filters]:
    """The view's filters for the `window` months before and after the chosen policy's month."""
    policy_day = page.query("policy_date", state.policy) or date(2015, 8, 20)
    start = policy_day.replace(day=1)
    before = replace(f, first_month=shift_months(start, -state.window), last_month=shift_months(start, -1))
    after = replace(f, first_month=start, last_month=shift_months(start, state.window - 1))
    return before, after


def policy_label() -> str:
    policies = page.query("all_policies")
    row = policies[policies["policy_id"] == state.policy]
    return str(row["title_es" if lang == "es" else "title_en"].iloc[0]) if len(row) else state.policy


@st.cache_resource(show_spinner=False, max_entries=8)
def load_boundaries(geo_dir: str | None, data_dir: str):
    # Keyed by where boundaries can come from, so a changed setting is picked up.
    return geo.load_regions(), geo.load_rivers()


def boundaries():
    return load_boundaries(os.environ.get("PISTAS_GEO_DIR"), str(paths.data_dir()))


def region_metric(f: queries.Filters) -> tuple[pd.DataFrame, str]:
    """(region, value, label) for the chosen shading, and its legend title."""
    if state.shade == "coca":
        years = page.query("coca_years") or [2022]
        year = min(max(f.last_month.year, years[0]), years[-1])
        df = page.query("coca_by_region_year", year).rename(columns={"hectares": "value"})
        df["label"] = df["value"].map(lambda v: f"{v:,.0f} ha")
        return df, t("shade_coca", lang, year=year)
    if state.shade == "change":
        before, after = policy_periods(f)
        b = page.query("events_by_region", before).set_index("region")["n"]
        a = page.query("events_by_region", after).set_index("region")["n"]
        both = pd.concat({"before": b, "after": a}, axis=1).fillna(0)
        both = both[both["before"] > 0]
        df = pd.DataFrame({"region": both.index, "value": (both["after"] / both["before"] - 1).to_numpy()})
        df["label"] = [f"{v:+.0%} ({int(x):,} → {int(y):,})" for v, x, y in
                       zip(df["value"], both["before"], both["after"], strict=True)]  # fmt: skip
        return df, t("shade_change", lang, policy=policy_label(), window=state.window)
    if state.shade == "destroyed":
        f = replace(f, types=("airstrip_destroyed",))
    df = page.query("events_by_region", f).rename(columns={"n": "value"})
    df["label"] = df["value"].map(lambda v: f"{v:,.0f}")
    return df, t(f"shade_{state.shade}", lang)


def tooltip_labels() -> dict[str, str]:
    keys = ("place", "date", "count", "provenance", "source", "times_destroyed", "days_to_rebuild")
    return {k: t(f"tip_{k}", lang) for k in keys}


def deck_for(f: queries.Filters):
    """The deck for one period: regions, rivers, events, recurrent strips."""
    regions_geo, rivers = boundaries()
    metric, legend = region_metric(f)
    layers = []
    if regions_geo.geojson is not None:
        layers.append(maps.region_layer(regions_geo.geojson, metric))
    else:
        layers.append(maps.region_centroid_layer(page.query("regions"), metric))
    if rivers is not None:
        layers.append(maps.rivers_layer(rivers))
    events = page.query("events_for_map", f)
    events = events.assign(
        provenance=events["provenance"].map(lambda p: t(f"prov_{p}", lang)),
        source_title=events["source_title"].fillna(t("prov_simulated", lang)),
    )
    if state.layer == "hex":
        layers.append(maps.event_hex_layer(events))
    else:
        layers.append(maps.event_points_layer(events, colour_by=state.colour))
    layers.append(maps.recurrent_strips_layer(events))
    deck = maps.build_deck(layers, basemap=state.basemap, tooltip_labels=tooltip_labels(), height=MAP_HEIGHT)
    return deck, legend, len(events)


def controls() -> None:
    cols = st.columns(4)
    with cols[0]:
        ui.select(page, "shade", t("shade", lang), ("events", "destroyed", "coca", "change"),
                  lambda v: t(f"shade_{v}", lang, year="", policy=policy_label(), window=state.window))  # fmt: skip
    with cols[1]:
        ui.select(page, "layer", t("layer", lang), ("points", "hex"), lambda v: t(f"layer_{v}", lang), segmented=True)
    with cols[2]:
        ui.select(page, "colour", t("colour", lang), ("event_type", "route"),
                  lambda v: t(f"colour_{v}", lang), segmented=True)  # fmt: skip
    with cols[3]:
        ui.select(page, "basemap", t("basemap", lang), ("carto", "none"), lambda v: t(f"basemap_{v}", lang))
    cols = st.columns([2, 1, 1])
    with cols[0]:
        titles = page.query("all_policies").set_index("policy_id")["title_es" if lang == "es" else "title_en"]
        ui.select(page, "policy", t("policy", lang), ctx.policies,
                  lambda p: f"{titles.get(p, p)}"[:90])  # fmt: skip
    with cols[1]:
        ui.select(page, "window", t("window", lang), (6, 12, 24, 36, 48))
    with cols[2]:
        st.toggle(t("split", lang), value=state.split, key="map_split",
                  on_change=lambda: ui.go_later(page, split=st.session_state["map_split"]))  # fmt: skip


def draw(deck, key: str, legend: str, shown: int, f: queries.Filters) -> None:
    event = st.pydeck_chart(deck, height=MAP_HEIGHT, on_select="rerun", selection_mode="single-object", key=key)
    st.caption(f"{legend} · {t('map_click_help', lang)}")
    total = page.query("located_events_count", f)
    if total > shown:
        st.caption(t("points_capped", lang, shown=f"{shown:,}", total=f"{total:,}"))
    picked = ui.picked_region(event)
    if picked and page.state.areas != (picked,):
        ui.go(page, areas=(picked,))


def legend_line() -> str:
    labels = maps.category_legend(state.colour)
    name = type_label if state.colour == "event_type" else route_label
    return " · ".join(f"{name(k, lang)} {v}" for k, v in labels.items())


with ui.guard(page):
    controls()
    f = page.filters
    if state.split:
        periods = tuple(zip(("before", "after"), policy_periods(f), strict=True))
        for col, (which, pf) in zip(st.columns(2), periods, strict=True):
            with col:
                heading = t(which, lang, policy=policy_label(), start=f"{pf.first_month:%Y-%m}",
                            end=f"{pf.last_month:%Y-%m}")  # fmt: skip
                st.markdown(f"**{heading}**")
                deck, legend, shown = deck_for(pf)
                draw(deck, f"map_{which}_{hash(state)}", legend, shown, pf)
    else:
        months = ui.month_list(state.start, state.end or ctx.last_month)
        ui.playback(page, months)
        if state.month:
            month_start = queries.month_date(state.month)
            f = replace(f, first_month=month_start, last_month=month_start)
            st.metric(t("playback", lang), t("month_counter", lang, month=state.month,
                                             n=f"{page.query('events_count', f):,}"))  # fmt: skip
        deck, legend, shown = deck_for(f)
        draw(deck, f"map_{hash(state)}", legend, shown, f)
    st.caption(legend_line())
    regions_geo, _ = boundaries()
    if regions_geo.message:
        st.info(regions_geo.message)
    st.caption(maps.map_attribution(basemap=state.basemap, boundaries=regions_geo.geojson is not None))

ui.footer(page)
