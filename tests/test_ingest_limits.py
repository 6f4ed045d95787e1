"""Hostile uploads are refused quickly with a specific message; a valid file near the limits loads.

The time bounds are generous (correctness, not performance): each hostile file used to block the
server for tens of seconds or take gigabytes; refused at the door it takes well under a second.
`bench/ingest.py` makes the same files at full size and times them.
"""

from __future__ import annotations

import io
import re
import time
import tracemalloc

import pytest

from bench import ingest as bench
from lib import ingest

BOUND_S = 10  # generous: the point is that nothing reads the whole unpacked file


@pytest.fixture(autouse=True)
def no_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(tmp_path))  # nothing imported or sourced: rows stand alone


def refused(data: bytes, name: str, **limits) -> ingest.IngestReport:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = ingest.load_upload(data, name, **limits)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.fatal, f"{name} was not refused"
    assert seconds < BOUND_S, f"{name} took {seconds:.1f} s to refuse"
    assert peak < 200 * 2**20, f"{name} took {peak / 2**20:.0f} MB to refuse"
    return report


def test_a_header_with_400k_trailing_commas_is_trimmed_in_linear_time():
    report = refused(bench.trailing_commas(400_000), "commas.csv")
    assert report.fatal_reason == ingest.MISSING_COLUMN  # read (one column, "date"), then refused
    assert report.fatal.startswith("missing required columns: event_type")
    assert report.fatal.endswith("(the file's columns: date)")


def test_a_row_wider_than_the_column_limit_is_refused():
    wide = ",".join(f"c{i}" for i in range(ingest.MAX_COLUMNS + 1)).encode() + b"\n" + b"x\n"
    report = refused(wide, "wide.csv")
    assert report.fatal_reason == ingest.TOO_MANY_COLUMNS
    assert (
        report.fatal
        == f"too many columns: row 1 of 'wide.csv' has {ingest.MAX_COLUMNS + 1} columns; the limit is 100"
    )


def test_a_tiny_parquet_of_2m_identical_rows_is_refused_from_its_footer():
    data = bench.identical_parquet(2_000_000)
    assert len(data) < 100_000
    report = refused(data, "two-million.parquet")
    assert report.fatal_reason == ingest.TOO_MANY_ROWS
    assert report.fatal == (
        "too many rows: 'two-million.parquet' has 2,000,000 data rows; the limit is 200,000 (split it into smaller files)"
    )


def test_a_20m_row_parquet_is_refused_not_a_memory_error():
    report = refused(bench.identical_parquet(20_000_000, chunk=5_000_000), "twenty-million.parquet")
    assert report.fatal_reason == ingest.TOO_MANY_ROWS and "20,000,000 data rows" in report.fatal


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bench.xlsx_bomb(300 * 2**20)  # 300 MB of sheet XML in about 1 MB of zip


def test_a_zip_bomb_workbook_is_refused_from_its_zip_directory(bomb):
    assert len(bomb) < 5 * 2**20
    report = refused(bomb, "bomb.xlsx")
    assert report.fatal_reason == ingest.TOO_LARGE
    assert re.fullmatch(
        r"too large: 'bomb\.xlsx' unpacks to 31\d\.\d MB of XML; the limit is 256\.0 MB", report.fatal
    )


def test_a_workbook_stops_at_the_row_limit_while_it_is_read():
    # Under the XML limit but over the row limit: openpyxl streams rows and the reader stops.
    # (This sheet has no <dimension>, so openpyxl's read-only mode scans it once to look for
    # one: a cost bounded by the XML limit, hence a small sheet here.)
    report = refused(bench.xlsx_bomb(16 * 2**20), "rows.xlsx", max_rows=1000)
    assert report.fatal_reason == ingest.TOO_MANY_ROWS
    assert (
        report.fatal
        == "too many rows: 'rows.xlsx' has more than 1,000 data rows; the limit is 1,000 (split it into smaller files)"
    )


def test_a_csv_stops_at_the_row_limit():
    report = refused(bench.valid_csv(1_001), "long.csv", max_rows=1_000)
    assert report.fatal_reason == ingest.TOO_MANY_ROWS


def test_the_cell_limit_counts_rows_times_columns():
    report = refused(bench.valid_csv(1_000), "cells.csv", max_cells=10 * len(bench.HEADER))
    assert report.fatal_reason == ingest.TOO_LARGE
    assert f"has more than {10 * len(bench.HEADER)} cells ({len(bench.HEADER)} columns)" in report.fatal


def test_a_mostly_utf8_file_with_a_stray_latin1_byte_is_reported_not_garbled():
    lines = bench.valid_csv(5).split(b"\n")  # UTF-8, with "Huánuco" on line 2
    lines[4] = lines[4].replace(b"bench row 3", b"Hu\xe1nuco")  # and one Latin-1 byte on line 5
    report = refused(b"\n".join(lines), "mixed.csv")
    assert report.fatal_reason == ingest.NOT_UTF8
    assert report.fatal.startswith("not UTF-8: line 5 of 'mixed.csv' has bytes that are not UTF-8: '")
    assert "Hu\\\\xe1nuco" in report.fatal and report.fatal.endswith("; save the file as UTF-8")


def test_a_file_entirely_in_cp1252_is_still_read_and_says_so():
    text = bench.valid_csv(3).decode().replace("bench row", "año")
    report = ingest.load_upload(text.encode("cp1252"), "windows.csv")
    assert report.ok, report.messages()
    assert report.valid["notes"].tolist() == ["año 0", "año 1", "año 2"]
    assert report.valid["region"].tolist() == ["Huánuco", "Ayacucho", "Cusco"]
    assert ingest.CP1252_NOTE in report.warnings


def test_a_valid_file_near_the_limits_loads():
    rows = 20_000
    data = bench.valid_csv(rows)
    report = ingest.load_upload(data, "near.csv", max_rows=rows, max_cells=rows * len(bench.HEADER))
    assert report.ok, report.messages(limit=3)
    assert report.rows_read == rows and len(report.valid) == rows


def test_a_valid_parquet_and_workbook_at_the_row_limit_load():
    import io

    import pandas as pd

    frame = pd.read_csv(io.BytesIO(bench.valid_csv(500)), dtype=str, keep_default_na=False)
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False)
    for data, name in ((sink.getvalue(), "near.parquet"), (bench.valid_xlsx(500), "near.xlsx")):
        report = ingest.load_upload(data, name, max_rows=500)
        assert report.ok, (name, report.messages(limit=3))
        assert len(report.valid) == 500


def test_the_column_wise_csv_reader_reads_exactly_as_the_row_reader():
    # Unquoted CSVs go through pyarrow; anything it cannot read the same way goes row by row.
    import random

    rng = random.Random(5)
    alphabet = ["a", "b", " ", "\t", ",", ";", "\n", "\r\n", "\r", "\xa0", "\u2003", "\x1f", "1", "\x85"]
    limits = ingest._Limits(rows=1000, columns=100, cells=10**6, unpacked=2**20, filename="x.csv")
    compared = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        try:
            fast = ingest._plain_csv_frame(text, "x.csv", limits)
        except ingest.IngestError as exc:
            fast = exc.message
        if fast is None:
            continue
        try:
            slow = ingest._records_frame(ingest._csv_records(text, "x.csv", limits), "x.csv", limits)
        except ingest.IngestError as exc:
            slow = exc.message
        compared += 1
        if isinstance(fast, str) or isinstance(slow, str):
            assert fast == slow, repr(text)
        else:
            assert fast.equals(slow) and list(fast.columns) == list(slow.columns), repr(text)
            assert list(fast.index) == list(slow.index), repr(text)
    assert compared > 100


def test_a_workbook_value_past_the_column_limit_is_refused_not_dropped():
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["date", "event_type", "source_title", "source_url"])
    wb.active.append(["2015-01-01", "seizure", "R", "https://example.org/r"])
    wb.active.cell(row=2, column=ingest.MAX_COLUMNS + 50, value="hidden far right")
    sink = io.BytesIO()
    wb.save(sink)
    report = refused(sink.getvalue(), "wide.xlsx")
    assert (
        report.fatal
        == f"too many columns: row 2 of 'wide.xlsx' has {ingest.MAX_COLUMNS + 50} columns; the limit is 100"
    )


def test_inline_strings_read_fast_equal_openpyxls_reading():
    # lib.ingest reads inline-string cells itself (openpyxl builds a rich-text object per cell);
    # the values must be what openpyxl's own parser gives: plain text, formatted runs joined,
    # phonetic runs left out, empty cells empty, positions without r= counted on.
    import io

    from openpyxl.worksheet._reader import WorkSheetParser

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f"""<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="{ns}"><sheetData>
<row r="1"><c r="A1" t="inlineStr" s=""><is><t>Región</t></is></c><c r="C1" t="inlineStr"><is><t xml:space="preserve"> a b </t></is></c></row>
<row r="2"><c t="inlineStr"><is><r><rPr><b/></rPr><t>Hua</t></r><r><t>nuco</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></is></c>
<c t="inlineStr"><is/></c><c t="n"><v>3.5</v></c><c t="inlineStr"><is><t></t></is></c></row>
</sheetData></worksheet>""".encode()

    def rows(parser_class):
        parser = parser_class(io.BytesIO(sheet), [], data_only=True)
        return [
            (n, [(c["column"], c["value"], c["data_type"]) for c in cells]) for n, cells in parser.parse()
        ]

    expected = rows(WorkSheetParser)
    assert expected[1][1][0] == (1, "Huanuco", "s")  # the case is one worth checking
    assert rows(ingest._inline_string_parser()) == expected


def test_a_workbook_check_reports_its_progress_in_order_up_to_done():
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("events")
    from tests.test_ingest import GOOD

    header = list(GOOD)
    ws.append(header)
    for i in range(12_000):
        ws.append([f"t-{i}" if h == "event_id" else GOOD[h] for h in header])
    sink = io.BytesIO()
    wb.save(sink)
    heard: list[float] = []
    report = ingest.load_upload(sink.getvalue(), "big.xlsx", progress=heard.append)
    assert report.rows_read == 12_000 and not report.fatal
    assert heard == sorted(heard) and heard[-2:] == [0.8, 1.0]
    reading = [f for f in heard if f < 0.8]
    assert len(reading) >= 3 and reading[0] < 0.1 and reading[-1] > 0.5  # it moved while reading
