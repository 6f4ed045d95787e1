"""Each page's figures as functions of (query, view), so the page, its report and the bundle
draw exactly the same charts from exactly the same queries.

`query(name, *args, **kwargs)` runs a named function of lib.queries: the pages pass their
cached runner (lib.ui.Page.query), exports pass `direct_query(db)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lib import charts, codebook, export, l10n, queries, story
from lib.db import Database
from lib.i18n import route_label, t, type_label
from lib.state import Context, ViewState

Query = Callable[..., Any]


@dataclass(frozen=True)
class View:
    """A view as pages see it: state, data context, language."""

    state: ViewState
    context: Context
    lang: str

    @property
    def filters(self) -> queries.Filters:
        return queries.filters_for(self.state, self.context)

    @property
    def simulated(self) -> bool:
        return "simulated" in self.state.provenances()


# View fields that only steer a page's controls: the Data page's table page, presenter mode, the
# Evidence page's kinds, and the Map's drawing options. No analysis here reads them, so the caches
# key on the view without them: a new `page=` must not refit the Impact page for everybody.
PAGE_ONLY_FIELDS = ("page", "present", "kinds")
MAP_ONLY_FIELDS = ("layer", "basemap", "colour", "shade", "split", "month")


def analysis_state(state: ViewState, *, keep_map: bool = False) -> ViewState:
    """The view as a cache key for analyses: page-only (and, unless kept, map-only) fields at defaults."""
    drop = PAGE_ONLY_FIELDS if keep_map else PAGE_ONLY_FIELDS + MAP_ONLY_FIELDS
    default = ViewState()
    return replace(state, **{name: getattr(default, name) for name in drop})


def direct_query(db: Database) -> Query:
    def run(name: str, *args, **kwargs):
        return getattr(queries, name)(db, *args, **kwargs)

    return run


# ---- Overview -------------------------------------------------------------------------------
def overview_series(query: Query, view: View) -> go.Figure:
    """Monthly series of the chosen event type, with policy markers and sourced figures."""
    state, f = view.state, view.filters
    series = query("events_by_month", f, by=state.by, event_type=state.metric)
    facts = query("reported_facts", f)
    policies = query("policies_in_range", f.first_month, f.last_day)
    has_simulated = view.simulated and bool((series["provenance"] == "simulated").any())
    return charts.trusted(
        charts.monthly_series(
            series,
            facts,
            policies,
            event_type=state.metric,
            by=state.by,
            lang=view.lang,
            simulated=has_simulated,
        )
    )


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    note: str | None = None  # a second line under the value (e.g. the kilograms seized)


@dataclass(frozen=True)
class KpiGroup:
    """The KPIs of one provenance: the page shows them under `title`, the report suffixes `tag`."""

    title: str
    tag: str | None
    kpis: list[Kpi]
    hint: str | None = None


def overview_kpi_groups(query: Query, view: View) -> list[KpiGroup]:
    """The Overview's KPIs for the simulated and the reported data in view (the page and its report)."""
    lang, out = view.lang, []

    def fmt(value, digits: int = 0) -> str:
        return t("kpi_not_in_view", lang) if value is None else l10n.number(value, lang, digits)

    if "simulated" in view.state.provenances():
        k = query("kpis", view.filters, "simulated")
        kg = None if k.seized_kg is None else t("kpi_kg", lang, kg=l10n.number(k.seized_kg, lang))
        out.append(
            KpiGroup(
                t("kpis_simulated", lang),
                t("prov_simulated", lang),
                [
                    Kpi(t("kpi_destroyed", lang), fmt(k.airstrips_destroyed)),
                    Kpi(t("kpi_repeat", lang), fmt(k.strips_destroyed_more_than_once)),
                    Kpi(t("kpi_rebuild", lang), fmt(k.median_days_to_rebuild, 1)),
                    Kpi(t("kpi_flights", lang), fmt(k.flights_detected)),
                    Kpi(t("kpi_seizures", lang), fmt(k.seizures), kg),
                ],
            )
        )
    if "reported" in view.state.provenances():
        facts = query("reported_facts", view.filters)
        out.append(
            KpiGroup(
                t("kpis_reported", lang),
                None,
                [
                    Kpi(t("kpi_reported_records", lang), l10n.number(len(facts), lang)),
                    Kpi(t("kpi_reported_sources", lang), l10n.number(facts["source_title"].nunique(), lang)),
                ],
                hint=t("kpi_reported_hint", lang),
            )
        )
    return out


def overview_kpis(query: Query, view: View) -> list[tuple[str, str]]:
    """(label, value) pairs for the report: the groups flattened, simulated ones tagged."""
    return [
        (f"{k.label} ({g.tag})" if g.tag else k.label, k.value)
        for g in overview_kpi_groups(query, view)
        for k in g.kpis
    ]


# ---- Routes ---------------------------------------------------------------------------------
def route_filtered_figures(query: Query, view: View) -> list[tuple[str, go.Figure]]:
    """(file stem, figure): route shares over time and by season, for the view's filters."""
    out = []
    shares = query("route_counts_by_area_month", view.filters)
    if not shares.empty:
        out.append(("route_shares", charts.route_shares(shares, lang=view.lang, simulated=view.simulated)))
        profile = query("route_shares_by_month_of_year", view.filters)
        out.append(("route_season", charts.route_season(profile, lang=view.lang, simulated=view.simulated)))
    return out


def route_estimates_figure(query: Query, view: View) -> go.Figure:
    """The reported route-share estimates: the same for every filter (depends on data and language)."""
    return charts.trusted(charts.route_estimates(query("route_share_estimates"), lang=view.lang))


def routes_figures(query: Query, view: View) -> list[tuple[str, go.Figure]]:
    """(file stem, figure) for the Routes page: shares over time, by season, as reported."""
    return [*route_filtered_figures(query, view), ("route_estimates", route_estimates_figure(query, view))]


# ---- exports --------------------------------------------------------------------------------
def caption(view: View, version: str) -> str:
    """The report's subtitle: the view's filters and data version, in the view's language."""
    s = view.state
    places = ", ".join(s.areas) or t("all_places", view.lang)
    types = ", ".join(type_label(x, view.lang) for x in s.types) or t("all_types", view.lang)
    return (
        f"Pistas · {s.start} – {s.end or view.context.last_month} · {places} · {types} · "
        f"{t(f'data_{s.data}', view.lang)} · {t('version', view.lang)} {version}"
    )


# Titles of the charts whose figure carries none (the page shows them as headings).
_TITLE_KEYS = {
    "overview_story": "story_title",
    "impact_effects": "impact_effects",
    "impact_its": "impact_its",
    "impact_sensitivity": "impact_sensitivity",
    "impact_event_study": "impact_event_study",
    "impact_placebos": "impact_placebos",
    "impact_before_after": "impact_before_after",
    "impact_displacement": "impact_displacement",
    "impact_route_shift": "impact_route_shift",
    "map": "page_map",
}


@dataclass(frozen=True)
class FigureText:
    """What an exported figure says about itself (OWID-style): what, for which view, from where."""

    title: str
    subtitle: str
    caption: str  # source line, then the view's link and data version


def figure_title(name: str, fig: go.Figure, view: View) -> str:
    """The chart's title in words: its own, or the one its page shows above it."""
    own = fig.layout.title.text
    if own:
        return re.sub(r"<[^>]+>", "", str(own))
    key = _TITLE_KEYS.get(name)
    if key is None:
        return name.replace("_", " ").capitalize()
    return (
        t(key, view.lang, area=", ".join(view.state.treated) or "—")
        if key == "impact_its"
        else t(key, view.lang)
    )


def view_subtitle(query: Query, view: View, name: str) -> str:
    """The view a chart shows, in one line; Impact charts name the policy, metric, areas and window."""
    s, lang = view.state, view.lang
    period = f"{s.start} – {s.end or view.context.last_month}"
    if name.startswith("impact_"):
        titles = query("all_policies").set_index("policy_id")["title_es" if lang == "es" else "title_en"]
        return t(
            "export_subtitle_impact",
            lang,
            policy=titles.get(s.policy, s.policy),
            metric=type_label(s.metric, lang),
            treated=", ".join(s.treated) or "—",
            window=s.window,
            period=period,
        )
    places = ", ".join(s.areas) or t("all_places", lang)
    types = ", ".join(type_label(x, lang) for x in s.types) or t("all_types", lang)
    routes = ", ".join(route_label(x, lang) for x in s.routes) or t("all_routes", lang)
    return t(
        "view_line",
        lang,
        period=period,
        places=places,
        types=types,
        routes=routes,
        data=t(f"data_{s.data}", lang),
    )


def source_line(query: Query, view: View, name: str = "") -> str:
    """Where the chart's numbers come from: the view's sources (the first three), and/or the
    simulated demo. Impact charts use one provenance only (impact_provenance), so they say that one."""
    lang = view.lang
    if name.startswith("impact_") and impact_provenance(view.state) == "simulated":
        return t("export_source_sim", lang)
    reported = "reported" in view.state.provenances()
    sources = query("sources_for_view", view.filters) if reported else pd.DataFrame()
    if len(sources):
        names = [str(x) for x in sources["publisher"].fillna(sources["title"]).drop_duplicates()]
        listed = "; ".join(names[:3])
        if len(names) > 3:
            listed = t("export_source_more", lang, first=listed, n=len(names) - 3)
    else:
        listed = t("export_no_sources", lang)
    if not view.simulated:
        return t("export_source_rep", lang, sources=listed)
    if not len(sources):
        return t("export_source_sim", lang)
    return t("export_source_mixed", lang, sources=listed)


def figure_text(query: Query, view: View, name: str, fig: go.Figure, version: str, link: str) -> FigureText:
    lines = (
        f"{source_line(query, view, name)}\n{t('export_link_line', view.lang, link=link, version=version)}"
    )
    return FigureText(figure_title(name, fig, view), view_subtitle(query, view, name), lines)


def file_kind(name: str, view: View) -> str:
    """What an exported file is called before its places and period: the chart, and for Impact
    charts the policy, metric and window (the filters alone do not say which analysis it was)."""
    s = view.state
    return f"{name}_{s.policy}_{s.metric}_{s.window}m" if name.startswith("impact_") else name


def image(fig: go.Figure, view: View, version: str, fmt: str, *, name: str, link: str, query: Query) -> bytes:
    """The figure as PNG or SVG that describes itself: title, view, sources, link, data version."""
    text = figure_text(query, view, name, fig, version, link)
    mark = t("simulated_mark", view.lang) if view.simulated else None
    fig = go.Figure(fig).update_layout(
        separators=l10n.plotly_separators(view.lang)
    )  # a copy: the page's stays
    return export.figure_image(
        fig, fmt, title=text.title, subtitle=text.subtitle, caption=text.caption, simulated_mark=mark
    )


def all_figures(query: Query, view: View) -> list[tuple[str, go.Figure]]:
    """Every chart of the view across pages, as the Overview draws them: the story first, then the
    explorer (reported rows by year with data=reported), then Routes. Maps are interactive only."""
    figures = []
    first = story.story(query, view)
    if first.figure is not None:
        figures.append(("overview_story", first.figure))
    if view.state.data == "reported":
        reported, _ = story.reported_annual(query, view)
        if reported is not None:
            figures.append(("overview_reported", reported))
    else:
        figures.append(("overview_series", overview_series(query, view)))
    return [*figures, *routes_figures(query, view)]


def report(
    query: Query,
    view: View,
    *,
    version: str,
    link: str,
    title: str,
    figures: list[tuple[str, go.Figure]],
    kpis: list[tuple[str, str]],
    tables: list[tuple[str, pd.DataFrame]],
    paragraphs: list[str] | None = None,
) -> bytes:
    """The self-contained HTML report of a page (its charts under their titles, KPIs, reading, tables)."""
    sources = query("sources_for_view", view.filters)
    return export.report_html(
        title=title,
        subtitle=caption(view, version),
        figures=[(figure_title(n, f, view), f) for n, f in figures],
        kpis=kpis,
        tables=[(c, l10n.display_table(df, view.lang)) for c, df in tables],
        sources=sources,
        view_link=link,
        data_version=version,
        paragraphs=paragraphs or [],
        simulated_note=t("banner_simulated", view.lang) if view.simulated else None,
        lang=view.lang,
    )


def bundle(
    db: Database,
    view: View,
    *,
    version: str,
    link: str,
    figures: list[tuple[str, go.Figure]] | None = None,
    tables: list[tuple[str, pd.DataFrame]] | None = None,
) -> bytes:
    """One zip for the whole view: every chart as PNG and SVG (the view's, then the calling page's
    own, e.g. the Impact page's), its tables as CSV, the data files, the report, a README."""
    query = direct_query(db)
    seen = dict(all_figures(query, view))
    seen.update(dict(figures or []))
    figures = list(seen.items())
    rows = queries.events_for_export(db, view.filters)
    note = t("provenance_note_sim" if view.simulated else "provenance_note_rep", view.lang)
    meta = export.ExportMeta(
        view_link=link,
        data_version=version,
        filters=view.state.to_query() or {"view": "default"},
        provenance_note=note,
        title="Pistas",
    )
    stem = export.export_filename(
        "view", list(view.state.areas), view.state.start, view.state.end or view.context.last_month, "zip"
    )[: -len(".zip")]
    files: list[tuple[str, bytes, str]] = []
    images_ok, why = export.image_export_available()
    for name, fig in figures:
        if images_ok:
            what = figure_title(name, fig, view)
            for fmt, size in (("png", "PNG 3200×1800"), ("svg", "SVG")):
                files.append(
                    (
                        f"chart_{name}.{fmt}",
                        image(fig, view, version, fmt, name=name, link=link, query=query),
                        f"{what} ({size})",
                    )
                )
    for i, (title, table) in enumerate(tables or [], start=1):
        files.append((f"table_{i}.csv", export.safe_csv_bytes(table), f"{title} (table, CSV)"))
    files += [
        (
            "codebook.csv",
            export.safe_csv_bytes(codebook.frame()),
            "data dictionary: each column's meaning (English and Spanish), unit and allowed values",
        ),
        (f"{stem}.csv", export.csv_bytes(rows, meta), "rows behind the view, CSV (UTF-8 with BOM)"),
        (
            f"{stem}.xlsx",
            export.xlsx_bytes(rows, meta, queries.sources_for_view(db, view.filters)),
            "rows behind the view and an 'about' sheet (link, filters, version, sources), XLSX",
        ),
        (
            f"{stem}.parquet",
            export.parquet_bytes(rows, meta),
            "rows behind the view, Parquet (events schema)",
        ),
        (
            "report.html",
            report(
                query,
                view,
                version=version,
                link=link,
                title="Pistas",
                figures=figures,
                kpis=overview_kpis(query, view),
                tables=[],
            ),
            "self-contained HTML report: interactive charts, KPIs, sources; opens offline",
        ),
    ]
    readme = export.bundle_readme(
        title=f"Pistas — {caption(view, version)}",
        files=[(n, d) for n, _, d in files],
        view_link=link,
        data_version=version,
        provenance_note=note if images_ok else f"{note}\nChart images left out: {why}",
        exported_at=meta.exported_at,
    )
    # Entries carry the export time (an unzipped file says when it was made, not 1980).
    return export.bundle_zip(
        files=[(n, b) for n, b, _ in files], readme_text=readme, timestamp=meta.exported_at
    )


# ---- Policy impact --------------------------------------------------------------------------
@dataclass(frozen=True)
class ImpactAnalysis:
    """Every estimate of the Impact page; a part that could not be estimated holds its reason."""

    policy_label: str
    policy_date: Any
    readings: list[str]
    figures: list[tuple[str, go.Figure]]
    tables: list[tuple[str, pd.DataFrame]]
    caveats: list[tuple[str, str]]  # (section, caveat code): every caveat of every estimate and table
    problems: list[tuple[str, str, str]]  # (section, ImpactError code, English message)
    diagnostics: pd.DataFrame | None = None


def policy_label(query: Query, policy_id: str, lang: str) -> str:
    policies = query("all_policies")
    row = policies[policies["policy_id"] == policy_id]
    if not len(row):
        return policy_id
    return str(row["title_es" if lang == "es" else "title_en"].iloc[0])


def impact_analysis(query: Query, view: View) -> ImpactAnalysis:
    """The three answers (treated, other areas, all areas), the screened DiD, its diagnostics,
    the window scan, and the before/after, displacement and route tables."""
    from threadpoolctl import threadpool_limits

    from lib import impact, impact_charts
    from lib.i18n import IMPACT_LABELS_ES
    from lib.impact import reading

    state, lang, f = view.state, view.lang, view.filters
    labels = {**(IMPACT_LABELS_ES if lang == "es" else {}), "simulated": t("simulated_mark", lang)}
    policy_day = query("policy_date", state.policy)
    policy_name = policy_label(query, state.policy, lang)
    event_label = type_label(state.metric, lang)
    provenance = impact_provenance(state)
    # One provenance only (reported and simulated counts are never pooled), over the span that
    # provenance covers: simulated months outside it are not zeros, and reported months without
    # a report are unknown (absent="missing").
    span = replace_filters(f, view.context, provenance)
    counts = query("monthly_counts_by_area", span, state.metric)
    counts = counts[counts["area"] != "Nacional"]
    coverage = query("provenance_months", provenance)
    absent = "missing" if provenance == "reported" else "zero"
    kw = {"coverage": coverage, "absent": absent}
    figures, tables, caveats, problems = [], [], [], []
    sim = provenance == "simulated"

    def attempt(section: str, fn):
        try:
            with threadpool_limits(limits=1):  # small fits: threads only add contention
                return fn()
        except impact.ImpactError as exc:
            problems.append((section, exc.code, str(exc)))
            return None

    if policy_day is None or coverage is None:
        code = "unknown_policy" if policy_day is None else "no_data"
        problems.append(
            ("policy", code, f"Unknown policy {state.policy}." if policy_day is None else "No data.")
        )
        return ImpactAnalysis(policy_name, policy_day, [], [], [], [], problems)

    study = attempt(
        "its",
        lambda: impact.policy_study(
            counts, list(state.treated), list(state.control), policy_day, state.window, **kw
        ),
    )
    readings: list[str] = []
    diagnostics = None
    if study is not None:
        readings = reading.reading(study, lang, event_label=event_label)
        diagnostics = reading.diagnostics(study, lang)
        for section, part in (("its", study.treated_effect), ("net", study.net), ("did", study.did)):
            if part.ok:
                caveats += [(section, c) for c in part.result.caveats]
            elif part.code:
                problems.append((section, part.code, part.message or ""))
        for part in study.others:
            if part.ok:
                caveats += [("others", c) for c in part.result.caveats]
        figures.append(("impact_effects", impact_charts.effects_figure(study, labels, sim)))
        if study.treated_effect.ok:
            figures.append(("impact_its", impact_charts.its_figure(study.treated_effect.result, labels, sim)))
        if not study.sensitivity.empty:
            figures.append(
                (
                    "impact_sensitivity",
                    impact_charts.sensitivity_figure(study.sensitivity, labels, sim, chosen=state.window),
                )
            )
        if study.did.ok:
            figures.append(
                ("impact_event_study", impact_charts.event_study_figure(study.did.result, labels, sim))
            )
            if len(study.did.result.placebos):
                figures.append(
                    ("impact_placebos", impact_charts.placebo_figure(study.did.result, labels, sim))
                )
    table = attempt("before_after", lambda: impact.before_after(counts, policy_day, state.window, **kw))
    if table is not None:
        figures.append(("impact_before_after", impact_charts.forest_figure(table, labels, sim)))
        tables.append((t("impact_before_after", lang), _plain(table)))
        caveats += [("before_after", c) for c in _table_caveats(table)]
    shares = attempt("displacement", lambda: impact.displacement(counts, policy_day, state.window, **kw))
    if shares is not None:
        figures.append(("impact_displacement", impact_charts.displacement_figure(shares, labels, sim)))
        tables.append((t("impact_displacement", lang), _plain(shares)))
        caveats += [("displacement", c) for c in _table_caveats(shares)]
    routes = query("route_counts_by_area_month", span)
    routes = routes[routes["area"] != "Nacional"]
    shift = attempt("route_shift", lambda: impact.route_share_shift(routes, policy_day, state.window, **kw))
    if shift is not None:
        figures.append(("impact_route_shift", impact_charts.route_shift_figure(shift, labels, sim)))
        tables.append((t("impact_route_shift", lang), _plain(shift)))
        caveats += [("route_shift", c) for c in _table_caveats(shift)]
    if sim:
        caveats.insert(0, ("all", "simulated"))
    figures = [(name, charts.trusted_with_template(fig)) for name, fig in figures]  # cheap to unpickle
    return ImpactAnalysis(
        policy_name,
        policy_day,
        readings,
        figures,
        tables,
        list(dict.fromkeys(caveats)),
        problems,
        diagnostics,
    )


def _table_caveats(table: pd.DataFrame) -> list[str]:
    """Every caveat of a result table: the table-wide ones and each row's."""
    codes = list(table.attrs.get("caveats", ()))
    if "caveats" in table.columns:
        for row in table["caveats"]:
            codes += list(row)
    return list(dict.fromkeys(codes))


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A result table for display: per-row caveat codes and table attrs (shown as text) removed."""
    out = table.drop(columns=["caveats"], errors="ignore")
    out.attrs = {}
    return out


def impact_provenance(state: ViewState) -> str:
    """Which rows the estimates use: simulated unless the view asks for reported only."""
    return "reported" if state.data == "reported" else "simulated"


def replace_filters(f: queries.Filters, context: Context, provenance: str) -> queries.Filters:
    """The same place/type/route filters over the whole data span, for one provenance."""
    return replace(
        f,
        first_month=queries.month_date(context.first_month),
        last_month=queries.month_date(context.last_month),
        provenances=(provenance,),
    )
