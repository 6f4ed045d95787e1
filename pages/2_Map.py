"""Map: regions shaded by a metric, events as points or hexagons, recurrent strips, rivers."""

import streamlit as st

from lib import export, l10n, map_export, map_view, maps, playback, ui
from lib.i18n import place_phrase, t
from lib.map_view import MAP_HEIGHT
from lib.views import policy_label

page = ui.setup("page_map")
lang, state, ctx = page.lang, page.state, page.context
ui.title(page, "page_map")
regions_geo, _ = ui.boundaries()


_POLICY_NAME: list[str] = []


def policy_name() -> str:
    """The policy's title, looked up once per run (the shade selector asks for it per option)."""
    if not _POLICY_NAME:
        _POLICY_NAME.append(policy_label(page.query, state.policy, lang))
    return _POLICY_NAME[0]


def controls() -> None:
    cols = st.columns(4)
    with cols[0]:
        ui.select(
            page,
            "shade",
            t("shade", lang),
            ("events", "destroyed", "coca", "change"),
            lambda v: t(f"shade_{v}", lang, year="", policy=policy_name(), window=state.window),
        )
    with cols[1]:
        ui.select(
            page,
            "layer",
            t("layer", lang),
            ("points", "hex"),
            lambda v: t(f"layer_{v}", lang),
            segmented=True,
        )
    with cols[2]:
        ui.select(
            page,
            "colour",
            t("colour", lang),
            ("event_type", "route"),
            lambda v: t(f"colour_{v}", lang),
            segmented=True,
        )
    with cols[3]:
        ui.select(page, "basemap", t("basemap", lang), ("carto", "none"), lambda v: t(f"basemap_{v}", lang))
    cols = st.columns([2, 1, 1])
    with cols[0]:
        titles = page.query("all_policies").set_index("policy_id")["title_es" if lang == "es" else "title_en"]
        ui.select(page, "policy", t("policy", lang), ctx.policies, lambda p: f"{titles.get(p, p)}"[:90])
    with cols[1]:
        ui.select(page, "window", t("window", lang), (6, 12, 24, 36, 48))
    with cols[2]:
        st.toggle(
            t("split", lang),
            value=state.split,
            key="map_split",
            on_change=lambda: ui.go_later(page, split=st.session_state["map_split"]),
        )


def draw(panel: map_view.MapPanel, key: str, *, shading_legend: bool = False) -> None:
    event = st.pydeck_chart(
        panel.deck, height=MAP_HEIGHT, on_select="rerun", selection_mode="single-object", key=key
    )
    st.caption(f"{panel.legend} · {t('map_click_help', lang)}")
    if panel.located > panel.shown:
        st.caption(t("points_capped", lang, shown=f"{panel.shown:,}", total=f"{panel.located:,}"))
    if shading_legend:  # a split: each panel's classes under it, saying the two share them
        st.image(
            map_view.legend_svg(
                panel.scale.title, map_view.scale_items(panel.scale, lang), note=t("legend_shared", lang)
            )
        )
    # Any pick narrows the view: a region by its name, a point or ring by the region it is in.
    picked = map_view.picked_region(event, regions_geo)
    if picked and page.state.areas != (picked,):
        ui.go(page, areas=(picked,))


def legends(panel: map_view.MapPanel) -> None:
    """Swatches with names (point colours, shading classes unless a split drew them, symbols)."""
    svgs = map_view.legends(panel, state.layer, state.colour, lang, shading=not state.split)
    for col, svg in zip(st.columns(len(svgs)), svgs, strict=True):
        col.image(svg)


with ui.guard(page):
    if not state.present:  # on a projector the map comes first; its choices stay in the URL
        controls()
    if state.split:
        for col, which in zip(st.columns(2), ("before", "after"), strict=True):
            with col:
                panel = page.map_panel(which)
                heading = t(
                    which,
                    lang,
                    policy=policy_name(),
                    start=f"{panel.first_month:%Y-%m}",
                    end=f"{panel.last_month:%Y-%m}",
                )
                st.markdown(f"**{heading}**")
                draw(panel, f"map_{which}_{hash(state)}", shading_legend=True)
    else:
        if not state.present:
            ui.playback(page, ui.month_list(state.start, state.end or ctx.last_month))
            if st.toggle(
                t("play_in_browser", lang), key="play_in_browser", help=t("play_in_browser_help", lang)
            ):
                st.plotly_chart(
                    page.query_view("map_export.animated_map", keep_map=True),
                    key="map_anim",
                    config=l10n.plotly_config(lang),
                )
                playback.sync("map_anim", state.month, lambda month: ui.set_month(page, month))
        panel = page.map_panel("whole")
        if state.month:
            st.metric(t("playback", lang), t("month_counter", lang, month=state.month, n=f"{panel.events:,}"))
        draw(panel, f"map_{hash(state)}")
    legends(panel)
    if map_view.area_regions(state.areas) and regions_geo.geojson is not None:
        st.caption(t("map_zoomed", lang, places=place_phrase(", ".join(state.areas), lang)))
    if state.basemap == "carto":
        st.caption(t("basemap_tiles_note", lang))
    if regions_geo.notice:  # in plain words; the detail (paths, errors) stays in regions_geo.message
        st.info(t(f"geo_notice_{regions_geo.notice}", lang))
    st.caption(
        maps.map_attribution(basemap=state.basemap, boundaries=regions_geo.geojson is not None, lang=lang)
    )

with ui.guard(page):  # the map as an image (drawn again by Plotly, offline), its tables, the report
    st.subheader(t("exports", lang))
    query, view = page.query, page.view
    stem = export.export_filename("map", list(state.areas), state.start, state.end or ctx.last_month, "png")[
        :-4
    ]
    cols = st.columns(3)
    with cols[0]:
        ui.image_downloads(
            page,
            lambda: map_export.static_map(query, view, regions_geo),
            key="map_image",
            name="map",
            stem=stem,
        )
    with cols[1]:
        ui.download(
            t("map_points_csv", lang),
            lambda: export.safe_csv_bytes(map_export.points_table(query, view)),
            f"{stem}_points.csv",
            "text/csv",
            "map_points_csv",
        )
    with cols[2]:
        ui.download(
            t("map_regions_csv", lang),
            lambda: export.safe_csv_bytes(map_export.region_table(query, view)),
            f"{stem}_regions.csv",
            "text/csv",
            "map_regions_csv",
        )
    ui.page_exports(
        page,
        title=t("page_map", lang),
        tables=[(t("map_regions_table", lang), map_export.region_table(query, view))],
        more_figures=lambda: [("map", map_export.static_map(query, view, regions_geo))],
    )

ui.footer(page)
