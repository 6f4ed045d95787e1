"""Faults: missing, empty, corrupt or truncated data; a rebuild while running; DuckDB's limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import queries as q
from lib.build import BuildSpec, build
from lib.db import Database, DataUnavailable
from lib.state import ViewState
from tests.conftest import FIXTURES, run_page, write_events_parquet

ROOT = Path(__file__).resolve().parents[1]


def run(page: str, data_dir: Path, monkeypatch, params=None) -> AppTest:
    monkeypatch.setenv("PISTAS_DATA_DIR", str(data_dir))
    return run_page(page, params)


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


@pytest.fixture
def own_build(tmp_path) -> Path:
    """A fixture build of our own, free to break."""
    extra = write_events_parquet(FIXTURES / "events_simulated.csv", tmp_path / "sim.parquet")
    build(
        BuildSpec(
            sourced=FIXTURES / "sourced", out=tmp_path / "built", simulate=False, extra_events=(extra,)
        ),
        log=lambda *_: None,
    )
    return tmp_path


def current(data_dir: Path) -> Path:
    built = data_dir / "built"
    return built / (built / "CURRENT").read_text().strip()


def test_no_data_at_all_says_how_to_build(tmp_path, monkeypatch):
    at = run("app.py", tmp_path, monkeypatch)
    assert not at.exception
    assert "No built data" in errors(at) and "make data" in errors(at)


def test_empty_current_file(own_build, monkeypatch):
    (own_build / "built" / "CURRENT").write_text("")
    at = run("pages/4_Data.py", own_build, monkeypatch)
    assert not at.exception and "make data" in errors(at)


def test_corrupt_rollup_at_start(own_build, monkeypatch):
    (current(own_build) / "rollup.parquet").write_bytes(b"not parquet at all")
    at = run("app.py", own_build, monkeypatch)
    assert not at.exception
    assert "make data" in errors(at)


def test_missing_table_file(own_build, monkeypatch):
    (current(own_build) / "sources.parquet").unlink()
    at = run("pages/1_Routes.py", own_build, monkeypatch)
    assert not at.exception and "incomplete" in errors(at) and "sources" in errors(at)


def test_truncated_event_file_breaks_only_the_views_that_read_it(own_build, monkeypatch):
    healthy = run("pages/4_Data.py", own_build, monkeypatch)
    assert not healthy.exception and not healthy.error
    victim = next((current(own_build) / "events").glob("year=2016/*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])  # truncated while the app runs
    # A view not served from the cache yet reads the truncated file.
    data = run("pages/4_Data.py", own_build, monkeypatch, {"areas": "Ucayali"})
    assert not data.exception
    assert "could not be computed" in errors(data)
    routes = run("pages/1_Routes.py", own_build, monkeypatch, {"areas": "Ucayali"})  # reads the rollup only
    assert not routes.exception and not routes.error, errors(routes)
    # A rebuild (new version) is picked up by the same process without a restart.
    more = write_events_parquet(FIXTURES / "events_simulated.csv", own_build / "sim2.parquet")
    build(
        BuildSpec(
            sourced=FIXTURES / "sourced",
            out=own_build / "built",
            simulate=False,
            extra_events=(own_build / "sim.parquet", more),
        ),
        force=True,
        log=lambda *_: None,
    )
    again = run("pages/4_Data.py", own_build, monkeypatch, {"areas": "Ucayali"})
    assert not again.exception and not again.error, errors(again)


def test_a_query_over_the_memory_limit_is_a_message(own_build, monkeypatch, demo_data_dir):
    db = Database(demo_data_dir / "built", memory_limit="2MB", threads=1)
    f = q.filters_for(ViewState(), q.data_context(Database(demo_data_dir / "built")))
    with pytest.raises(Exception, match="Out of Memory"):
        q.events_for_export(db, f)
    tiny = own_build.parent / "tiny-memory"
    shutil.copytree(demo_data_dir, tiny)
    monkeypatch.setenv("PISTAS_DUCKDB_MEMORY", "2MB")
    monkeypatch.setenv("PISTAS_DUCKDB_THREADS", "1")
    at = run("pages/4_Data.py", tiny, monkeypatch)
    assert not at.exception
    assert "more memory than the server allows" in errors(at) or "make data" in errors(at)


def test_database_reports_a_version_that_is_not_built(own_build):
    (own_build / "built" / "CURRENT").write_text("deadbeef0000\n")
    with pytest.raises(DataUnavailable, match="not built"):
        Database(own_build / "built").version()


@pytest.fixture
def paged_build(tmp_path) -> Path:
    """A build with three table pages: the fixture's simulated events, repeated under new ids."""
    import pandas as pd

    events = pd.read_csv(FIXTURES / "events_simulated.csv", dtype=str, keep_default_na=False)
    copies = [events.assign(event_id=events["event_id"] + f"-{i}") for i in range(9)]  # 126 rows
    pd.concat(copies).to_csv(tmp_path / "many.csv", index=False)
    extra = write_events_parquet(tmp_path / "many.csv", tmp_path / "many.parquet")
    build(
        BuildSpec(
            sourced=FIXTURES / "sourced", out=tmp_path / "built", simulate=False, extra_events=(extra,)
        ),
        log=lambda *_: None,
    )
    return tmp_path


def test_the_data_table_pages_forward_and_the_url_keeps_the_page(paged_build, monkeypatch):
    # The page number goes through ui.go(page, page=...): a keyword named like go's own first
    # parameter, which must therefore be positional-only (it was a TypeError).
    at = run("pages/4_Data.py", paged_build, monkeypatch)
    assert not at.exception, at.exception
    first = next(d.value for d in at.dataframe if "Event ID" in d.value.columns)  # headings in words
    widget = at.number_input(key="table_page_3")
    assert widget.value == 1
    widget.set_value(2).run()
    assert not at.exception, at.exception
    assert at.query_params.get("page") in ("2", ["2"])
    second = next(d.value for d in at.dataframe if "Event ID" in d.value.columns)  # headings in words
    assert len(first) == len(second) == q.PAGE_SIZE
    assert not set(first["Event ID"]) & set(second["Event ID"])  # a new page of rows
    at.number_input(key="table_page_3").set_value(3).run()
    assert not at.exception, at.exception
    last = next(d.value for d in at.dataframe if "Event ID" in d.value.columns)  # headings in words
    assert len(last) == 126 + 3 - 2 * q.PAGE_SIZE  # and the fixture's 3 reported events
