"""Overview: KPIs for the view and the monthly series with policy markers and sourced figures."""

import streamlit as st

from lib import ui, views
from lib.i18n import t, type_label
from lib.schema import EVENT_TYPES

page = ui.setup("page_overview")
lang, state = page.lang, page.state
ui.title(page, "page_overview")
st.caption(t("app_tagline", lang))


def fmt(value, digits: int = 0) -> str:
    return t("kpi_not_in_view", lang) if value is None else f"{value:,.{digits}f}"


with ui.guard(page):
    if "simulated" in state.provenances():
        kpi = page.query("kpis", page.filters, "simulated")
        st.subheader(t("kpis_simulated", lang))
        cols = st.columns(5)
        cols[0].metric(t("kpi_destroyed", lang), fmt(kpi.airstrips_destroyed))
        cols[1].metric(t("kpi_repeat", lang), fmt(kpi.strips_destroyed_more_than_once))
        cols[2].metric(t("kpi_rebuild", lang), fmt(kpi.median_days_to_rebuild, 1))
        cols[3].metric(t("kpi_flights", lang), fmt(kpi.flights_detected))
        cols[4].metric(
            t("kpi_seizures", lang), fmt(kpi.seizures),
            delta=None if kpi.seized_kg is None else t("kpi_kg", lang, kg=f"{kpi.seized_kg:,.0f}"),
            delta_color="off", delta_arrow="off",
        )  # fmt: skip
    if "reported" in state.provenances():
        facts = page.query("reported_facts", page.filters)
        st.subheader(t("kpis_reported", lang))
        cols = st.columns(5)
        cols[0].metric(t("kpi_reported_records", lang), f"{len(facts):,}")
        cols[1].metric(t("kpi_reported_sources", lang), f"{facts['source_title'].nunique():,}")
        st.caption(t("kpi_reported_hint", lang))

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
