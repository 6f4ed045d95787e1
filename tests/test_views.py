"""Page figures, the page report and the whole-view bundle, built from the fixture data."""

import io
import zipfile

import pandas as pd

from lib import queries as q
from lib import views
from lib.state import ViewState


def view_of(db, **state):
    return views.View(ViewState(**state), q.data_context(db), "en")


def test_overview_series_draws_the_chosen_type_with_sourced_markers(fixture_db):
    fig = views.overview_series(views.direct_query(fixture_db), view_of(fixture_db))
    lines = [tr for tr in fig.data if tr.mode == "lines+markers"]
    markers = [tr for tr in fig.data if tr.meta == "reported"]
    assert {tr.name for tr in lines} == {"VRAEM (simulated)", "Pichis-Palcazú (simulated)"}
    assert len(markers) == 1 and len(markers[0].x) == 3  # the three reported destruction figures
    assert any(a.text == "simulated data" for a in fig.layout.annotations)


def test_reported_only_view_has_no_simulated_mark(fixture_db):
    fig = views.overview_series(views.direct_query(fixture_db), view_of(fixture_db, data="reported"))
    assert not any(a.text == "simulated data" for a in fig.layout.annotations)


def test_bundle_holds_charts_data_report_and_readme(fixture_db):
    view = view_of(fixture_db, areas=("Ucayali",))
    blob = views.bundle(fixture_db, view, version="abc123", link="http://localhost/?areas=Ucayali")
    archive = zipfile.ZipFile(io.BytesIO(blob))
    names = archive.namelist()
    assert names[0] == "README.txt"
    readme = archive.read("README.txt").decode()
    for name in names[1:]:
        assert name in readme
    assert {"chart_overview_series.png", "chart_overview_series.svg", "report.html"} <= set(names)
    csv = next(n for n in names if n.endswith(".csv") and n != "codebook.csv")
    rows = pd.read_csv(io.BytesIO(archive.read(csv)), encoding="utf-8-sig")
    assert rows["event_id"].tolist() == ["s09", "s10", "s11", "s14"]
    report = archive.read("report.html").decode()
    assert "http://localhost/?areas=Ucayali" in report and "abc123" in report
    assert archive.read("chart_overview_series.png")[:8] == b"\x89PNG\r\n\x1a\n"


def chart_names(blob: bytes) -> set[str]:
    return {n for n in zipfile.ZipFile(io.BytesIO(blob)).namelist() if n.startswith("chart_")}


def test_bundle_carries_the_overview_story_first_as_the_page_draws_it(fixture_db):
    """The story chart (flights by quarter, the Overview's first screen) is in the zip; with
    data=reported the explorer's chart is the reported-by-year one, not the monthly series."""
    view = view_of(fixture_db)
    figures = views.all_figures(views.direct_query(fixture_db), view)
    assert [n for n, _ in figures][:2] == ["overview_story", "overview_series"]
    story = dict(figures)["overview_story"]
    assert {tr.name for tr in story.data} == {"VRAEM", "Pichis-Palcazú"}  # the fixture's flight areas
    assert any(a.text == "simulated data" for a in story.layout.annotations)
    names = chart_names(views.bundle(fixture_db, view, version="abc123", link="http://localhost/"))
    assert {"chart_overview_story.png", "chart_overview_story.svg"} <= names

    reported = view_of(fixture_db, data="reported", metric="airstrip_destroyed")
    names = [n for n, _ in views.all_figures(views.direct_query(fixture_db), reported)]
    assert "overview_reported" in names and "overview_series" not in names
