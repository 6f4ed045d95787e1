"""Journeys a person takes, in a real Chromium against `streamlit run`."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser


def kpi(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']", has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_overview_chart_renders_without_exception(app_server, context):
    page = context.new_page()
    page.goto(app_server)
    wait_for_app(page)
    # Plotly adds the traces after its SVG: wait for them rather than count at once.
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 2", timeout=30_000
    )
    assert_no_exception(page)


def test_filter_change_updates_url_and_link_reproduces_numbers(app_server, browser, context):
    page = context.new_page()
    page.goto(app_server)
    wait_for_app(page)
    radio = page.get_by_role("radiogroup").first
    radio.get_by_text("Simulated only").click()
    page.wait_for_url(re.compile(r"data=simulated"), timeout=20_000)
    wait_for_app(page)
    areas = page.locator("[data-testid='stMultiSelect']").first
    areas.click()
    page.get_by_role("option", name="Ucayali", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"areas=Ucayali"), timeout=20_000)
    wait_for_app(page)
    before = kpi(page, "Airstrips destroyed")
    url = page.url
    assert parse_qs(urlparse(url).query)["data"] == ["simulated"]

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = fresh.new_page()
    other.goto(url)
    wait_for_app(other)
    assert kpi(other, "Airstrips destroyed") == before
    assert other.url == url
    fresh.close()


def test_navigation_keeps_the_view(app_server, context):
    page = context.new_page()
    page.goto(f"{app_server}/?areas=vraem&start=2014-01")
    wait_for_app(page)
    assert "areas=VRAEM" in page.url  # written back canonically
    page.get_by_role("link", name="Routes").first.click()
    page.wait_for_url(re.compile(r"/Routes\?"), timeout=20_000)
    wait_for_app(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["areas"] == ["VRAEM"] and query["start"] == ["2014-01"]
    assert_no_exception(page)


def test_presenter_mode_hides_the_sidebar(app_server, context):
    page = context.new_page()
    page.goto(f"{app_server}/?present=1")
    wait_for_app(page)
    expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
    expect(page.get_by_text("all event types").first).to_be_visible()  # the view line stays


def test_spanish(app_server, context):
    page = context.new_page()
    page.goto(f"{app_server}/?lang=es")
    page.wait_for_selector("text=Versión de datos", timeout=30_000)
    label = page.locator("[data-testid='stMetricLabel']", has_text="Pistas inhabilitadas").first
    label.wait_for(state="visible", timeout=10_000)
    expect(
        page.get_by_role("heading", name="Los vuelos ilícitos se desplazaron al norte").first
    ).to_be_visible()


def test_csv_xlsx_parquet_downloads_hold_exactly_the_rows_of_the_view(app_server, context, demo_db):
    import io

    import pandas as pd

    from lib import queries as q
    from lib.state import ViewState

    page = context.new_page()
    page.goto(f"{app_server}/Data?areas=ucayali&start=2016-01&end=2016-06&types=seizure")
    wait_for_app(page)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "pistas_events_Ucayali_2016-01_2016-06.csv"
    got = pd.read_csv(io.BytesIO(open(download.path(), "rb").read()), encoding="utf-8-sig", dtype=str)
    state = ViewState(areas=("Ucayali",), start="2016-01", end="2016-06", types=("seizure",))
    expected = q.events_for_export(demo_db, q.filters_for(state, q.data_context(demo_db)))
    assert len(got) == len(expected) > 0
    assert got["event_id"].tolist() == expected["event_id"].tolist()
    assert set(got["provenance"]) <= {"simulated", "reported"}

    # The same rows as Excel (with its about sheet) and as Parquet (events schema).
    import openpyxl
    import pyarrow.parquet as pq

    from lib.schema import EVENTS_SCHEMA

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Excel (XLSX)", exact=True).click()
    workbook = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()), read_only=True)
    data_rows = list(workbook["data"].iter_rows(values_only=True))
    assert [r[0] for r in data_rows[1:]] == expected["event_id"].tolist()
    about = [v for row in workbook["about"].iter_rows(values_only=True) for v in row if v]
    assert any(str(v).startswith(app_server) for v in about)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Parquet", exact=True).click()
    table = pq.read_table(info.value.path())
    assert table.schema.remove_metadata().equals(EVENTS_SCHEMA)
    assert table.column("event_id").to_pylist() == expected["event_id"].tolist()


POINT_ON_VRAEM_LINE = """() => {
  // the explorer's monthly series (the story chart above it is not a filter)
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g._fullData.some(t => t.name === 'VRAEM (simulated)'));
  const tr = gd._fullData.find(t => t.name.startsWith('VRAEM'));
  const k = Math.floor(tr.x.length / 2);
  const L = gd._fullLayout, r = gd.getBoundingClientRect();
  return {x: r.left + L._size.l + L.xaxis.d2p(tr.x[k]), y: r.top + L._size.t + L.yaxis.d2p(tr.y[k])};
}"""


def test_clicking_a_line_narrows_the_view_and_clear_undoes_it(app_server, context):
    page = context.new_page()
    page.goto(app_server)
    wait_for_app(page)
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    point = page.evaluate(POINT_ON_VRAEM_LINE)
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r"areas=VRAEM"), timeout=20_000)
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Clear chart selection")).click()
    page.wait_for_url(lambda url: "areas=" not in url, timeout=20_000)
    wait_for_app(page)
    assert_no_exception(page)


def test_upload_a_valid_and_a_broken_file(app_server, context):
    from lib import ingest

    page = context.new_page()
    page.goto(f"{app_server}/Data")
    wait_for_app(page)
    chooser = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    chooser.set_input_files(
        files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": ingest.template_csv()}]
    )
    page.get_by_text("2 new and valid, 0 invalid").wait_for(timeout=30_000)
    header = ingest.template_csv().decode("utf-8-sig").splitlines()[0]
    broken = (header + "\n" + ",".join(["x"] * len(header.split(",")))).encode()
    chooser.set_input_files(files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken}])
    page.get_by_text("0 new and valid, 1 invalid").wait_for(timeout=30_000)
    # The summary line streams in before the table headings; expect() waits for them.
    expect(page.get_by_text("Problems, row by row")).to_be_visible()
    assert_no_exception(page)
