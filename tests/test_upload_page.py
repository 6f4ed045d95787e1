"""Uploads on the Data page live in one browser session only, and are checked row by row."""

import hashlib
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import ingest
from tests.conftest import run_page

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fixture_env(fixture_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))


def data_page() -> AppTest:
    return run_page("pages/4_Data.py")


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_a_valid_upload_is_explored_and_another_session_does_not_see_it(fixture_data_dir):
    before = tree_digest(fixture_data_dir)
    one, other = data_page(), data_page()
    one.file_uploader(key="upload_file").set_value(("mine.csv", ingest.template_csv(), "text/csv"))
    one.run()
    assert not one.exception
    # The summary is Markdown with the file's name escaped (lib.i18n.plain): compare what is read.
    assert [re.sub(r"\\(.)", r"\1", s.value) for s in one.success] == [
        "mine.csv: Pistas table, 2 rows read: 2 new and valid, 0 invalid, 0 already in the data."
    ]
    assert any(c.proto.id for c in one.get("plotly_chart"))  # the upload's chart is drawn
    other.run()
    assert not other.exception
    assert "upload_report" not in other.session_state
    assert not other.get("plotly_chart") or all(
        "upload" not in str(c.proto.id) for c in other.get("plotly_chart")
    )
    assert tree_digest(fixture_data_dir) == before  # nothing written anywhere


def test_a_broken_upload_gets_a_specific_report(fixture_data_dir):
    header = ingest.template_csv().decode("utf-8-sig").splitlines()[0]
    bad = (header + "\n" + ",".join(["x"] * len(header.split(",")))).encode()
    at = data_page()
    at.file_uploader(key="upload_file").set_value(("bad.csv", bad, "text/csv"))
    at.run()
    assert not at.exception
    assert any("1 invalid" in w.value and "unknown region 1" in w.value for w in at.warning)
    problems = next(d.value for d in at.dataframe if "Message" in d.value.columns)  # headings in words
    assert (
        "row 2, column date: 'x' is not a date (use YYYY-MM-DD, DD/MM/YYYY or an Excel date)"
        in problems["Message"].tolist()
    )


def test_an_unreadable_file_is_a_clear_error():
    at = data_page()
    at.file_uploader(key="upload_file").set_value(
        ("junk.xlsx", b"this is not a spreadsheet", "application/octet-stream")
    )
    at.run()
    assert not at.exception
    assert at.error and "xlsx" in at.error[0].value.lower()
