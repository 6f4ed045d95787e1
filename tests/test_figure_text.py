"""Exported figures describe themselves: title, the view (policy, window, metric, areas, period),
sources or "simulated", the view's link and data version; reports and bundles match the page."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from lib import export as ex
from lib import queries as q
from lib import views
from lib.state import ViewState

LINK = "http://localhost:8501/?policy=law-30339&window=12"


def view_of(db, lang="en", **state):
    return views.View(ViewState(**state), q.data_context(db), lang)


def svg_text(blob: bytes) -> str:
    """The words an SVG shows (Plotly writes each text run in its own element)."""
    return re.sub(r"\s+", " ", " ".join(re.findall(r">([^<>]+)<", blob.decode("utf-8"))))


needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()),
    reason="image export needs Debian's chromium",
)


def test_impact_chart_text_names_policy_metric_window_areas_and_sources(demo_db):
    view = view_of(demo_db, policy="law-30339", window=12, metric="flight_detected", treated=("VRAEM",))
    query = views.direct_query(demo_db)
    analysis = views.impact_analysis(query, view)
    name, fig = next((n, f) for n, f in analysis.figures if n == "impact_its")
    text = views.figure_text(query, view, name, fig, "abc123def456", LINK)
    assert text.title == "Interrupted time series: VRAEM"
    policy = query("all_policies").set_index("policy_id").loc["law-30339", "title_en"]
    for part in (policy, "flights detected", "VRAEM", "12 months before and after"):
        assert part in text.subtitle, (part, text.subtitle)
    # The estimates use simulated rows only: the source line says so and lists no report.
    assert text.caption.startswith("Source: simulated demo data") and "Sources" not in text.caption
    assert LINK in text.caption and "abc123def456" in text.caption
    assert views.file_kind(name, view) == "impact_its_law-30339_flight_detected_12m"


@needs_chromium
def test_the_svg_itself_carries_title_view_source_link_and_version(demo_db):
    view = view_of(demo_db, lang="es", areas=("VRAEM",))
    query = views.direct_query(demo_db)
    name, fig = views.all_figures(query, view)[0]
    words = svg_text(views.image(fig, view, "abc123def456", "svg", name=name, link=LINK, query=query))
    assert "Los vuelos ilícitos se desplazaron al norte" in words  # the story title, in Spanish
    assert "VRAEM" in words and "versión de datos abc123def456" in words
    assert "localhost:8501" in words and "datos simulados" in words
    assert " data abc" not in words  # no English word in the Spanish caption


def test_reported_view_lists_its_sources_not_simulated(demo_db):
    view = view_of(demo_db, data="reported", areas=("VRAEM",))
    line = views.source_line(views.direct_query(demo_db), view)
    assert line.startswith("Sources: ") and "simulated" not in line


def test_report_headings_are_titles_and_the_reading_is_normal_text(fixture_db):
    view = view_of(fixture_db)
    query = views.direct_query(fixture_db)
    figures = views.all_figures(query, view)
    page = views.report(
        query,
        view,
        version="abc",
        link=LINK,
        title="Pistas",
        figures=figures,
        kpis=[],
        tables=[],
        paragraphs=["**(a) In VRAEM:** flights fell."],
    ).decode()
    assert "overview_series" not in page and "overview_story" not in page
    assert "Drug flights shifted north after the VRAEM crackdown" in page
    assert "<p><strong>(a) In VRAEM:</strong> flights fell.</p>" in page
    assert 'class="kpi"' not in page


def test_impact_bundle_holds_its_charts_and_tables(demo_db):
    view = view_of(demo_db, metric="flight_detected")
    analysis = views.impact_analysis(views.direct_query(demo_db), view)
    blob = views.bundle(
        demo_db, view, version="abc", link=LINK, figures=analysis.figures, tables=analysis.tables
    )
    archive = zipfile.ZipFile(io.BytesIO(blob))
    names = set(archive.namelist())
    tables = {n for n in names if n.startswith("table_")}
    assert len(tables) == len(analysis.tables) >= 1
    readme = archive.read("README.txt").decode()
    for title, _ in analysis.tables:
        assert title in readme
    if ex.image_export_available()[0]:
        assert {f"chart_{n}.png" for n, _ in analysis.figures} <= names
