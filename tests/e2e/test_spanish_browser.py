"""The Spanish page in Chromium: Plotly runs with its Spanish locale, numbers and dates in Spanish."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser


def test_charts_use_plotlys_spanish_locale(app_server, context):
    page = context.new_page()
    page.goto(f"{app_server}/?lang=es&start=2015-01&end=2015-06")  # six months: the axis names months
    wait_for_app(page)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 2", timeout=30_000
    )
    assert_no_exception(page)
    locales = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._context.locale)"
    )
    assert locales and set(locales) == {"es"}, locales
    ticks = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .xtick text')].map(t => t.textContent)"
    )
    months = {"ene", "feb", "mar", "abr", "may", "jun"}
    assert any(any(m in tick.lower() for m in months) for tick in ticks), ticks
    assert not any(w in " ".join(ticks) for w in ("Jan", "Apr", "May 2015")), ticks
