"""Routes: air, land, river and sea shares by area over time, by season, and as reported."""

import streamlit as st

from lib import charts, ui
from lib.i18n import t

page = ui.setup("page_routes")
lang = page.lang
ui.title(page, "page_routes")

with ui.guard(page):
    shares = page.query("route_counts_by_area_month", page.filters)
    if shares.empty:
        st.info(t("no_rows", lang))
    else:
        simulated = page.simulated_in_view
        st.caption(t("cross_filter_help", lang))
        fig = charts.route_shares(shares, lang=lang, simulated=simulated)
        event = ui.plotly(page, fig, key=f"routes_shares_{hash(page.state)}", filename="pistas_route_shares",
                          select=True)  # fmt: skip
        ui.cross_filter(page, event)
        profile = page.query("route_shares_by_month_of_year", page.filters)
        ui.plotly(page, charts.route_season(profile, lang=lang, simulated=simulated),
                  key="routes_season", filename="pistas_route_season")  # fmt: skip

with ui.guard(page):
    estimates = page.query("route_share_estimates")
    ui.plotly(page, charts.route_estimates(estimates, lang=lang), key="routes_estimates",
              filename="pistas_route_estimates")  # fmt: skip
    st.dataframe(
        estimates[["period", "area", "route", "share_low", "share", "share_high", "basis", "source_title", "source_url"]],
        hide_index=True, column_config={"source_url": st.column_config.LinkColumn()},
    )  # fmt: skip

ui.footer(page)
