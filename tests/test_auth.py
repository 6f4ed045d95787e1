"""Optional login: configured only through secrets; when configured every page requires it."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import run_page

ROOT = Path(__file__).resolve().parents[1]
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "pistas-test",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture(autouse=True)
def fixture_env(fixture_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))


def run(page: str, secrets: dict | None) -> AppTest:
    return run_page(page, secrets=secrets)


@pytest.mark.parametrize("page", ["app.py", "pages/1_Routes.py", "pages/2_Map.py", "pages/4_Data.py"])
def test_every_page_requires_login_when_configured(page):
    at = run(page, {"auth": AUTH})
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


def test_no_login_without_configuration():
    at = run("app.py", None)
    assert not at.exception
    assert "Log in" not in [b.label for b in at.button]
    assert at.metric
