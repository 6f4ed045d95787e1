"""The shared page frame: view state from the URL, sidebar filters, banners, share box, footer.

The only module outside pages/ that calls Streamlit. Every page starts with `page = setup(...)`.

How the URL stays the view: each run parses `st.query_params` into a `ViewState`, writes the
canonical form back when it differs (so `areas=vraem,huanuco` becomes `areas=Huánuco,VRAEM`),
and pushes the state into the widgets' session values before drawing them. A widget change
runs a callback that writes the new canonical query; the rerun then reads it. Streamlit's
native `bind="query-params"` is not used because it silently drops values it cannot parse
and writes repeated parameters, while our contract needs forgiving parsing, a notice per
rejected value and comma-joined canonical lists.
"""

from __future__ import annotations

import html
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from lib import export, geo, l10n, memory, paths, queries, upload_text, views
from lib.db import Database, DataUnavailable, database
from lib.i18n import language_from_locale, plain, problem_text, route_label, t, type_label
from lib.paths import REPO_ROOT
from lib.schema import AREAS, EVENT_TYPES, REGIONS, ROUTES
from lib.state import Context, ViewState

LOG = logging.getLogger("pistas")

PAGES = (
    ("app.py", "page_overview", ":material/insights:"),
    ("pages/1_Routes.py", "page_routes", ":material/alt_route:"),
    ("pages/2_Map.py", "page_map", ":material/map:"),
    ("pages/3_Impact.py", "page_impact", ":material/query_stats:"),
    ("pages/4_Data.py", "page_data", ":material/table_view:"),
    ("pages/5_Evidence.py", "page_evidence", ":material/fact_check:"),
)
PLACE_OPTIONS: tuple[str, ...] = tuple(dict.fromkeys((*AREAS, *REGIONS)))
PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stToolbar"], [data-testid="stHeader"] { display: none !important; }
.block-container { padding-top: 0.6rem !important; padding-bottom: 1rem !important; }
html, body, [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
h1 { font-size: 1.9rem !important; padding: 0.2rem 0 0 0 !important; }
/* Values read from the back of the room: larger than their labels, whatever the paragraph rule says. */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.6rem !important; line-height: 1.15; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { font-size: 1rem !important; }
/* No cut text: labels and buttons wrap instead of ending in "…". */
[data-testid="stMetricLabel"] *, [data-testid="stWidgetLabel"] *, button p, button div {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
.st-key-presenter_bar { border-bottom: 1px solid #e5e7eb; padding-bottom: 0.2rem; }
.st-key-presenter_bar [data-testid="stPageLink"] p { font-size: 0.95rem !important; }
</style>
"""  # static text only: no data or user text ever reaches unsafe HTML
# The Overview's finding and its chart fit above the fold at 1280×720: less space over the title.
COMPACT_TOP_CSS = """
<style>
.block-container { padding-top: 3.6rem; }
h1 { font-size: 2.1rem !important; padding-top: 0.2rem !important; }
</style>
"""


@dataclass(frozen=True)
class Page:
    """What a page needs after setup."""

    state: ViewState
    context: Context
    lang: str
    version: str
    db: Database
    key: str = "page_overview"  # which page (PAGES): the presenter bar links back to it

    @property
    def view(self) -> views.View:
        return views.View(self.state, self.context, self.lang)

    @property
    def filters(self) -> queries.Filters:
        return self.view.filters

    @property
    def simulated_in_view(self) -> bool:
        return self.view.simulated

    def query_view(self, name: str, *, keep_map: bool = False):
        """A lib.views analysis of this view (e.g. impact fits), cached by data version and view
        (with `keep_map`, the Map's drawing fields and month are part of the view)."""
        state = views.analysis_state(self.state, keep_map=keep_map)
        return _cached_view(name, str(self.db.built), self.version, state, self.context, self.lang)

    def query_static(self, name: str):
        """A lib.views result that does not depend on the filters, cached by version and language."""
        return _cached_static(name, str(self.db.built), self.version, self.context, self.lang)

    def query(self, name: str, *args, **kwargs):
        """A named query from lib.queries, cached by data version and arguments."""
        cached = _cached_heavy_query if name in HEAVY_QUERIES else _cached_query
        return cached(name, str(self.db.built), self.version, args, tuple(sorted(kwargs.items())))

    def map_panel(self, which: str):
        """One map of the Map page (lib.map_view.MapPanel), cached by data version, view,
        language and where boundaries come from."""
        return _cached_map_panel(
            which,
            str(self.db.built),
            self.version,
            views.analysis_state(self.state, keep_map=True),
            self.context,
            self.lang,
            boundaries_source(),
        )


# ---- caching at the edge ------------------------------------------------------------------
# Caches are bounded by entries: most results are a few KB (1,000 views ≈ a few MB); the map's
# located-events sample is up to 10k rows (~1–2 MB), so it gets its own, much smaller cache.
HEAVY_QUERIES = frozenset({"events_for_map"})


def _run_query(name: str, built: str, args: tuple, kwargs: tuple):
    from pathlib import Path

    return getattr(queries, name)(database(Path(built)), *args, **dict(kwargs))


@st.cache_data(max_entries=1000, ttl=3600, show_spinner=False)
def _cached_query(name: str, built: str, version: str, args: tuple, kwargs: tuple):
    # `version` is part of the key: a rebuild never serves stale rows.
    return _run_query(name, built, args, kwargs)


@st.cache_data(max_entries=200, ttl=3600, show_spinner=False)
def _cached_view(name: str, built: str, version: str, state: ViewState, context: Context, lang: str):
    from pathlib import Path

    return _view_function(name)(views.direct_query(database(Path(built))), views.View(state, context, lang))


def _view_function(name: str):
    """A (query, view) function: lib.views.<name>, or lib.story.<name> for "story.<name>"."""
    if name.startswith("story."):
        from lib import story

        return getattr(story, name.removeprefix("story."))
    if name.startswith("map_export."):
        from lib import map_export

        return getattr(map_export, name.removeprefix("map_export."))
    return getattr(views, name)


@st.cache_data(max_entries=20, ttl=3600, show_spinner=False)
def _cached_static(name: str, built: str, version: str, context: Context, lang: str):
    from pathlib import Path

    return getattr(views, name)(
        views.direct_query(database(Path(built))), views.View(ViewState(), context, lang)
    )


@st.cache_data(ttl=60, show_spinner=False)
def _images_available() -> tuple[bool, str]:
    # Probing for Chromium costs a few ms; a page draws several charts per rerun.
    return export.image_export_available()


@st.cache_data(max_entries=24, ttl=3600, show_spinner=False)
def _cached_heavy_query(name: str, built: str, version: str, args: tuple, kwargs: tuple):
    return _run_query(name, built, args, kwargs)


def boundaries_source() -> tuple[str | None, str | None, str]:
    """Where region boundaries can come from (lib.geo's order): a changed setting is a new key."""
    return os.environ.get(geo.ENV_GEO_DIR), os.environ.get(geo.ENV_OFFLINE), str(paths.data_dir())


def boundaries() -> tuple[geo.GeoResult, dict | None]:
    """(regions, rivers) for the maps, loaded once per place they can come from."""
    return _boundaries(boundaries_source())


@st.cache_resource(show_spinner=False, max_entries=8)
def _boundaries(source: tuple[str | None, str | None, str]) -> tuple[geo.GeoResult, dict | None]:
    # `source` is only the cache key: lib.geo reads the same settings itself.
    return geo.load_regions(), geo.load_rivers()


@st.cache_data(max_entries=24, ttl=3600, show_spinner=False)
def _cached_map_panel(
    which: str,
    built: str,
    version: str,
    state: ViewState,
    context: Context,
    lang: str,
    source: tuple[str | None, str | None, str],
):
    # A deck of 10k events is up to ~1.5 MB of JSON text: few entries, like the heavy queries.
    from pathlib import Path

    from lib import map_view

    regions, rivers = _boundaries(source)
    query = views.direct_query(database(Path(built)))
    return map_view.map_panel(query, views.View(state, context, lang), which, regions, rivers)


@st.cache_data(max_entries=50, show_spinner=False)
def _context(built: str, version: str) -> Context:
    from pathlib import Path

    return queries.data_context(database(Path(built)))


# ---- setup --------------------------------------------------------------------------------
def setup(page_key: str) -> Page:
    """Set up a page: config, state from the URL, notices, sidebar. Stops on unusable data."""
    params = st.query_params.to_dict()
    st.set_page_config(
        page_title=f"Pistas · {t(page_key, 'en')}",
        page_icon="🛩️",
        layout="wide",
        initial_sidebar_state="collapsed" if params.get("present") in ("1", "true") else "auto",
    )
    require_login(
        params.get("lang") if params.get("lang") in ("en", "es") else language_from_locale(st.context.locale)
    )
    db = database()
    try:
        version = db.version()
        context = _context(str(db.built), version)
    except DataUnavailable as exc:
        st.title("Pistas")
        st.error(t("data_unavailable", "en", reason=str(exc)))
        st.stop()
    except Exception as exc:  # corrupt files: say so, never a traceback (nor a path: it goes to the log)
        st.title("Pistas")
        ref = _log_failure("reading the data", exc)
        st.error(
            t(
                "data_unavailable",
                "en",
                reason=f"{type(exc).__name__} (reference {ref}). Rebuild with `make data`.",
            )
        )
        st.stop()
    state, problems = ViewState.from_query(params, context)
    lang = state.lang or language_from_locale(st.context.locale)
    page = Page(state, context, lang, version, db, page_key)
    _write_canonical_url(page, params)
    if state.present:
        st.html(PRESENTER_CSS)
        presenter_bar(page)
    if problems:
        st.warning(
            t("problems_title", lang) + "\n\n" + "\n".join(f"- {problem_text(p, lang)}" for p in problems)
        )
    linked = params.get("v")
    if linked and linked != version:
        st.info(t("version_changed", lang, old=plain(linked[:12]), new=version))
    if not state.present:
        _sidebar(page)
    st.session_state["_figures"] = {}  # this run's charts, for the page's report
    return page


def canonical_query(page: Page, state: ViewState | None = None) -> dict[str, str]:
    return {**(state or page.state).to_query(), "v": page.version}


def _write_canonical_url(page: Page, params: dict[str, str]) -> None:
    wanted = canonical_query(page)
    if params != wanted:
        st.query_params.from_dict(wanted)


def go(page: Page, /, **changes) -> None:
    """Change the view (and so the URL) and rerun."""
    st.query_params.from_dict(canonical_query(page, page.state.with_changes(**changes)))
    st.rerun()


# ---- sidebar ------------------------------------------------------------------------------
def _apply(page: Page, field: str, key: str, convert: Callable[[object], object]) -> None:
    """Widget callback: write the changed field into the URL (the rerun reads it back)."""
    new = page.state.with_changes(**{field: convert(st.session_state[key])})
    st.query_params.from_dict(canonical_query(page, new))


def _widget(page: Page, field: str, value: object) -> dict:
    """Key, current value and callback for a widget bound to one ViewState field."""
    key = f"w_{field}"
    st.session_state[key] = value
    return {"key": key}


def month_list(first: str, last: str) -> list[str]:
    import pandas as pd

    return [m.strftime("%Y-%m") for m in pd.period_range(first, last, freq="M").to_timestamp()]


def _sidebar(page: Page) -> None:
    state, lang, ctx = page.state, page.lang, page.context
    with st.sidebar:
        nav_links(page)
        st.header(t("filters", lang))
        months = month_list(min(ctx.first_month, "2010-01"), ctx.last_month)
        start = state.start if state.start in months else months[0]
        end = state.end or ctx.last_month
        st.select_slider(
            t("period", lang),
            options=months,
            **_widget(page, "period", (start, end)),
            on_change=_apply_period,
            args=(page,),
        )
        st.multiselect(
            t("places", lang),
            PLACE_OPTIONS,
            help=t("places_help", lang),
            placeholder=t("all", lang),
            **_widget(page, "areas", list(state.areas)),
            on_change=_apply,
            args=(page, "areas", "w_areas", lambda v: tuple(sorted(v))),
        )
        st.multiselect(
            t("types", lang),
            EVENT_TYPES,
            format_func=lambda v: type_label(v, lang),
            placeholder=t("all", lang),
            **_widget(page, "types", list(state.types)),
            on_change=_apply,
            args=(page, "types", "w_types", lambda v: tuple(sorted(v))),
        )
        st.multiselect(
            t("routes", lang),
            ROUTES,
            format_func=lambda v: route_label(v, lang),
            placeholder=t("all", lang),
            **_widget(page, "routes", list(state.routes)),
            on_change=_apply,
            args=(page, "routes", "w_routes", lambda v: tuple(sorted(v))),
        )
        st.radio(
            t("data", lang),
            ("all", "reported", "simulated"),
            format_func=lambda v: t(f"data_{v}", lang),
            **_widget(page, "data", state.data),
            on_change=_apply,
            args=(page, "data", "w_data", str),
        )
        if state.to_query().keys() - {"lang", "present"}:
            if st.button(t("clear_filters", lang), key="clear_filters", icon=":material/filter_alt_off:"):
                go(
                    page,
                    **{
                        f: getattr(ViewState(), f)
                        for f in ("start", "end", "areas", "types", "routes", "data")
                    },
                )
        st.divider()
        st.segmented_control(
            t("language", lang),
            ("en", "es"),
            format_func=lambda v: {"en": "English", "es": "Español"}[v],
            **_widget(page, "lang", lang),
            on_change=_apply,
            args=(page, "lang", "w_lang", lambda v: v or lang),
        )
        st.toggle(
            t("present", lang),
            **_widget(page, "present", state.present),
            on_change=_apply,
            args=(page, "present", "w_present", bool),
        )
        share_box(page)


def _apply_period(page: Page) -> None:
    value = st.session_state["w_period"]
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return  # (AppTest reports a range slider set through session state as one value)
    start, end = value
    end_value = None if end == page.context.last_month else end
    st.query_params.from_dict(canonical_query(page, page.state.with_changes(start=start, end=end_value)))


def presenter_bar(page: Page) -> None:
    """Presenter mode's only furniture: the pages (keeping the view), the view in one line, a way out."""
    query = canonical_query(page)
    here = next((path for path, key, _ in PAGES if key == page.key), "app.py")
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="presenter_bar"):
        for path, key, icon in PAGES:
            if (REPO_ROOT / path).is_file():
                st.page_link(path, label=t(key, page.lang), icon=icon, query_params=query)
        st.page_link(
            here,
            label=t("present_exit", page.lang),
            icon=":material/close_fullscreen:",
            query_params=canonical_query(page, page.state.with_changes(present=False)),
        )


def nav_links(page: Page) -> None:
    """Links to every page that carry the current view (the default navigation drops it)."""
    query = canonical_query(page)
    for path, key, icon in PAGES:
        if not (REPO_ROOT / path).is_file():  # a page still being written
            continue
        st.page_link(path, label=t(key, page.lang), icon=icon, query_params=query)


def share_box(page: Page) -> None:
    # A text box, not st.code: a code block makes every page fetch and parse Streamlit's
    # 1.5 MB syntax highlighter, which delays the map's first draw by about 0.3 s.
    st.text_input(t("share", page.lang), share_link(page))
    st.caption(t("share_help", page.lang))


# ---- page furniture -----------------------------------------------------------------------
def title(page: Page, page_key: str, heading: str | None = None) -> None:
    """The page's title (or `heading`: the Overview states its finding), view line and banner."""
    if heading and not page.state.present:
        st.html(COMPACT_TOP_CSS)
    st.title(
        heading or (t(page_key, page.lang) if page_key != "page_overview" else t("app_title", page.lang))
    )
    st.caption(view_line(page))
    if page.simulated_in_view:
        st.warning(t("banner_simulated", page.lang), icon=":material/science:")


def view_line(page: Page) -> str:
    """The view's filters in one line (shown under titles; the presenter's audience reads it)."""
    s, lang = page.state, page.lang
    period = f"{s.start} – {s.end or page.context.last_month}"
    places = ", ".join(s.areas) if s.areas else t("all_places", lang)
    types = ", ".join(type_label(x, lang) for x in s.types) if s.types else t("all_types", lang)
    routes = ", ".join(route_label(x, lang) for x in s.routes) if s.routes else t("all_routes", lang)
    return t(
        "view_line",
        lang,
        period=period,
        places=places,
        types=types,
        routes=routes,
        data=t(f"data_{s.data}", lang),
    )


def _log_failure(what: str, exc: BaseException) -> str:
    """Log a failure with its traceback server-side; return a short reference to show instead."""
    ref = secrets.token_hex(4)
    LOG.error("failure %s while %s", ref, what, exc_info=exc)
    return ref


@contextmanager
def guard(page: Page) -> Iterator[None]:
    """Run one section of a page; a failing query shows a message and the page carries on."""
    try:
        yield
    except DataUnavailable as exc:
        st.error(t("data_unavailable", page.lang, reason=str(exc)))  # our own text, no user values
    except Exception as exc:  # duckdb.IOException, a truncated Parquet file …
        kind = type(exc).__name__
        if kind in ("StopException", "RerunException"):
            raise
        if kind == "OutOfMemoryException":  # DuckDB's memory_limit: one view may not take the machine
            st.error(t("query_too_heavy", page.lang, limit=page.db.memory_limit))
        else:
            # The message may hold file paths and SQL: the log keeps it, the page shows a reference.
            st.error(t("query_failed", page.lang, reason=f"{kind}, reference {_log_failure('a view', exc)}"))


def footer(page: Page) -> None:
    st.divider()
    manifest = _manifest(str(page.db.built), page.version)
    sources = page.query("sources_count")
    st.caption(
        t("footer", page.lang, version=page.version, sources=sources, built=manifest.get("built_at", "?"))
    )
    st.caption(t("attribution", page.lang))


@st.cache_data(max_entries=20, show_spinner=False)
def _manifest(built: str, version: str) -> dict:
    from pathlib import Path

    try:
        return json.loads((Path(built) / version / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def chart(page: Page, fig, *, key: str, name: str, select: bool = False):
    """Draw a figure with PNG/SVG downloads named after the view; optional click selection.

    The figure is also registered for the page's report. Images are rendered only when a
    download is clicked (kaleido, one long-lived Chromium).
    """
    st.session_state.setdefault("_figures", {})[name] = fig
    stem = export.export_filename(
        views.file_kind(name, page.view),
        list(page.state.areas),
        page.state.start,
        page.state.end or page.context.last_month,
        "png",
    )[: -len(".png")]
    config = {**export.plotly_download_config(stem), **l10n.plotly_config(page.lang)}  # Plotly's own locale
    event = (
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=config)
        if select
        else st.plotly_chart(fig, key=key, config=config)
    )
    image_downloads(page, lambda: fig, key=key, name=name, stem=stem)
    return event


def image_downloads(page: Page, make: Callable[[], object], *, key: str, name: str, stem: str) -> None:
    """PNG and SVG of a figure that describe themselves; the figure is made and drawn on click only."""
    with st.popover(t("download_image", page.lang), icon=":material/image:"):
        ok, why = _images_available()
        if not ok:
            st.caption(t("images_unavailable", page.lang, reason=why))
            return
        view, version, link, query = page.view, page.version, share_link(page), page.query

        def render(fmt: str) -> bytes:  # on click only: kaleido takes a second or two
            return views.image(make(), view, version, fmt, name=name, link=link, query=query)

        download("PNG", lambda: render("png"), f"{stem}.png", "image/png", f"{key}_png")
        download("SVG", lambda: render("svg"), f"{stem}.svg", "image/svg+xml", f"{key}_svg")


def page_exports(
    page: Page,
    *,
    title: str,
    kpis: Callable[[], list[tuple[str, str]]] | None = None,
    tables: list[tuple[str, object]] | None = None,
    paragraphs: list[str] | None = None,
    more_figures: Callable[[], list[tuple[str, object]]] | None = None,
) -> None:
    """The report of this page (HTML) and the bundle of the whole view (zip), made on click.

    `kpis` is a callable so the report's figures are computed only when it is downloaded. The
    bundle holds the view's charts and this page's own charts and tables (the Impact page's too).
    """
    drawn = list(st.session_state.get("_figures", {}).items())

    def figures() -> list:  # the page's charts, and figures made only for the files (the Map's image)
        return drawn + (more_figures() if more_figures else [])

    db, view, version, link = page.db, page.view, page.version, share_link(page)
    stem = export.export_filename(
        "view", list(page.state.areas), page.state.start, page.state.end or page.context.last_month, "zip"
    )[: -len(".zip")]
    query = views.direct_query(db)
    cols = st.columns(2)
    with cols[0]:
        download(
            t("download_report", page.lang),
            lambda: views.report(
                query,
                view,
                version=version,
                link=link,
                title=title,
                figures=figures(),
                kpis=kpis() if kpis else [],
                tables=tables or [],
                paragraphs=paragraphs,
            ),
            f"{stem}_report.html",
            "text/html",
            "download_report",
        )
    with cols[1]:
        download(
            t("download_bundle", page.lang),
            lambda: views.bundle(
                db, view, version=version, link=link, figures=figures(), tables=tables or []
            ),
            f"{stem}.zip",
            "application/zip",
            "download_bundle",
        )


def selected_place(event) -> str | None:
    """The area/region a click selected in a chart (from the trace's customdata)."""
    try:
        points = event.selection.points  # type: ignore[union-attr]
    except AttributeError:
        return None
    for point in points or []:
        data = point.get("customdata")
        value = data[0] if isinstance(data, list) and data else data
        if isinstance(value, str) and value in PLACE_OPTIONS:
            return value
    return None


def cross_filter(page: Page, event) -> None:
    """A click on an area narrows the view to it; the previous places are kept for "clear"."""
    place = selected_place(event)
    if place and page.state.areas != (place,):
        st.session_state["places_before_click"] = page.state.areas
        go(page, areas=(place,))
    before = st.session_state.get("places_before_click")
    if before is not None and page.state.areas and len(page.state.areas) == 1:
        label = t("clear_selection", page.lang, places=html.escape(page.state.areas[0]))
        if st.button(label, key="clear_selection", icon=":material/close:"):
            st.session_state.pop("places_before_click", None)
            go(page, areas=tuple(before))


# ---- widgets bound to one ViewState field (pages use these) -----------------------------------
def select(page: Page, field: str, label: str, options, format_func=str, *, segmented: bool = False):
    """A selectbox (or segmented control) whose value is the URL's `field`."""
    current = getattr(page.state, field)

    def keep(value):  # a segmented control can be emptied: keep the current value then
        return current if value is None else value

    kwargs = {
        "format_func": format_func,
        **_widget(page, field, current),
        "on_change": _apply,
        "args": (page, field, f"w_{field}", keep),
    }
    if segmented:
        return st.segmented_control(label, options, **kwargs)
    return st.selectbox(label, options, **kwargs)


def multiselect(page: Page, field: str, label: str, options, format_func=str, **extra):
    """A multiselect whose value is the URL's list `field`."""
    return st.multiselect(
        label,
        options,
        format_func=format_func,
        **_widget(page, field, list(getattr(page.state, field))),
        on_change=_apply,
        args=(page, field, f"w_{field}", lambda v: tuple(sorted(v))),
        **extra,
    )


def share_link(page: Page) -> str:
    return f"{st.context.url or ''}?{urlencode(canonical_query(page))}"


def export_meta(page: Page, rows_provenance: set[str], title: str):
    """What every exported file carries: the view's link, filters, data version, provenance."""
    from lib.export import ExportMeta

    note = t("provenance_note_sim" if "simulated" in rows_provenance else "provenance_note_rep", page.lang)
    filters = {key: value for key, value in page.state.to_query().items()} or {"view": "default"}
    return ExportMeta(
        view_link=share_link(page),
        data_version=page.version,
        filters=filters,
        provenance_note=note,
        title=title,
    )


def download(label: str, build: Callable[[], bytes], file_name: str, mime: str, key: str) -> None:
    """A download whose bytes are made only when clicked (not on every rerun)."""
    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def go_later(page: Page, /, **changes) -> None:
    """For callbacks: write the changed view into the URL; Streamlit reruns after the callback."""
    st.query_params.from_dict(canonical_query(page, page.state.with_changes(**changes)))


def picked_region(event) -> str | None:
    """The region a map click picked (GeoJSON feature or centroid marker of layer "regions")."""
    try:
        objects = event.selection.objects  # type: ignore[union-attr]
    except AttributeError:
        return None
    for obj in (objects or {}).get("regions", []):
        name = (obj.get("properties") or {}).get("name") or obj.get("name")
        if isinstance(name, str) and name in PLACE_OPTIONS:
            return name
    return None


def playback(page: Page, months: list[str]) -> None:
    """Step month by month; the URL keeps the month (`month=`). Playing runs in the browser
    (lib.playback, the animated map): a server timer cost a rerun per step, seconds each."""
    lang, current = page.lang, page.state.month
    cols = st.columns([1, 1, 1, 4])
    index = months.index(current) if current in months else -1
    if cols[0].button(
        t("prev_month", lang), icon=":material/skip_previous:", key="prev_month", disabled=index <= 0
    ):
        go(page, month=months[index - 1])
    if cols[1].button(
        t("next_month", lang),
        icon=":material/skip_next:",
        key="next_month",
        disabled=index >= len(months) - 1,
    ):
        go(page, month=months[index + 1])
    if current and cols[2].button(t("all_months", lang), icon=":material/date_range:", key="all_months"):
        go(page, month=None)


def set_month(page: Page, month: str) -> None:
    """Component callback (lib.playback): the browser's playback stopped on `month`."""
    st.query_params.from_dict(canonical_query(page, page.state.with_changes(month=month)))


# ---- optional login (OIDC via st.login, configured only in .streamlit/secrets.toml) ----------
def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}))
    except Exception:  # no secrets file at all: nothing is configured
        return {}


def login_configured() -> bool:
    """True when `[auth]` is set in secrets.toml: then every page requires a login."""
    return bool(_secrets_section("auth"))


def require_login(lang: str) -> None:
    if not login_configured() or st.user.get("is_logged_in", False):
        return
    st.title("Pistas")
    st.info(t("login_required", lang))
    st.button(t("login", lang), on_click=st.login, icon=":material/login:", key="login")
    st.stop()


def uploads_allowed() -> tuple[bool, str | None]:
    """Without login anyone may upload (a local install); with login, only listed users."""
    if not login_configured():
        return True, None
    allowed = {str(e).lower() for e in _secrets_section("pistas").get("upload_users", [])}
    email = str(st.user.get("email") or "").lower()
    return (True, None) if email and email in allowed else (False, "upload_not_allowed")


# ---- a session's own upload (Data page) ------------------------------------------------------
def upload_cap_mb() -> int:
    import os

    return int(os.environ.get("PISTAS_UPLOAD_MAX_MB", "50"))


def upload_section(page: Page) -> None:
    """Check a file against the data model and explore it, in this browser session only.

    The report lives in st.session_state (one per browser session) and the file in memory:
    nothing is written to disk, so no other session can see it and it goes when the session ends.
    """
    from lib import charts, ingest, queries
    from lib.schema import EVENT_TYPES

    lang = page.lang
    st.subheader(t("upload_title", lang))
    allowed, why = uploads_allowed()
    if not allowed:
        st.info(t(why, lang))
        return
    st.caption(t("upload_help", lang))
    cols = st.columns(2)
    with cols[0]:
        download(
            t("template_csv", lang), ingest.template_csv, "pistas-template.csv", "text/csv", "template_csv"
        )
    with cols[1]:
        download(
            t("template_xlsx", lang),
            ingest.template_xlsx,
            "pistas-template.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "template_xlsx",
        )
    upload = st.file_uploader(t("upload_file", lang), type=["csv", "xlsx", "parquet"], key="upload_file")
    if upload is None:
        st.session_state.pop("upload_report", None)
        return
    cap = upload_cap_mb()
    if upload.size > cap * 10**6:  # decimal MB, as the browser counts (lib.ingest.MAX_BYTES)
        st.error(t("upload_too_large", lang, size=f"{upload.size / 2**20:.1f}", cap=cap))
        return
    acled_type = st.session_state.get("w_acled_type")
    key = (upload.file_id, acled_type)
    cached = st.session_state.get("upload_report")
    if not cached or cached[0] != key:
        # The check is bounded (lib.ingest's limits: 200k rows, 100 columns, 256 MB unpacked; about
        # 0.8 s per 100k CSV rows, 6.5 s per 100k XLSX rows); a bar shows how far, the status how long.
        with st.status(t("upload_checking", lang, name=plain(upload.name)), expanded=True) as status:
            started = time.perf_counter()
            bar = st.progress(0.0)  # a workbook takes seconds (openpyxl); a CSV well under one
            report = ingest.load_upload(
                upload.getvalue(),
                upload.name,
                max_bytes=cap * 10**6,
                acled_event_type=acled_type,
                progress=bar.progress,
            )
            status.update(
                label=t(
                    "upload_checked",
                    lang,
                    name=plain(upload.name),
                    s=l10n.number(time.perf_counter() - started, lang, 1),
                ),
                state="error" if report.fatal else "complete",
                expanded=False,  # the bar was open while checking; the report below says the rest
            )
        st.session_state["upload_report"] = (key, report)  # the report only: the file's bytes are not kept
        # The check's scratch memory goes back to the OS now, the report's when the session ends.
        memory.trim()
        memory.track_report(report)
    report = st.session_state["upload_report"][1]
    if report.fatal_reason == ingest.ACLED_TYPE_NEEDED or (report.format == "acled" and acled_type):
        st.selectbox(
            t("acled_type", lang),
            EVENT_TYPES,
            index=None,
            key="w_acled_type",
            format_func=lambda v: type_label(v, lang),
        )
    if report.fatal:  # the file's name and header cells are the uploader's: shown as plain text
        headline, detail = upload_text.fatal(report, lang)
        st.error(plain(headline))
        if detail:
            st.caption(plain(t("upload_detail", lang, detail=detail)))
        return
    (st.success if report.ok else st.warning)(plain(upload_text.summary(report, lang)))
    for warning in report.warnings:
        st.caption(plain(upload_text.warning(warning, lang)))
    if len(report.problems):
        st.markdown(f"**{t('upload_counts', lang)}**")
        counts = [(upload_text.reason(r, lang), n) for r, n in sorted(report.counts.items())]
        table(page, pd.DataFrame(counts, columns=["reason", "rows"]))
        st.markdown(f"**{t('upload_problems', lang)}**")
        shown = report.problems.head(500).assign(
            reason=lambda d: d["reason"].map(lambda r: upload_text.reason(r, lang))
        )
        # In Spanish the English sentence per row goes: column, value and reason say it (the CSV keeps it).
        table(page, shown.drop(columns="message") if lang == "es" else shown)
        download(
            t("upload_rejects", lang),
            lambda: ingest.rejects_csv(report),
            f"{upload.name}.problems.csv",
            "text/csv",
            "upload_rejects",
        )
    if len(report.valid):
        st.markdown(f"**{t('upload_valid', lang)}** ({l10n.number(len(report.valid), lang)})")
        table(page, report.valid.head(200))
        beside = st.toggle(t("upload_with_builtin", lang), key="upload_with_builtin")
        series = queries.uploaded_by_month(page.db, page.filters, report.valid, beside)
        fig = charts.uploaded_series(series, lang=lang, simulated=beside and page.simulated_in_view)
        chart(page, fig, key="upload_series", name="upload_series")


# ---- sourced rows as tables (Overview with data=reported, Evidence) ---------------------------
_COLUMN_LABELS = {
    "kind": "col_kind",
    "fact_id": "col_fact",
    "claim": "col_claim",
    "what": "col_what",
    "figure": "col_value",
    "value": "col_value",
    "unit": "col_unit",
    "date": "col_from",
    "date_start": "col_from",
    "date_end": "col_to",
    "place": "col_place",
    "group": "col_place",
    "source_title": "col_source",
    "source_url": "col_link",
    "year": "axis_year",
}


def table(page: Page, df: pd.DataFrame, *, links: tuple[str, ...] = ("source_url", "url"), **kwargs) -> None:
    """A table as people read it: headings in the page's language, blanks not "None", URLs as links."""
    shown = l10n.display_table(df, page.lang)
    config = {
        l10n.column_label(c, page.lang): st.column_config.LinkColumn() for c in links if c in df.columns
    }
    st.dataframe(shown, hide_index=True, column_config=config, **kwargs)


def sourced_table(page: Page, rows: pd.DataFrame, columns: list[str], *, key: str | None = None) -> None:
    """Rows with their source: the URL is a link, labels in the page's language."""
    shown = [c for c in columns if c in rows.columns]
    config = {
        c: st.column_config.Column(t(_COLUMN_LABELS[c], page.lang)) for c in shown if c in _COLUMN_LABELS
    }
    if "source_url" in shown:
        config["source_url"] = st.column_config.LinkColumn(t("col_link", page.lang))
    st.dataframe(rows[shown], column_config=config, hide_index=True, width="stretch", key=key)
