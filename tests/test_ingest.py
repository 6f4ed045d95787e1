"""lib.ingest: reading, validation messages, the CLI's writes, idempotence, rollback, exit codes.

Every test works on its own copy of a small data folder (the fixture sourced CSVs, built once
without simulation), selected with PISTAS_DATA_DIR; the repository's data/ is never touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lib import build as build_mod
from lib import ingest
from lib.db import Database
from lib.export import ExportMeta, csv_bytes
from lib.queries import Filters, events_for_export, sources_for_view
from lib.schema import EVENT_COLUMNS, EVENT_TYPES

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SOURCED = ROOT / "tests" / "fixtures" / "sourced"
TODAY = dt.date.today()


# ---- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_data(tmp_path_factory) -> Path:
    """A data folder: sourced/ = the fixture CSVs, built/ = one build without simulation."""
    root = tmp_path_factory.mktemp("ingest-base")
    shutil.copytree(FIXTURE_SOURCED, root / "sourced")
    spec = build_mod.BuildSpec(sourced=root / "sourced", out=root / "built", simulate=False)
    build_mod.build(spec, log=lambda *_: None)
    return root


@pytest.fixture
def data_dir(base_data, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(base_data, root)
    monkeypatch.setenv("PISTAS_DATA_DIR", str(root))
    return root


def tree_digest(root: Path) -> str:
    """Every file (and folder) under root, names and bytes."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def cli(capsys, *args) -> tuple[int, str, str]:
    code = ingest.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def current(data: Path) -> str:
    return (data / "built" / "CURRENT").read_text().strip()


def manifest_files(data: Path) -> list[str]:
    path = data / "imported" / "manifest.json"
    if not path.exists():
        return []
    return [f["events"] for f in ingest.read_import_manifest()["files"]]


def built_events(data: Path) -> pd.DataFrame:
    db = Database(data / "built")
    f = Filters(first_month=dt.date(2000, 1, 1), last_month=dt.date(2030, 12, 1))
    return events_for_export(db, f)


GOOD = {
    "event_id": "t-1",
    "date": "2016-09-05",
    "region": "Huánuco",
    "event_type": "airstrip_destroyed",
    "count": "1",
    "source_title": "A report",
    "source_url": "https://example.org/r",
}


def to_csv(rows: list[dict], *, sep: str = ",", encoding: str = "utf-8", columns=None) -> bytes:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, delimiter=sep, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def bad_row(**changes) -> bytes:
    """A file whose row 2 is good and row 3 is GOOD with `changes` (None deletes a value)."""
    second = {**GOOD, "event_id": "t-2", "date": "2016-09-06"}
    second.update({k: ("" if v is None else v) for k, v in changes.items()})
    return to_csv([GOOD, second])


def acled_csv(rows: list[dict], drop: tuple[str, ...] = ()) -> bytes:
    columns = [c for c in ingest.ACLED_COLUMNS if c not in drop]
    full = [{c: r.get(c, "") for c in columns} for r in rows]
    return to_csv(full, columns=columns)


ACLED_ROW = {
    "event_id_cnty": "PER100",
    "event_date": "15 January 2020",
    "year": "2020",
    "time_precision": "1",
    "disorder_type": "Strategic developments",
    "event_type": "Strategic developments",
    "sub_event_type": "Looting/property destruction",
    "actor1": "Police Forces of Peru (2016-)",
    "country": "Peru",
    "iso": "604",
    "region": "South America",
    "admin1": "Huanuco",
    "admin2": "Puerto Inca",
    "admin3": "Codo del Pozuzo",
    "location": "Codo del Pozuzo",
    "latitude": "-9.6717",
    "longitude": "-75.4589",
    "geo_precision": "2",
    "source": "Andina",
    "source_scale": "National",
    "notes": "Police disabled a clandestine airstrip.",
    "fatalities": "0",
    "timestamp": "1580000000",
}


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    frame.to_parquet(sink, index=False)
    return sink.getvalue()


def valid_parquet() -> bytes:
    return parquet_bytes(pd.DataFrame([GOOD]))


def exact_bytes(size: int) -> bytes:
    data = to_csv([{**GOOD, "notes": ""}])
    return data[:-1] + b"x" * (size - len(data)) + b"\n"


def derived_id(row: dict) -> str:
    return ingest.validate(ingest.read_table(to_csv([row]), "x.csv")).valid["event_id"].iloc[0]


# ---- malformed files: exact messages, and nothing written ---------------------------------

EVENT_TYPE_LIST = ", ".join(EVENT_TYPES)
DATE_HELP = "is not a date (use YYYY-MM-DD, DD/MM/YYYY or an Excel date)"
NO_ID = {k: v for k, v in GOOD.items() if k != "event_id"}

# (id, filename, data, args, kwargs for load_upload, reason, exact message)
ROW_CASES = [
    (
        "unknown-region",
        bad_row(region="Atlantis"),
        ingest.UNKNOWN_REGION,
        "row 3, column region: 'Atlantis' is not one of Peru's 25 regions",
    ),
    (
        "future-date",
        bad_row(date="2999-01-01"),
        ingest.FUTURE_DATE,
        f"row 3, column date: 2999-01-01 is in the future (today is {TODAY.isoformat()})",
    ),
    (
        "future-date-end",
        bad_row(date_end="01/01/2999"),
        ingest.FUTURE_DATE,
        f"row 3, column date_end: 2999-01-01 is in the future (today is {TODAY.isoformat()})",
    ),
    (
        "unparseable-date",
        bad_row(date="31/31/2015"),
        ingest.UNPARSEABLE_DATE,
        f"row 3, column date: '31/31/2015' {DATE_HELP}",
    ),
    (
        "impossible-date",
        bad_row(date="2015-02-30"),
        ingest.UNPARSEABLE_DATE,
        f"row 3, column date: '2015-02-30' {DATE_HELP}",
    ),
    (
        "empty-date",
        bad_row(date=None),
        ingest.MISSING_VALUE,
        "row 3, column date: empty; every row needs a date",
    ),
    (
        "end-before-start",
        bad_row(date="2015-03-10", date_end="2015-03-01"),
        ingest.END_BEFORE_START,
        "row 3, column date_end: 2015-03-01 is before the date 2015-03-10",
    ),
    (
        "outside-peru",
        bad_row(lat="40.4", lon="-3.7"),
        ingest.OUTSIDE_PERU,
        "row 3, column lat/lon: lat 40.4, lon -3.7 is outside Peru (lat -18.6 to 0, lon -81.6 to -68.4)",
    ),
    (
        "swapped",
        bad_row(lat="-74.5", lon="-9.3"),
        ingest.SWAPPED,
        "row 3, column lat/lon: lat -74.5, lon -9.3 looks swapped (lat -9.3, lon -74.5 would be in Peru)",
    ),
    (
        "unparseable-lat",
        bad_row(lat="abc", lon="-75"),
        ingest.BAD_COORDINATE,
        "row 3, column lat: 'abc' is not a number",
    ),
    (
        "lat-without-lon",
        bad_row(lat="-9.3", lon=None),
        ingest.INCOMPLETE_COORDINATES,
        "row 3, column lon: empty while the other coordinate is given; give both or neither",
    ),
    (
        "zero-count",
        bad_row(count="0"),
        ingest.NOT_POSITIVE,
        "row 3, column count: 0 is not a positive count (each row counts 1 or more events)",
    ),
    (
        "negative-count",
        bad_row(count="-2"),
        ingest.NOT_POSITIVE,
        "row 3, column count: -2 is not a positive count (each row counts 1 or more events)",
    ),
    (
        "fractional-count",
        bad_row(count="2.5"),
        ingest.NOT_INTEGER,
        "row 3, column count: '2.5' is not a whole number",
    ),
    (
        "text-count",
        bad_row(count="many"),
        ingest.NOT_INTEGER,
        "row 3, column count: 'many' is not a whole number",
    ),
    (
        "empty-count",
        bad_row(count=None),
        ingest.MISSING_VALUE,
        "row 3, column count: empty; give the number of events (1 or more)",
    ),
    (
        "duplicate-id-in-file",
        bad_row(event_id="t-1"),
        ingest.DUPLICATE_ID,
        "row 3, column event_id: 't-1' is already used on row 2",
    ),
    (
        "duplicate-of-sourced",
        bad_row(event_id="rep-S002"),
        ingest.DUPLICATE_ID,
        "row 3, column event_id: 'rep-S002' is already used by a sourced event; give this row another event_id",
    ),
    (
        "reserved-id",
        bad_row(event_id="sim-2014-00000001"),
        ingest.RESERVED_ID,
        "row 3, column event_id: 'sim-2014-00000001' starts with 'sim-', which is kept for simulated rows",
    ),
    (
        "unknown-type",
        bad_row(event_type="bombing"),
        ingest.UNKNOWN_TYPE,
        f"row 3, column event_type: 'bombing' is not an event type ({EVENT_TYPE_LIST})",
    ),
    (
        "empty-type",
        bad_row(event_type=None),
        ingest.MISSING_VALUE,
        "row 3, column event_type: empty; every row needs an event type",
    ),
    (
        "unknown-route",
        bad_row(route="teleport"),
        ingest.UNKNOWN_ROUTE,
        "row 3, column route: 'teleport' is not a route (air, land, river, sea)",
    ),
    (
        "no-source",
        bad_row(source_title=None, source_url=None),
        ingest.MISSING_SOURCE,
        "row 3: missing source: every imported row needs source_title and source_url, or a known source_id",
    ),
    (
        "title-without-url",
        bad_row(source_url=None),
        ingest.MISSING_SOURCE,
        "row 3: missing source: every imported row needs source_title and source_url, or a known source_id",
    ),
    (
        "unknown-source-id",
        bad_row(source_title=None, source_url=None, source_id="nope"),
        ingest.UNKNOWN_SOURCE,
        "row 3, column source_id: 'nope' is not in the sources table; add source_title and source_url to cite a new source",
    ),
    (
        "javascript-url",
        bad_row(source_url="javascript:alert(1)"),
        ingest.BAD_URL,
        "row 3, column source_url: 'javascript:alert(1)' is not a web address (http:// or https://)",
    ),
    (
        "unknown-area",
        bad_row(area="Atlantis"),
        ingest.UNKNOWN_AREA,
        "row 3, column area: 'Atlantis' is not an analysis area (VRAEM, Pichis-Palcazú, Ucayali, Huallaga, Puno, Nacional)",
    ),
    (
        "region-outside-area",
        bad_row(area="VRAEM", region="Loreto"),
        ingest.REGION_OUTSIDE_AREA,
        "row 3, column area: Loreto is not in the VRAEM area (Apurímac, Ayacucho, Cusco, Huancavelica, Junín)",
    ),
    (
        "negative-kg",
        bad_row(quantity_kg="-5"),
        ingest.BAD_QUANTITY,
        "row 3, column quantity_kg: -5 is negative",
    ),
    (
        "text-kg",
        bad_row(quantity_kg="lots"),
        ingest.BAD_QUANTITY,
        "row 3, column quantity_kg: 'lots' is not a number of kilograms",
    ),
    (
        "unknown-date-precision",
        bad_row(date_precision="weekly"),
        ingest.UNKNOWN_PRECISION,
        "row 3, column date_precision: 'weekly' is not a date precision (day, month, period)",
    ),
    (
        "unknown-geo-precision",
        bad_row(geo_precision="street"),
        ingest.UNKNOWN_PRECISION,
        "row 3, column geo_precision: 'street' is not a geo precision (exact, district, province, region)",
    ),
    (
        "simulated-row",
        bad_row(provenance="simulated"),
        ingest.NOT_REPORTED,
        "row 3, column provenance: 'simulated': imported rows are reported records; simulated rows cannot be imported",
    ),
    (
        "extra-values",
        to_csv([GOOD]) + b"t-2,2016-09-06,Junin,seizure,1,R,https://example.org/r,oops\n",
        ingest.EXTRA_VALUES,
        "row 3: more values than the header has columns ('oops'); quote values that contain the separator",
    ),
    (
        "identical-rows",
        to_csv([NO_ID, NO_ID]),
        ingest.DUPLICATE_ID,
        f"row 3: repeats row 2 exactly (same derived event_id {derived_id(NO_ID)!r}); "
        "merge them into one row with a count, or give each an event_id",
    ),
    (
        "acled-not-peru",
        acled_csv([ACLED_ROW, {**ACLED_ROW, "event_id_cnty": "COL1", "country": "Colombia"}]),
        ingest.NOT_PERU,
        "row 3, column country: 'Colombia': only events in Peru can be imported",
    ),
    (
        "acled-time-precision",
        acled_csv([ACLED_ROW, {**ACLED_ROW, "event_id_cnty": "PER101", "time_precision": "7"}]),
        ingest.UNKNOWN_PRECISION,
        "row 3, column time_precision: '7' is not a date precision (1, 2 or 3)",
    ),
]

ACLED_NO_ADMIN1 = [c for c in ingest.ACLED_COLUMNS if c != "admin1"]
FATAL_CASES = [
    (
        "zero-bytes",
        "empty.csv",
        b"",
        {},
        ingest.EMPTY_FILE,
        "empty file: 'empty.csv' has no header and no rows",
    ),
    (
        "blank-lines",
        "blank.csv",
        b"\n \n\r\n",
        {},
        ingest.EMPTY_FILE,
        "empty file: 'blank.csv' has no header and no rows",
    ),
    (
        "header-only",
        "header.csv",
        to_csv([GOOD])[: to_csv([GOOD]).index(b"\n") + 1],
        {},
        ingest.EMPTY_FILE,
        "empty file: 'header.csv' has a header but no data rows",
    ),
    (
        "header-only-xlsx",
        "header.xlsx",
        lambda: _xlsx([list(GOOD)]),
        {},
        ingest.EMPTY_FILE,
        "empty file: 'header.xlsx' has a header but no data rows",
    ),
    (
        "no-date-column",
        "nodate.csv",
        to_csv([{k: v for k, v in GOOD.items() if k != "date"}]),
        {},
        ingest.MISSING_COLUMN,
        "missing required column: date (the file's columns: event_id, region, event_type, count, source_title, source_url)",
    ),
    (
        "no-type-no-source",
        "few.csv",
        to_csv([{"date": "2015-01-01", "region": "Puno"}]),
        {},
        ingest.MISSING_COLUMN,
        "missing required columns: event_type, source_title and source_url (or source_id) (the file's columns: date, region)",
    ),
    (
        "pdf",
        "report.pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        {},
        ingest.UNREADABLE,
        "unreadable file: 'report.pdf' is not CSV, XLSX or Parquet",
    ),
    (
        "binary-named-csv",
        "data.csv",
        bytes(range(256)) * 4,
        {},
        ingest.UNREADABLE,
        "unreadable file: 'data.csv' is not CSV, XLSX or Parquet",
    ),
    (
        "corrupt-xlsx",
        "bad.xlsx",
        b"PK\x03\x04" + b"\x00garbage" * 50,
        {},
        ingest.UNREADABLE,
        "unreadable file: 'bad.xlsx' is not a readable XLSX workbook",
    ),
    (
        "csv-named-xlsx",
        "table.xlsx",
        to_csv([GOOD]),
        {},
        ingest.UNREADABLE,
        "unreadable file: 'table.xlsx' is not a readable XLSX workbook",
    ),
    (
        "zip-not-workbook",
        "archive.xlsx",
        lambda: _zip_not_workbook(),
        {},
        ingest.UNREADABLE,
        "unreadable file: 'archive.xlsx' is not a readable XLSX workbook",
    ),
    (
        "corrupt-parquet",
        "bad.parquet",
        b"PAR1" + b"\x01\x02junk" * 40 + b"PAR1",
        {},
        ingest.UNREADABLE,
        "unreadable file: 'bad.parquet' is not a readable Parquet file",
    ),
    (
        "truncated-parquet",
        "cut.parquet",
        valid_parquet()[: len(valid_parquet()) // 2],
        {},
        ingest.UNREADABLE,
        "unreadable file: 'cut.parquet' is not a readable Parquet file",
    ),
    (
        "old-xls",
        "old.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        {},
        ingest.UNREADABLE,
        "unreadable file: 'old.xls' is an Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV",
    ),
    (
        "bad-utf8-after-bom",
        "bom.csv",
        b"\xef\xbb\xbfdate,region\n\xff\xfe,\xc3\n",
        {},
        ingest.UNREADABLE,
        "unreadable file: 'bom.csv' starts with a UTF-8 mark but is not UTF-8 text",
    ),
    (
        "too-large",
        "big.csv",
        exact_bytes(2048),
        {"max_bytes": 1024},
        ingest.TOO_LARGE,
        "too large: 'big.csv' is 2.0 KB; the limit is 1.0 KB",
    ),
    (
        "alias-clash",
        "clash.csv",
        to_csv([{**GOOD, "kg": "1", "quantity_kg": "2"}]),
        {},
        ingest.DUPLICATE_COLUMN,
        "duplicate column: 'kg' and 'quantity_kg' both mean quantity_kg",
    ),
    (
        "repeated-header",
        "twice.csv",
        b"date,notes,notes\n2015-01-01,a,b\n",
        {},
        ingest.DUPLICATE_COLUMN,
        "duplicate column: 'notes' appears twice in the header",
    ),
    (
        "same-header-spelt-twice",
        "twice2.csv",
        to_csv([{**GOOD, "Región": "Puno"}]),
        {},
        ingest.DUPLICATE_COLUMN,
        "duplicate column: 'region' and 'Región' both mean region",
    ),
    (
        "acled-bad-url",
        "acled3.csv",
        acled_csv([ACLED_ROW]),
        {"acled_source_url": "javascript:alert(1)"},
        ingest.BAD_URL,
        "invalid source URL: 'javascript:alert(1)' is not a web address (http:// or https://)",
    ),
    (
        "acled-without-type",
        "acled.csv",
        acled_csv([ACLED_ROW]),
        {"acled_event_type": None},
        ingest.ACLED_TYPE_NEEDED,
        f"ACLED export: choose the event type its rows become (one of {EVENT_TYPE_LIST})",
    ),
    (
        "acled-without-admin1",
        "acled2.csv",
        acled_csv([ACLED_ROW], drop=("admin1",)),
        {},
        ingest.MISSING_COLUMN,
        f"missing required column: admin1 (the file's columns: {', '.join(ACLED_NO_ADMIN1)})",
    ),
]


def _xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def _zip_not_workbook() -> bytes:
    import zipfile

    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    return sink.getvalue()


def _cli_args(kwargs: dict) -> list[str]:
    args = []
    if "max_bytes" in kwargs:
        args += ["--max-mb", str(kwargs["max_bytes"] / 10**6)]
    if "acled_source_url" in kwargs:
        args += ["--acled-source-url", kwargs["acled_source_url"]]
    if kwargs.get("acled_event_type", "airstrip_destroyed"):
        args += ["--acled-event-type", kwargs.get("acled_event_type", "airstrip_destroyed")]
    return args


@pytest.mark.parametrize(
    ("data", "reason", "message"), [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES]
)
def test_invalid_row_is_reported_exactly_and_nothing_is_written(data_dir, capsys, data, reason, message):
    report = ingest.load_upload(data, "rows.csv", acled_event_type="airstrip_destroyed")
    assert report.fatal is None
    assert report.messages() == [message]
    assert report.counts == {reason: 1}
    problem = report.problems.iloc[0]
    assert problem["row"] == 3 and problem["reason"] == reason
    assert list(report.valid.index) == [2]  # the good row is still valid

    path = data_dir.parent / "rows.csv"
    path.write_bytes(data)
    before = tree_digest(data_dir)
    code, out, err = cli(capsys, path, "--acled-event-type", "airstrip_destroyed")
    assert code == ingest.EXIT_INVALID
    assert f"  {message}" in out.splitlines()
    assert "nothing was written" in err
    assert tree_digest(data_dir) == before
    assert not path.with_name("rows.csv.rejects.csv").exists()


@pytest.mark.parametrize(
    ("filename", "data", "kwargs", "reason", "message"),
    [c[1:] for c in FATAL_CASES],
    ids=[c[0] for c in FATAL_CASES],
)
def test_unusable_file_gives_one_exact_message_and_nothing_is_written(
    data_dir, capsys, filename, data, kwargs, reason, message
):
    data = data() if callable(data) else data
    report = ingest.load_upload(data, filename, **{"acled_event_type": "airstrip_destroyed", **kwargs})
    assert report.fatal == message
    assert report.counts == {reason: 1}
    assert report.valid.empty and list(report.valid.columns) == list(ingest.VALID_COLUMNS)

    path = data_dir.parent / filename
    path.write_bytes(data)
    before = tree_digest(data_dir)
    code, _out, err = cli(capsys, path, *_cli_args(kwargs))
    assert code == ingest.EXIT_INVALID
    assert f"{filename}: {message}" in err
    assert tree_digest(data_dir) == before


def test_a_missing_file_is_invalid_input(data_dir, capsys):
    before = tree_digest(data_dir)
    code, _out, err = cli(capsys, data_dir.parent / "nowhere.csv")
    assert code == ingest.EXIT_INVALID
    assert "unreadable file: cannot open" in err and "No such file or directory" in err
    assert tree_digest(data_dir) == before


def test_read_table_raises_ingest_error_with_the_message():
    with pytest.raises(ingest.IngestError, match=r"^too large: 'x.csv' is 2.0 KB; the limit is 1.0 KB$"):
        ingest.read_table(exact_bytes(2048), "x.csv", max_bytes=1024)


def test_default_size_cap_is_50_mb():
    big = b"x" * (50 * 10**6 + 1)  # 50 MB as the browser counts: one byte over
    with pytest.raises(ingest.IngestError) as info:
        ingest.read_table(big, "huge.csv")
    assert str(info.value) == "too large: 'huge.csv' is 50.0 MB; the limit is 50.0 MB"
    assert info.value.reason == ingest.TOO_LARGE


# ---- formats -------------------------------------------------------------------------------


def test_latin1_semicolon_spanish_headers_huanuco_and_excel_serial_dates(data_dir, capsys):
    text = (
        "Fecha;Fecha_fin;Región;Provincia;Tipo;Cantidad;Ruta;Latitud;Longitud;Kg;Fuente;Enlace;Notas\n"
        "42005;42007;HUANUCO;Puerto Inca;Pista destruida;3;aérea;-9,38;-74,96;;Diario Ñandú;https://x.pe/a;año nuevo\n"
        "15/02/2015;;huánuco;;incautación;1;terrestre;;;12,5;Diario Ñandú;https://x.pe/a;\n"
    )
    path = data_dir.parent / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    report = ingest.load_upload(path.read_bytes(), path.name)
    assert report.ok, report.messages()
    v = report.valid
    assert list(v["date"]) == [dt.date(2015, 1, 1), dt.date(2015, 2, 15)]
    assert list(v["date_end"]) == [dt.date(2015, 1, 3), dt.date(2015, 2, 15)]
    assert list(v["date_precision"]) == ["period", "day"]
    assert list(v["region"]) == ["Huánuco", "Huánuco"]
    assert list(v["area"]) == ["Pichis-Palcazú", "Pichis-Palcazú"]  # first area holding Huánuco
    assert list(v["event_type"]) == ["airstrip_destroyed", "seizure"]
    assert list(v["route"]) == ["air", "land"]
    assert v["lat"].iloc[0] == -9.38 and v["lon"].iloc[0] == -74.96 and v["quantity_kg"].iloc[1] == 12.5
    assert v["notes"].iloc[0] == "año nuevo" and v["source_title"].iloc[0] == "Diario Ñandú"
    assert list(v["geo_precision"]) == ["exact", "region"]

    code, out, _err = cli(capsys, path)
    assert code == 0, out
    assert "2 new rows" in out
    events = built_events(data_dir)
    imported = events[events["event_id"].str.startswith("imp-")]
    assert sorted(imported["region"]) == ["Huánuco", "Huánuco"]
    assert set(imported["provenance"]) == {"reported"}


def test_bom_csv_keeps_its_first_header(data_dir):
    data = to_csv([{**GOOD, "region": "JUNIN"}], encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    report = ingest.load_upload(data, "bom.csv")
    assert report.ok, report.messages()
    assert report.valid["event_id"].tolist() == ["t-1"] and report.valid["region"].tolist() == ["Junín"]
    assert report.valid["area"].tolist() == ["VRAEM"]


def test_xlsx_and_parquet_read_like_csv(data_dir):
    csv_report = ingest.load_upload(ingest.template_csv(), "template.csv")
    xlsx_report = ingest.load_upload(ingest.template_xlsx(), "template.xlsx")
    typed = pd.DataFrame(
        [
            {**r, "count": int(r["count"]), "date": dt.date.fromisoformat(r["date"])}
            for r in ingest.TEMPLATE_ROWS
        ]
    )
    parquet_report = ingest.load_upload(parquet_bytes(typed), "template.parquet")
    for report in (csv_report, xlsx_report, parquet_report):
        assert report.ok, report.messages()
    pd.testing.assert_frame_equal(csv_report.valid, xlsx_report.valid)
    pd.testing.assert_frame_equal(csv_report.valid, parquet_report.valid)
    assert list(csv_report.valid.columns) == list(ingest.VALID_COLUMNS)
    assert list(csv_report.valid.index) == [2, 3]


def test_xlsx_dates_as_cells_and_serials(data_dir):
    data = _xlsx(
        [
            ["fecha", "region", "tipo", "cantidad", "fuente", "url"],
            [dt.datetime(2015, 1, 1), "Pasco", "vuelo detectado", 2.0, "R", "https://example.org/x"],
            [42036, "Pasco", "flight_detected", 1, "R", "https://example.org/x"],
        ]
    )
    report = ingest.load_upload(data, "cells.xlsx")
    assert report.ok, report.messages()
    assert list(report.valid["date"]) == [dt.date(2015, 1, 1), dt.date(2015, 2, 1)]
    assert list(report.valid["count"]) == [2, 1]


def test_acled_export_maps_onto_events(data_dir, capsys):
    rows = [
        ACLED_ROW,
        {
            **ACLED_ROW,
            "event_id_cnty": "PER101",
            "event_date": "2020-02-10",
            "time_precision": "2",
            "admin1": "Lima Province",
            "admin2": "",
            "admin3": "",
            "geo_precision": "3",
            "latitude": "-12.05",
            "longitude": "-77.04",
            "source": "El Comercio; La Republica",
        },
    ]
    path = data_dir.parent / "acled.csv"
    path.write_bytes(acled_csv(rows))
    report = ingest.load_upload(path.read_bytes(), path.name, acled_event_type="airstrip_destroyed")
    assert report.format == "acled" and report.ok, report.messages()
    v = report.valid
    assert list(v["event_id"]) == ["PER100", "PER101"]
    assert list(v["date"]) == [dt.date(2020, 1, 15), dt.date(2020, 2, 1)]
    assert list(v["date_end"]) == [dt.date(2020, 1, 15), dt.date(2020, 2, 29)]
    assert list(v["date_precision"]) == ["day", "month"]
    assert list(v["region"]) == ["Huánuco", "Lima"]
    assert list(v["area"]) == ["Pichis-Palcazú", "Nacional"]
    assert v["province"].iloc[0] == "Puerto Inca" and v["district"].iloc[0] == "Codo del Pozuzo"
    assert list(v["geo_precision"]) == ["district", "region"]
    assert list(v["event_type"]) == ["airstrip_destroyed"] * 2 and list(v["count"]) == [1, 1]
    assert list(v["source_title"]) == ["ACLED: Andina", "ACLED: El Comercio; La Republica"]
    assert set(v["source_url"]) == {ingest.ACLED_URL}
    assert v["notes"].iloc[0] == (
        "Police disabled a clandestine airstrip. [ACLED: Strategic developments / Looting/property destruction; "
        "Codo del Pozuzo]"
    )
    code, out, _err = cli(
        capsys,
        path,
        "--acled-event-type",
        "airstrip_destroyed",
        "--acled-source-url",
        "https://acleddata.com/data-export-tool/",
    )
    assert code == 0, out
    db = Database(data_dir / "built")
    f = Filters(first_month=dt.date(2020, 1, 1), last_month=dt.date(2020, 2, 1), provenances=("reported",))
    cited = sources_for_view(db, f)
    assert sorted(cited["title"]) == ["ACLED: Andina", "ACLED: El Comercio; La Republica"]
    assert set(cited["url"]) == {"https://acleddata.com/data-export-tool/"}


# ---- the CLI's writes ----------------------------------------------------------------------


def test_template_round_trips_through_import_and_the_data_page_export(data_dir, capsys, tmp_path):
    path = tmp_path / "template.csv"
    path.write_bytes(ingest.template_csv())
    code, out, _err = cli(capsys, path)
    assert code == 0, out
    version = current(data_dir)
    db = Database(data_dir / "built")
    f = Filters(first_month=dt.date(2014, 1, 1), last_month=dt.date(2017, 12, 1), provenances=("reported",))
    rows = events_for_export(db, f)
    meta = ExportMeta(
        view_link="http://localhost/?v=" + version, data_version=version, filters={}, provenance_note=""
    )
    exported = csv_bytes(rows, meta)
    back = pd.read_csv(io.BytesIO(exported), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    back = back[back["event_id"].str.startswith("example-")].reset_index(drop=True)
    assert list(back.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    expected = pd.DataFrame(list(ingest.TEMPLATE_ROWS))
    for col in (
        "event_id",
        "date",
        "date_end",
        "count",
        "region",
        "area",
        "province",
        "district",
        "event_type",
        "route",
        "date_precision",
        "geo_precision",
        "provenance",
        "notes",
    ):
        assert list(back[col]) == list(expected.sort_values("date")[col]), col  # export is by date
    assert [float(x) for x in back["lat"] if x] == [-9.38]
    # their citations are in the sources table the Data page shows
    cited = sources_for_view(db, f)
    titles = set(cited["title"])
    assert {r["source_title"] for r in ingest.TEMPLATE_ROWS} <= titles
    # and the export itself imports back as nothing new (every row is already in the data)
    path.with_name("export.csv").write_bytes(exported)
    tree = tree_digest(data_dir)
    code, out, _err = cli(capsys, path.with_name("export.csv"))
    assert code == 0 and "0 new rows" in out and f"{len(rows)} already in the data" in out, out
    assert "ignored columns" not in out  # the export's data_version and view_link are expected
    assert tree_digest(data_dir) == tree


def test_importing_the_same_file_twice_adds_nothing(data_dir, capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(ingest.template_csv())
    assert cli(capsys, path)[0] == 0
    version, tree = current(data_dir), tree_digest(data_dir)
    code, out, _err = cli(capsys, path)
    assert code == 0
    assert "0 new rows" in out and "2 already in the data" in out
    assert current(data_dir) == version
    assert tree_digest(data_dir) == tree
    # the same rows as XLSX (with other header spellings) are the same events
    path_x = tmp_path / "t.xlsx"
    path_x.write_bytes(ingest.template_xlsx())
    code, out, _err = cli(capsys, path_x)
    assert code == 0 and "0 new rows" in out
    assert tree_digest(data_dir) == tree


def test_rows_without_event_ids_imported_twice_are_recognised_by_their_derived_ids(
    data_dir, capsys, tmp_path
):
    # The second check builds row keys only where needed: rows without an id must still be
    # matched to the imported rows their derived id names, and a given id to its own row.
    path = tmp_path / "n.csv"
    other = {**NO_ID, "date": "2016-09-07"}
    path.write_bytes(to_csv([NO_ID, other]))
    assert cli(capsys, path)[0] == 0
    tree = tree_digest(data_dir)
    mixed = tmp_path / "m.csv"
    mixed.write_bytes(to_csv([{**NO_ID, "event_id": derived_id(NO_ID)}, other]))
    code, out, _err = cli(capsys, mixed)
    assert code == 0 and "0 new rows" in out and "2 already in the data" in out, out
    assert tree_digest(data_dir) == tree


def test_append_adds_and_replace_replaces_only_imported_rows(data_dir, capsys, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(to_csv([GOOD, {**GOOD, "event_id": "t-2", "date": "2016-09-07"}]))
    second.write_bytes(to_csv([{**GOOD, "event_id": "t-3", "region": "Puno", "date": "2017-01-02"}]))
    sourced = set(built_events(data_dir)["event_id"])
    assert cli(capsys, first)[0] == 0
    code, out, _err = cli(capsys, second, "--append")
    assert code == 0 and "1 new rows" in out
    assert set(built_events(data_dir)["event_id"]) == sourced | {"t-1", "t-2", "t-3"}
    assert len(manifest_files(data_dir)) == 2

    code, out, _err = cli(capsys, second, "--replace")
    assert code == 0
    assert "0 new rows, 2 earlier imported rows removed" in out
    assert set(built_events(data_dir)["event_id"]) == sourced | {"t-3"}
    assert len(manifest_files(data_dir)) == 1
    on_disk = sorted(p.name for p in (data_dir / "imported").glob("events-*.parquet"))
    kept = {
        f["events"]
        for files in [ingest.read_import_manifest()["files"], *ingest.read_import_manifest()["history"]]
        for f in files
    }
    assert set(on_disk) == kept  # files of states no longer reachable are deleted


def test_append_refuses_an_imported_id_with_other_values(data_dir, capsys, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(to_csv([GOOD]))
    assert cli(capsys, path)[0] == 0
    before = tree_digest(data_dir)
    path.write_bytes(to_csv([{**GOOD, "count": "5"}]))
    code, out, _err = cli(capsys, path)
    assert code == ingest.EXIT_INVALID
    assert (
        "  row 2, column event_id: 't-1' is already imported with different values; give this row another "
        "event_id, or import with --replace to replace the earlier imports"
    ) in out.splitlines()
    assert tree_digest(data_dir) == before
    assert cli(capsys, path, "--replace")[0] == 0  # replacing is how a row is corrected
    assert built_events(data_dir).set_index("event_id").loc["t-1", "count"] == 5


def test_rollback_restores_the_data_version_and_the_manifest(data_dir, capsys, tmp_path):
    v0 = current(data_dir)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(to_csv([GOOD]))
    b.write_bytes(to_csv([{**GOOD, "event_id": "t-9", "date": "2018-01-01"}]))
    assert cli(capsys, a)[0] == 0
    v1, files1 = current(data_dir), manifest_files(data_dir)
    assert cli(capsys, b)[0] == 0
    v2 = current(data_dir)
    assert len({v0, v1, v2}) == 3 and len(manifest_files(data_dir)) == 2

    code, out, _err = cli(capsys, "--rollback")
    assert code == 0 and v1 in out
    assert current(data_dir) == v1 and manifest_files(data_dir) == files1
    assert "t-9" not in set(built_events(data_dir)["event_id"])
    assert cli(capsys, "--rollback")[0] == 0
    assert current(data_dir) == v0 and manifest_files(data_dir) == []
    code, _out, err = cli(capsys, "--rollback")
    assert code == ingest.EXIT_INVALID and "nothing to roll back" in err
    # after rolling back, the same import gives the same version again
    assert cli(capsys, a)[0] == 0
    assert current(data_dir) == v1


def test_skip_invalid_imports_valid_rows_and_writes_the_rejects(data_dir, capsys, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        to_csv(
            [
                GOOD,
                {**GOOD, "event_id": "t-2", "region": "Atlantis"},
                {**GOOD, "event_id": "t-3", "date": "2016-10-01"},
            ]
        )
    )
    code, out, _err = cli(capsys, path, "--skip-invalid")
    assert code == 0, out
    assert "2 new rows" in out
    rejects = pd.read_csv(tmp_path / "mixed.csv.rejects.csv", encoding="utf-8-sig", dtype=str)
    assert list(rejects.columns) == list(ingest.PROBLEM_COLUMNS)
    assert rejects[["row", "column", "value", "reason"]].values.tolist() == [
        ["3", "region", "Atlantis", "unknown region"]
    ]
    assert {"t-1", "t-3"} <= set(built_events(data_dir)["event_id"])
    assert "t-2" not in set(built_events(data_dir)["event_id"])


def test_skip_invalid_with_no_valid_row_writes_no_data(data_dir, capsys, tmp_path):
    path = tmp_path / "allbad.csv"
    path.write_bytes(to_csv([{**GOOD, "region": "Atlantis"}]))
    before = tree_digest(data_dir)
    code, _out, err = cli(capsys, path, "--skip-invalid")
    assert code == ingest.EXIT_INVALID and "no valid rows" in err
    assert tree_digest(data_dir) == before
    assert (tmp_path / "allbad.csv.rejects.csv").exists()


def test_dry_run_writes_nothing(data_dir, capsys, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(ingest.template_csv())
    before = tree_digest(data_dir)
    code, out, _err = cli(capsys, path, "--dry-run")
    assert code == 0 and "dry run: nothing was written" in out and "2 new and valid" in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(bad_row(region="Atlantis"))
    assert cli(capsys, bad, "--dry-run", "--skip-invalid")[0] == 0
    assert cli(capsys, bad, "--dry-run")[0] == ingest.EXIT_INVALID
    assert tree_digest(data_dir) == before
    assert not (tmp_path / "bad.csv.rejects.csv").exists()


def test_build_failure_exits_3_and_leaves_the_data_as_it_was(data_dir, capsys, tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_bytes(to_csv([GOOD]))
    before = tree_digest(data_dir)

    def broken_build(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_mod, "build", broken_build)
    code, _out, err = cli(capsys, path)
    assert code == ingest.EXIT_INTERNAL
    assert "internal failure: RuntimeError: disk full" in err
    assert tree_digest(data_dir) == before
    monkeypatch.undo()
    monkeypatch.setenv("PISTAS_DATA_DIR", str(data_dir))
    assert cli(capsys, path)[0] == 0  # and the same import works once the build does


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        ingest.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "2  invalid input" in out and "3  internal failure" in out
    assert "0 success" in ingest.__doc__ and "3 internal failure" in ingest.__doc__


def test_commit_refuses_an_invalid_report(data_dir):
    report = ingest.load_upload(bad_row(region="Atlantis"), "x.csv")
    with pytest.raises(ingest.IngestError, match="1 rows are invalid: nothing was written"):
        ingest.commit(report)
    result = ingest.commit(report, skip_invalid=True, log=lambda *_: None)
    assert result.new_rows == 1 and result.changed and result.data_version == current(data_dir)


def test_imported_sources_join_the_sources_table_and_sourced_ones_win(tmp_path):
    imported = tmp_path / "sources-x.parquet"
    frame = pd.DataFrame(
        {
            "source_id": ["fx-insight", "imp-src-1"],
            "title": ["Not the fixture", "Mine"],
            "publisher": ["P", "P"],
            "date": ["2020", "2020"],
            "url": ["https://a.b/c", "https://a.b/d"],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), imported)
    spec = build_mod.BuildSpec(
        sourced=FIXTURE_SOURCED, out=tmp_path / "built", simulate=False, extra_sources=(imported,)
    )
    version = build_mod.build(spec, log=lambda *_: None)
    sources = pd.read_parquet(tmp_path / "built" / version / "sources.parquet").set_index("source_id")
    assert sources.loc["fx-insight", "title"] == "Fixture source: drug flights shift north"
    assert sources.loc["imp-src-1", "title"] == "Mine"


def test_templates_list_columns_and_allowed_values():
    header = ingest.template_csv().decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(ingest.VALID_COLUMNS)
    wb = openpyxl.load_workbook(io.BytesIO(ingest.template_xlsx()))
    assert wb.sheetnames == ["events", "allowed values"]
    allowed = {row[0]: row[2] for row in wb["allowed values"].iter_rows(min_row=2, values_only=True)}
    assert set(allowed) == set(ingest.VALID_COLUMNS)
    assert all(t in allowed["event_type"] for t in EVENT_TYPES)
    rows = list(wb["events"].iter_rows(min_row=2, values_only=True))
    notes = [r[header.index("notes")] for r in rows]
    assert len(rows) == 2 and all(n.startswith("EXAMPLE ROW") for n in notes)
    committed = ROOT / "data" / "templates" / "pistas-template.csv"
    assert committed.read_bytes() == ingest.template_csv(), (
        "regenerate: python -m lib.ingest --write-template"
    )


def test_row_keys_column_by_column_equal_the_row_key_derived_ids_depend_on(data_dir):
    # Derived event_ids hash these keys: a file imported before the column-wise checks must
    # get the same ids now, or importing it again would add its rows twice.
    rows = [
        {**GOOD, "event_id": "", "lat": "-0.0", "lon": "-75.0", "kg": "0"},
        {**GOOD, "event_id": "", "count": "3"},
        {**GOOD, "event_id": "x-9", "region": "", "lat": "", "lon": ""},
    ]
    report = ingest.load_upload(to_csv(rows), "keys.csv")
    frame = report.valid
    assert len(frame) == 3, report.messages()
    expected = [ingest._row_key(r) for r in frame.to_dict("records")]
    assert ingest._row_keys(frame) == expected
    assert ingest._row_keys({c: frame[c].tolist() for c in frame.columns}) == expected
