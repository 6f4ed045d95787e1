"""Data: the rows behind the view, the sources they cite, and downloads of exactly those rows."""

import math

import streamlit as st

from lib import export, l10n, queries, ui
from lib.i18n import t

page = ui.setup("page_data")
lang, state = page.lang, page.state
ui.title(page, "page_data")

with ui.guard(page):
    total = page.query("events_count", page.filters)
    pages = max(1, math.ceil(total / queries.PAGE_SIZE))
    st.subheader(t("rows_in_view", lang, n=l10n.number(total, lang)))
    left, right = st.columns([1, 5])
    with left:
        number = st.number_input(
            t("table_page", lang),
            min_value=1,
            max_value=pages,
            value=min(state.page, pages),
            step=1,
            key=f"table_page_{pages}",
        )
        st.caption(t("of_pages", lang, n=l10n.number(pages, lang)))
    if number != state.page:
        ui.go(page, page=int(number))
    rows = page.query("events_page", page.filters, min(state.page, pages))
    # Headings in the page's language (the downloads keep the machine names; the codebook maps them).
    dates = {
        l10n.column_label(c, lang): st.column_config.DateColumn(format="YYYY-MM-DD")
        for c in ("date", "date_end")
    }
    st.dataframe(l10n.display_table(rows, lang), hide_index=True, height=420, column_config=dates)

with ui.guard(page):
    st.subheader(t("sources_cited", lang))
    sources = page.query("sources_for_view", page.filters)
    if sources.empty:
        st.caption(t("no_sources", lang))
    else:
        ui.table(page, sources)

with ui.guard(page):
    st.subheader(t("downloads", lang))
    if total > queries.EXPORT_ROW_LIMIT:
        st.warning(t("export_capped", lang, n=l10n.number(queries.EXPORT_ROW_LIMIT, lang)))
    filters, db = page.filters, page.db
    meta = ui.export_meta(page, set(state.provenances()), title="Pistas events")

    def rows_for_export():
        return queries.events_for_export(db, filters)

    def name(ext: str) -> str:
        return export.export_filename(
            "events", list(state.areas), state.start, state.end or page.context.last_month, ext
        )

    cols = st.columns(3)
    with cols[0]:
        ui.download(
            t("download_csv", lang),
            lambda: export.csv_bytes(rows_for_export(), meta),
            name("csv"),
            "text/csv",
            "download_csv",
        )
    with cols[1]:
        ui.download(
            t("download_xlsx", lang),
            lambda: export.xlsx_bytes(rows_for_export(), meta, queries.sources_for_view(db, filters)),
            name("xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "download_xlsx",
        )
    with cols[2]:
        ui.download(
            t("download_parquet", lang),
            lambda: export.parquet_bytes(rows_for_export(), meta),
            name("parquet"),
            "application/vnd.apache.parquet",
            "download_parquet",
        )

with ui.guard(page):
    ui.upload_section(page)

with ui.guard(page):
    ui.page_exports(
        page, title=t("page_data", lang), tables=[(t("rows_in_view", lang, n=l10n.number(total, lang)), rows)]
    )

ui.footer(page)
