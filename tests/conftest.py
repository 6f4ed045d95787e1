"""Shared fixtures: a tiny hand-checkable build, the demo build, and environment defaults.

Builds go to temporary folders; the repository's data/ is never touched by tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lib.build import BuildSpec, build, coerce_events
from lib.db import Database
from lib.schema import EVENTS_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PISTAS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless flags this locked-down network needs (no background networking to Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_GEO = ROOT.parent / "shared" / "geo"

# Boundaries for tests come from the shared folder when it is there (CI and developers).
if SHARED_GEO.is_dir():
    os.environ.setdefault("PISTAS_GEO_DIR", str(SHARED_GEO))
os.environ.setdefault("PISTAS_GEO_OFFLINE", "1")


def write_events_parquet(csv: Path, out: Path) -> Path:
    frame = coerce_events(pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""]))
    pq.write_table(pa.Table.from_pandas(frame, schema=EVENTS_SCHEMA, preserve_index=False), out)
    return out


@pytest.fixture(scope="session")
def fixture_data_dir(tmp_path_factory) -> Path:
    """A data folder holding the tiny fixture build (14 simulated + 3 reported events)."""
    root = tmp_path_factory.mktemp("fixture-data")
    extra = write_events_parquet(FIXTURES / "events_simulated.csv", root / "fixture_sim.parquet")
    spec = BuildSpec(sourced=FIXTURES / "sourced", out=root / "built", simulate=False, extra_events=(extra,))
    build(spec, log=lambda *_: None)
    return root


@pytest.fixture(scope="session")
def fixture_db(fixture_data_dir) -> Database:
    return Database(fixture_data_dir / "built")


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    """A data folder with the real sourced data and the default simulated demo."""
    root = tmp_path_factory.mktemp("demo-data")
    spec = BuildSpec(sourced=ROOT / "data" / "sourced", out=root / "built")
    build(spec, log=lambda *_: None)
    return root


@pytest.fixture(scope="session")
def demo_db(demo_data_dir) -> Database:
    return Database(demo_data_dir / "built")


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session (Playwright's sync API allows one)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def run_page(page: str, params: dict[str, str] | None = None, secrets: dict | None = None):
    """Run a page under AppTest as the browser does: the entrypoint first, then the page.

    Classic multipage mode: a page file run on its own cannot link back to app.py.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page != "app.py":
        at.switch_page(page)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at.run()
