"""Policy impact: did a policy move trafficking, where to, and how sure can we be?"""

import streamlit as st

from lib import ui, views
from lib.i18n import t, type_label
from lib.impact import caveat_text, error_text
from lib.schema import AREAS, EVENT_TYPES

page = ui.setup("page_impact")
lang, state, ctx = page.lang, page.state, page.context
ui.title(page, "page_impact")
TITLES = {
    "impact_its": t("impact_its", lang, area=", ".join(state.treated) or "—"),
    "impact_event_study": t("impact_event_study", lang),
    "impact_placebos": t("impact_placebos", lang),
    "impact_before_after": t("impact_before_after", lang),
    "impact_displacement": t("impact_displacement", lang),
    "impact_route_shift": t("impact_route_shift", lang),
}

with ui.guard(page):
    titles = page.query("all_policies").set_index("policy_id")["title_es" if lang == "es" else "title_en"]
    cols = st.columns([3, 1, 2])
    with cols[0]:
        ui.select(page, "policy", t("policy", lang), ctx.policies, lambda p: f"{titles.get(p, p)}"[:90])
    with cols[1]:
        ui.select(page, "window", t("window", lang), (6, 12, 18, 24, 36, 48, 60))
    with cols[2]:
        ui.select(page, "metric", t("impact_metric", lang), EVENT_TYPES, lambda v: type_label(v, lang))
    cols = st.columns(2)
    areas = tuple(a for a in AREAS if a != "Nacional")
    with cols[0]:
        ui.multiselect(page, "treated", t("treated", lang), areas)
    with cols[1]:
        ui.multiselect(page, "control", t("control", lang), areas, placeholder=t("all", lang))
    prov = t(f"prov_{views.impact_provenance(state)}", lang)
    st.caption(t("impact_uses", lang, prov=prov))

    analysis = page.query_view("impact_analysis")
    st.subheader(t("impact_reading", lang))
    for text in analysis.readings:
        st.markdown(text)
    same_reason: dict[str, list[str]] = {}  # one notice per reason, naming its sections
    for section, code, message in analysis.problems:
        same_reason.setdefault(error_text(code, message, lang), []).append(t(f"impact_section_{section}", lang))
    for reason, sections in same_reason.items():
        st.warning(t("impact_unavailable", lang, reason=f"{', '.join(sections)}: {reason}"))
    if analysis.caveats:
        st.subheader(t("impact_caveats", lang))
        for code in analysis.caveats:
            text = t("impact_simulated_caveat", lang) if code == "simulated" else caveat_text(code, lang)
            st.markdown(f"- {text}")
    for name, fig in analysis.figures:
        st.subheader(TITLES.get(name, name))
        ui.chart(page, fig, key=f"{name}_{hash(state)}", name=name)
    for title, table in analysis.tables:
        with st.expander(title):
            st.dataframe(table, hide_index=True)

with ui.guard(page):
    st.subheader(t("exports", lang))
    ui.page_exports(page, title=t("page_impact", lang),
                    kpis=lambda: [(t("impact_reading", lang), " ".join(analysis.readings))],
                    tables=analysis.tables)  # fmt: skip

ui.footer(page)
