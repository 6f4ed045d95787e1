"""Routes: air, land, river and sea shares by area over time, by season, and as reported."""

import streamlit as st

from lib import ui
from lib.i18n import t

page = ui.setup("page_routes")
lang = page.lang
ui.title(page, "page_routes")

with ui.guard(page):
    figures = dict(page.query_view("route_filtered_figures"))
    if "route_shares" not in figures:
        st.info(t("no_rows", lang))
    else:
        st.caption(t("cross_filter_help", lang))
        event = ui.chart(
            page,
            figures["route_shares"],
            key=f"routes_shares_{hash(page.state)}",
            name="route_shares",
            select=True,
        )
        ui.cross_filter(page, event)
        ui.chart(page, figures["route_season"], key="routes_season", name="route_season")
    ui.chart(
        page, page.query_static("route_estimates_figure"), key="routes_estimates", name="route_estimates"
    )
    estimates = page.query("route_share_estimates")
    columns = [
        "period",
        "area",
        "route",
        "share_low",
        "share",
        "share_high",
        "basis",
        "source_title",
        "source_url",
    ]
    ui.table(page, estimates[columns])

with ui.guard(page):
    st.subheader(t("exports", lang))
    ui.page_exports(
        page, title=t("page_routes", lang), tables=[(t("chart_route_estimates", lang), estimates[columns])]
    )

ui.footer(page)
