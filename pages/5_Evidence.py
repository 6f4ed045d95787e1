"""Evidence: every sourced fact on one timeline, filterable by kind and place, and the conflicts
between sources side by side (each figure on its own row with its source; never summed)."""

import streamlit as st

from lib import l10n, story, ui
from lib.i18n import t
from lib.schema import EVIDENCE_KINDS

page = ui.setup("page_evidence")
lang, state = page.lang, page.state
st.title(t("page_evidence", lang))
st.caption(t("evidence_intro", lang))

with ui.guard(page):
    ui.multiselect(
        page,
        "kinds",
        t("evidence_kinds", lang),
        EVIDENCE_KINDS,
        lambda v: t(f"kind_{v}", lang),
        placeholder=t("all", lang),
    )
    facts = page.query("evidence_timeline", state.kinds, state.areas, lang)
    if facts.empty:
        st.info(t("evidence_empty", lang))
    else:
        st.subheader(t("evidence_timeline", lang, n=l10n.number(len(facts), lang)))
        ui.chart(
            page,
            story.timeline_figure(facts, lang=lang),
            key=f"evidence_timeline_{hash(state)}",
            name="evidence_timeline",
        )
        with st.expander(t("evidence_table", lang)):
            shown = facts.assign(
                figure=story.figure_column(facts), kind=[t(f"kind_{k}", lang) for k in facts["kind"]]
            )
            ui.sourced_table(
                page,
                shown,
                [
                    "date_start",
                    "date_end",
                    "kind",
                    "fact_id",
                    "what",
                    "figure",
                    "place",
                    "source_title",
                    "source_url",
                ],
                key="evidence_table",
            )

with ui.guard(page):
    st.subheader(t("evidence_conflicts", lang))
    st.caption(t("evidence_conflicts_help", lang))
    rows = page.query("evidence_conflicts", lang)
    columns = ["fact_id", "claim", "figure", "date_start", "date_end", "place", "source_title", "source_url"]
    groups = story.conflict_groups(rows.assign(figure=story.figure_column(rows)))
    for i in range(0, len(groups), 2):
        for col, (group, part) in zip(st.columns(2), groups[i : i + 2], strict=False):
            with col:
                st.markdown(f"**{group}**")
                ui.sourced_table(page, part, columns, key=f"conflict_{group}")

ui.footer(page)
