"""Overview: KPIs for the view and the monthly series with policy markers and sourced figures."""

import streamlit as st

from lib import ui, views
from lib.i18n import t, type_label
from lib.schema import EVENT_TYPES

page = ui.setup("page_overview")
lang, state = page.lang, page.state
ui.title(page, "page_overview")
st.caption(t("app_tagline", lang))

with ui.guard(page):
    for group in views.overview_kpi_groups(page.query, page.view):  # the page's cached queries
        st.subheader(group.title)
        for col, kpi in zip(st.columns(5), group.kpis, strict=False):
            col.metric(kpi.label, kpi.value, delta=kpi.note, delta_color="off", delta_arrow="off")
        if group.hint:
            st.caption(group.hint)

with ui.guard(page):
    left, right = st.columns([2, 1])
    with left:
        ui.select(page, "metric", t("metric", lang), EVENT_TYPES, lambda v: type_label(v, lang))
    with right:
        ui.select(page, "by", t("group_by", lang), ("area", "region"), lambda v: t(f"by_{v}", lang), segmented=True)
    fig = page.query_view("overview_series")
    st.caption(t("cross_filter_help", lang))
    event = ui.chart(page, fig, key=f"overview_series_{hash(state)}", name="overview_series", select=True)
    ui.cross_filter(page, event)

with ui.guard(page):
    st.subheader(t("exports", lang))
    db, view = page.db, page.view
    ui.page_exports(page, title=t("app_title", lang),
                    kpis=lambda: views.overview_kpis(views.direct_query(db), view))  # fmt: skip

ui.footer(page)
