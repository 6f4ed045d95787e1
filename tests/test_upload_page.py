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


def _read(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_in_spanish_the_report_reads_as_spanish(fixture_data_dir):
    """lang=es: the summary, the reasons (counts and rows) and the warnings in Spanish; the
    problems CSV keeps the checker's English words for scripts."""
    from lib import upload_text

    header = ingest.template_csv().decode("utf-8-sig").splitlines()[0]
    bad = (header + ",colour\n" + ",".join(["x"] * len(header.split(","))) + ",red\n").encode("cp1252")
    at = run_page("pages/4_Data.py", {"lang": "es"})
    at.file_uploader(key="upload_file").set_value(("malo.csv", bad + "é,".encode("cp1252"), "text/csv"))
    at.run()
    assert not at.exception
    summary = next(_read(w.value) for w in at.warning if "malo.csv" in _read(w.value))
    assert summary.startswith("malo.csv: tabla de Pistas, 2 filas leídas: 0 nuevas y válidas, 2 no válidas")
    assert "fecha ilegible 2" in summary and "rows read" not in summary
    captions = [_read(c.value) for c in at.caption]
    assert "columnas ignoradas: colour" in captions
    assert any(c.startswith("leído como Windows-1252") for c in captions)
    tables = [df.value for df in at.dataframe]
    counts = next(d for d in tables if list(d.columns) == ["Motivo", "Filas"])
    problems = next(d for d in tables if "Fila" in d.columns)
    spanish = set(upload_text.REASONS_ES.values())
    assert "fecha ilegible" in set(counts["Motivo"]) and set(counts["Motivo"]) <= spanish
    assert set(problems["Motivo"]) <= spanish and "Mensaje" not in problems.columns


def test_every_reason_and_fatal_error_has_its_spanish_words():
    from lib import upload_text

    reasons = {
        v for k, v in vars(ingest).items() if k.isupper() and isinstance(v, str) and k in _REASON_NAMES
    }
    assert reasons == set(upload_text.REASONS_ES)
    assert all(upload_text.REASONS_ES[r] != r for r in reasons)
    report = ingest.load_upload(b"\x00\x01garbage\xff", "x.bin")
    headline, detail = upload_text.fatal(report, "es")
    assert headline.startswith("No se pudo leer el archivo") and detail == report.fatal
    assert upload_text.fatal(report, "en") == (report.fatal, None)


# The reason constants of lib.ingest, as its source lists them (between "# Reasons" and the texts).
_SOURCE = (ROOT / "lib" / "ingest.py").read_text()
_REASON_NAMES = set(
    re.findall(
        r"^([A-Z_0-9]+) = \"",
        _SOURCE[_SOURCE.index("# Reasons") : _SOURCE.index("MISSING_SOURCE_TEXT")],
        re.M,
    )
)
