"""Policy impact: did a policy move trafficking, where to, and how sure can we be?"""

import streamlit as st

from lib import ui, views
from lib.i18n import caveat_text, error_text, t, type_label
from lib.schema import AREAS, EVENT_TYPES

page = ui.setup("page_impact")
lang, state, ctx = page.lang, page.state, page.context
ui.title(page, "page_impact")
TITLES = {
    "impact_effects": t("impact_effects", lang),
    "impact_its": t("impact_its", lang, area=", ".join(state.treated) or "—"),
    "impact_sensitivity": t("impact_sensitivity", lang),
    "impact_event_study": t("impact_event_study", lang),
    "impact_placebos": t("impact_placebos", lang),
    "impact_before_after": t("impact_before_after", lang),
    "impact_displacement": t("impact_displacement", lang),
    "impact_route_shift": t("impact_route_shift", lang),
}


def controls() -> None:
    """The analysis' own choices (policy, window, metric, areas); presenter mode keeps them in the URL."""
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
        ui.multiselect(page, "control", t("control", lang), areas, placeholder=t("impact_screened", lang))


with ui.guard(page):
    if not state.present:
        controls()
    prov = t(f"rows_{views.impact_provenance(state)}", lang)
    st.caption(t("impact_uses", lang, prov=prov))

    analysis = page.query_view("impact_analysis")
    if analysis.policy_date is not None:
        st.caption(t("impact_policy_line", lang, date=analysis.policy_date, window=state.window))
    shown_first = None
    if state.present and analysis.figures:  # on a projector the answer's chart comes first
        shown_first, fig = analysis.figures[0]
        ui.chart(page, fig, key=f"{shown_first}_{hash(state)}", name=shown_first)
    st.subheader(t("impact_reading", lang))
    for text in analysis.readings:
        st.markdown(text)
    same_reason: dict[str, list[str]] = {}  # one notice per reason, naming its sections
    for section, code, message in analysis.problems:
        same_reason.setdefault(error_text(code, message, lang), []).append(
            t(f"impact_section_{section}", lang)
        )
    for reason, sections in same_reason.items():
        st.warning(t("impact_unavailable", lang, reason=f"{', '.join(dict.fromkeys(sections))}: {reason}"))
    if analysis.diagnostics is not None:
        st.subheader(t("impact_diagnostics", lang))
        ui.table(page, analysis.diagnostics)
    if analysis.caveats:
        st.subheader(t("impact_caveats", lang))
        by_code: dict[str, list[str]] = {}  # each caveat once, naming the estimates it applies to
        for section, code in analysis.caveats:
            by_code.setdefault(code, []).append(section)
        for code, sections in by_code.items():
            text = t("impact_simulated_caveat", lang) if code == "simulated" else caveat_text(code, lang)
            where = ", ".join(t(f"impact_section_{s}", lang) for s in dict.fromkeys(sections) if s != "all")
            st.markdown(f"- {text}" + (f" ({where})" if where else ""))
    for name, fig in analysis.figures:
        if name == shown_first:
            continue
        st.subheader(TITLES.get(name, name))
        ui.chart(page, fig, key=f"{name}_{hash(state)}", name=name)
    for title, table in analysis.tables:
        with st.expander(title):
            ui.table(page, table)

with ui.guard(page):
    st.subheader(t("exports", lang))
    ui.page_exports(
        page, title=t("page_impact", lang), paragraphs=list(analysis.readings), tables=analysis.tables
    )

ui.footer(page)
