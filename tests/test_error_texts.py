"""Error texts on the page carry no server paths and no SQL; the server log keeps the detail."""

from __future__ import annotations

import logging

from tests.test_faults import current, errors, own_build, run  # noqa: F401  (own_build is a fixture)


def test_a_failing_view_shows_a_reference_not_paths_or_sql(own_build, monkeypatch, caplog):  # noqa: F811
    victim = next((current(own_build) / "events").glob("year=2016/*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])  # a truncated file: DuckDB's error names it
    with caplog.at_level(logging.ERROR, logger="pistas"):
        at = run("pages/4_Data.py", own_build, monkeypatch, {"areas": "Ucayali"})
    shown = errors(at)
    assert "could not be computed" in shown and "reference" in shown
    assert str(own_build) not in shown and ".parquet" not in shown and "SELECT" not in shown
    ref = shown.split("reference ", 1)[1][:8]
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and logged[0].exc_info, "the log holds the reference and the traceback"


def test_corrupt_data_at_start_names_no_path(own_build, monkeypatch):  # noqa: F811
    (current(own_build) / "rollup.parquet").write_bytes(b"not parquet at all")
    shown = errors(run("app.py", own_build, monkeypatch))
    assert "make data" in shown and str(own_build) not in shown
