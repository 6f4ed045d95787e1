"""Presenter mode on a 1280×720 projector, in Chromium: a slim bar with the pages and a way out,
the chart or map on the first screen, values larger than labels, no text cut short."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

PAGES = {"": "chart", "Routes": "chart", "Map": "map", "Impact": "chart", "Evidence": "chart", "Data": None}

CUT_TEXT = """() => [...document.querySelectorAll(
    '[data-testid="stMetricLabel"] *, [data-testid="stWidgetLabel"] *, button p, [data-testid="stPageLink"] p')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim()).filter(Boolean)"""
FIRST_VISUAL = """(kind) => {
  const sel = kind === 'map' ? '[data-testid="stDeckGlJsonChart"] canvas' : '.js-plotly-plot';
  const tops = [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect().top + window.scrollY);
  return tops.length ? Math.min(...tops) : null; }"""


@pytest.fixture
def projector(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, locale="es-PE")
    yield ctx
    ctx.close()


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("lang", ["en", "es"])
def test_presenter_mode_fits_a_projector(app_server, projector, path, lang):
    page = projector.new_page()
    page.goto(f"{app_server}/{path}?present=1&lang={lang}")
    wait_for_app(page, timeout=60_000)
    kind = PAGES[path]
    if kind == "chart":
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    elif kind == "map":
        page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=30_000)
    assert_no_exception(page)
    bar = page.locator(".st-key-presenter_bar")
    assert bar.locator('[data-testid="stPageLink"]').count() >= 6  # five pages… and the way out
    exit_link = bar.get_by_text("Exit presenter mode" if lang == "en" else "Salir del modo presentación")
    assert exit_link.count() == 1 and "present" not in (
        exit_link.locator("xpath=ancestor::a").get_attribute("href") or ""
    )
    if kind:
        top = page.evaluate(FIRST_VISUAL, kind)
        assert top is not None and top < 720 - 120, f"the {kind} starts at {top}px: below a 720px screen"
    assert page.evaluate(CUT_TEXT) == []
    if path == "":
        sizes = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
            parseFloat(getComputedStyle(m.querySelector('[data-testid="stMetricValue"] div, [data-testid="stMetricValue"]')).fontSize),
            parseFloat(getComputedStyle(m.querySelector('[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"]')).fontSize)])""")
        assert sizes and all(value > 1.8 * label for value, label in sizes), sizes
