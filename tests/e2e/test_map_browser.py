"""The Map page in Chromium: drawn offline with the blank basemap, and clickable."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser


def open_map(context, app_server, query: str):
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_server}/Map?{query}")
    wait_for_app(page)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(1500)  # deck.gl draws after the first animation frame
    return page, canvas, requests


def test_map_draws_offline_with_no_request_off_this_machine(app_server, context):
    page, canvas, requests = open_map(context, app_server, "basemap=none&layer=hex")
    box = canvas.bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    outside = [u for u in requests if u.startswith(("http:", "https:", "ws:", "wss:"))
               and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []
    assert any(u.endswith("/app/static/blank-style.json") for u in requests)
    assert_no_exception(page)


def test_clicking_a_region_narrows_the_view(app_server, context):
    page, canvas, _ = open_map(context, app_server, "basemap=none&layer=hex")
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = canvas.bounding_box()
    # The national view centres on (-9.2, -75.0); ~140 px north of centre is deep inside Loreto.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 - 140
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"areas="), timeout=20_000)
    wait_for_app(page)
    assert parse_qs(urlparse(page.url).query)["areas"] == ["Loreto"]
