"""Overview: the seed's finding first (drug flights shifted north after the VRAEM crackdown), then
KPIs for the view and the series explorer (monthly, or reported rows by year with data=reported)."""

import streamlit as st

from lib import ui, views
from lib.i18n import t, type_label
from lib.schema import EVENT_TYPES

page = ui.setup("page_overview")
lang, state = page.lang, page.state
ui.title(page, "page_overview", heading=t("story_title", lang))

with ui.guard(page):  # the story, above the fold
    story = page.query_view("story.story")
    if story.figure is None:
        st.info(t("empty_view", lang, what=story.empty_what))
    else:
        ui.chart(page, story.figure, key=f"overview_story_{hash(state)}", name="overview_story")
    st.caption(t(story.caption, lang))

with ui.guard(page):
    for group in views.overview_kpi_groups(page.query, page.view):  # the page's cached queries
        st.subheader(group.title)
        for col, kpi in zip(st.columns(5), group.kpis, strict=False):
            col.metric(kpi.label, kpi.value, delta=kpi.note, delta_color="off", delta_arrow="off")
        if group.hint:
            st.caption(group.hint)

with ui.guard(page):
    st.subheader(t("explore", lang))
    left, right = st.columns([2, 1])
    with left:
        ui.select(page, "metric", t("metric", lang), EVENT_TYPES, lambda v: type_label(v, lang))
    with right:
        ui.select(
            page, "by", t("group_by", lang), ("area", "region"), lambda v: t(f"by_{v}", lang), segmented=True
        )
    what = type_label(state.metric, lang)
    if state.data == "reported":  # sourced rows by year, each its own point: no monthly zeros
        fig, rows = page.query_view("story.reported_annual")
        if fig is None:
            st.info(t("empty_view", lang, what=what))
        else:
            event = ui.chart(
                page, fig, key=f"overview_reported_{hash(state)}", name="overview_reported", select=True
            )
            ui.cross_filter(page, event)
            with st.expander(t("reported_rows_table", lang)):
                ui.sourced_table(
                    page,
                    rows,
                    [
                        "year",
                        "group",
                        "value",
                        "unit",
                        "date",
                        "date_end",
                        "source_title",
                        "source_url",
                        "event_id",
                    ],
                )
    else:
        fig = page.query_view("overview_series")
        if not fig.data:
            st.info(t("empty_view", lang, what=what))
        else:
            st.caption(t("cross_filter_help", lang))
            event = ui.chart(
                page, fig, key=f"overview_series_{hash(state)}", name="overview_series", select=True
            )
            ui.cross_filter(page, event)

with ui.guard(page):
    st.subheader(t("exports", lang))
    db, view = page.db, page.view
    ui.page_exports(
        page, title=t("app_title", lang), kpis=lambda: views.overview_kpis(views.direct_query(db), view)
    )

ui.footer(page)
