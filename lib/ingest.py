"""Bring your own data: read, validate and import event files (CSV, XLSX, Parquet).

Two layouts are recognised from the header row:

* **Pistas' template** (`template_csv()` / `template_xlsx()`, documented in
  `data/templates/README.md`): the events columns of `lib.schema.EVENT_COLUMNS` plus
  `source_title`, `source_url`, `source_publisher`, `source_date`, so a row carries its
  citation (or a `source_id` already in the sources table). Headers may be Spanish or English,
  in any case, with or without accents (`fecha`, `región`, `cantidad`, `latitud`, `fuente`,
  `enlace`, ...; see `HEADER_ALIASES`). Required: a date, an event type and a source
  (`source_title` + `source_url`, or `source_id`). Without a `count` column every row counts 1.
* **ACLED's event export** (its 31 columns, recognised by `event_id_cnty` + `event_date`). Every
  row becomes one event of the type the caller chooses (`acled_event_type`, CLI
  `--acled-event-type`): `event_id_cnty` -> event_id, `event_date` -> date, admin1/admin2/admin3
  -> region/province/district, latitude/longitude -> lat/lon, `notes` (plus ACLED's event and
  sub-event type) -> notes, `source` -> a source titled "ACLED: <source>" whose URL is
  `acled_source_url` (default ACLED's site), count 1. ACLED's precision codes map as
      time_precision 1 (the day is known)          -> day
      time_precision 2 (only the week is known)     -> month (the month holding ACLED's date)
      time_precision 3 (only the month is known)    -> month
      geo_precision  1 (the town itself)            -> exact
      geo_precision  2 (near a town / part of one)  -> district
      geo_precision  3 (only a larger region)       -> region
  A week-precise event is stored as its month, not as a "period": the monthly charts then
  still count it, and nothing claims a day that ACLED did not know. Rows outside Peru
  (`country`) are rejected.

Values are read forgivingly and written canonically: region names fold case and accents
("HUANUCO" -> Huánuco); the area is inferred from the region when missing (the first area of
`lib.schema.AREA_REGIONS` holding it; "Nacional" when there is no region or it belongs to no
area); dates may be ISO (2015-01-31, or 2015-01 for a month), DD/MM/YYYY, "15 January 2020" /
"15 de enero de 2020", or Excel serial numbers (42005 -> 2015-01-01); decimal commas are read
("-12,5"). Imported rows are always `provenance = reported` and must cite a source. A row
without an event_id gets a stable id derived from its content (`imp-<hash>`), so importing the
same file twice adds nothing.

Limits, checked while a file is read and before its rows become Python objects (so a small
file that unpacks to a huge one is refused in well under a second): `MAX_BYTES` (50 MB as
uploaded), `MAX_ROWS` data rows, `MAX_COLUMNS` columns, `MAX_CELLS` rows x columns and
`MAX_UNPACKED_BYTES` of decoded text, workbook XML (the zip directory's declared sizes) or
Parquet column data (the footer's sizes, with its row and column counts checked before any row
is read). Each has its own message (reasons `too large`, `too many rows`, `too many columns`).
Text files must be UTF-8 (a BOM is fine); a file with no UTF-8 multi-byte sequence at all is
read as Windows-1252 with a note in the report's warnings, and a file that mixes UTF-8 with
other bytes is refused with the first line that is not UTF-8 (reason `not UTF-8`).

Validation returns an `IngestReport`: the valid rows (schema order + source columns), one
problem per bad cell (row as numbered in the file - the header is row 1 -, column as headed in
the file, the value, a reason and a sentence such as "row 7, column region: 'Atlantis' is not
one of Peru's 25 regions"), a count per reason, or a `fatal` message for a file that cannot be
read at all (too large, empty, unreadable, missing columns).

On disk (under `lib.paths.imported_dir()`, i.e. `$PISTAS_DATA_DIR/imported/`):

    events-<hash>.parquet    rows of one import, in lib.schema.EVENTS_SCHEMA
    sources-<hash>.parquet   the citations those rows carry (source_id, title, publisher, date, url)
    manifest.json            {"format": 1, "files": [active imports], "history": [earlier "files" lists]}

Every file is written to a temporary name and moved into place with `os.replace`. The manifest
in force is the one published with the current build (`imports.json` in its folder, see
`lib.build.committed_imports`): an import writes its files, then builds (`lib.build.build`, with
the current build's simulation settings) from the new manifest, and is done when the build's
`CURRENT` switch serves both; `manifest.json` here is a copy written just after. A process
killed at any step leaves the served data and the manifest in agreement, and a later plain
build publishes nothing an import did not finish. The previous data version and manifest are
kept, and `--rollback` restores both. Files no longer listed in `files` or `history` are
deleted. Imports, rollbacks and `python -m lib.build` hold one lock (`lib.build.imports_lock`).

CLI:
    python -m lib.ingest FILE [--append | --replace] [--dry-run] [--skip-invalid]
                         [--acled-event-type TYPE] [--acled-source-url URL] [--max-mb N]
    python -m lib.ingest --rollback
    python -m lib.ingest --write-template PATH.csv|PATH.xlsx

Nothing is written if any row is invalid, unless --skip-invalid: then the valid rows are
imported and the rejected ones written to FILE.rejects.csv (row, column, value, reason,
message) next to the input. --append (the default) adds to earlier imports; --replace
replaces every earlier import (never the sourced or simulated data).

Exit codes: 0 success (including "0 new rows"); 2 invalid input (the file cannot be read, a row
is invalid, nothing to roll back, bad arguments) - nothing was written; 3 internal failure (e.g.
the build failed) - the imported files and the data version are left as they were.

Imports no Streamlit (the Data page calls `load_upload`, `commit`, `rollback_import`) and no
DuckDB (SQL lives in queries/db/build).
"""

from __future__ import annotations

import argparse
import calendar
import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import math
import operator
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lib import build as build_mod
from lib import simulate
from lib.paths import built_dir, imported_dir, sourced_dir
from lib.safe_csv import safe_csv_bytes
from lib.schema import (
    AREA_REGIONS,
    AREAS,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    EVENTS_SCHEMA,
    GEO_PRECISIONS,
    PERU_BBOX,
    REGIONS,
    ROUTES,
    canonical_place,
    canonical_region,
    fold,
)

MAX_BYTES = (
    50 * 10**6
)  # the file as uploaded (compressed, for XLSX and Parquet): "50 MB" as the browser counts it
# What one file may unpack to, checked while reading (before the rows become Python objects):
# a few KB of Parquet or XLSX can hold millions of rows or a gigabyte of XML.
MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_CELLS = 8_000_000  # rows x header columns: bounds the memory a file's strings take
MAX_UNPACKED_BYTES = 256 * 10**6  # decoded CSV text, a workbook's XML, Parquet column data
ACLED_URL = "https://acleddata.com/"
EXIT_OK, EXIT_INVALID, EXIT_INTERNAL = 0, 2, 3
HISTORY = 2  # earlier import states kept for --rollback (the build keeps 3 versions)
SIMULATED_PREFIX = "sim-"
DERIVED_PREFIX = "imp-"
SOURCE_PREFIX = "imp-src-"
EXAMPLE_MARK = "EXAMPLE ROW"

SOURCE_COLUMNS: tuple[str, ...] = ("source_title", "source_url", "source_publisher", "source_date")
VALID_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, *SOURCE_COLUMNS)
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "column", "value", "reason", "message")
SOURCES_TABLE_COLUMNS: tuple[str, ...] = ("source_id", "title", "publisher", "date", "url")
VALID_SCHEMA = pa.schema([*EVENTS_SCHEMA, *(pa.field(c, pa.string()) for c in SOURCE_COLUMNS)])
EXTRA_COLUMN = "(extra values)"  # read_table puts values beyond the header's width here

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
ACLED_REQUIRED: tuple[str, ...] = ("event_date", "admin1", "source")
ACLED_TIME_PRECISION = {"1": "day", "2": "month", "3": "month"}
ACLED_GEO_PRECISION = {"1": "exact", "2": "district", "3": "region"}

# Reasons (the keys of IngestReport.counts). Fatal ones concern the whole file.
UNKNOWN_REGION = "unknown region"
UNKNOWN_AREA = "unknown area"
REGION_OUTSIDE_AREA = "region outside area"
FUTURE_DATE = "date in the future"
UNPARSEABLE_DATE = "unparseable date"
END_BEFORE_START = "date_end before date"
MISSING_VALUE = "missing value"
OUTSIDE_PERU = "coordinates outside Peru"
SWAPPED = "coordinates look swapped"
BAD_COORDINATE = "unparseable coordinate"
INCOMPLETE_COORDINATES = "incomplete coordinates"
NOT_POSITIVE = "negative or zero count"
NOT_INTEGER = "non-integer count"
DUPLICATE_ID = "duplicate event_id"
RESERVED_ID = "reserved event_id"
UNKNOWN_TYPE = "unknown event type"
UNKNOWN_ROUTE = "unknown route"
BAD_QUANTITY = "invalid quantity"
UNKNOWN_PRECISION = "unknown precision"
MISSING_SOURCE = "missing source"
UNKNOWN_SOURCE = "unknown source_id"
BAD_URL = "invalid source URL"
NOT_REPORTED = "not a reported row"
NOT_PERU = "not in Peru"
EXTRA_VALUES = "extra values"
# fatal
MISSING_COLUMN = "missing required column"
DUPLICATE_COLUMN = "duplicate column"
EMPTY_FILE = "empty file"
UNREADABLE = "unreadable file"
TOO_LARGE = "too large"
TOO_MANY_ROWS = "too many rows"
TOO_MANY_COLUMNS = "too many columns"
NOT_UTF8 = "not UTF-8"
ACLED_TYPE_NEEDED = "ACLED event type needed"
NOTHING_TO_ROLL_BACK = "nothing to roll back"
INVALID_ROWS = "invalid rows"

MISSING_SOURCE_TEXT = (
    "missing source: every imported row needs source_title and source_url, or a known source_id"
)

# Header names, folded (lower case, no accents, non-alphanumerics as "_"), per schema column.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "event_id": ("event_id", "id", "id_evento", "evento_id", "codigo"),
    "date": ("date", "fecha", "fecha_inicio", "start_date", "date_start", "event_date"),
    "date_end": ("date_end", "fecha_fin", "end_date", "fecha_final", "fecha_termino"),
    "date_precision": ("date_precision", "precision_fecha", "precision_de_fecha"),
    "area": ("area", "ambito", "zona", "area_de_analisis"),
    "region": ("region", "departamento", "department", "admin1"),
    "province": ("province", "provincia", "admin2"),
    "district": ("district", "distrito", "admin3"),
    "lat": ("lat", "latitude", "latitud"),
    "lon": ("lon", "lng", "long", "longitude", "longitud"),
    "event_type": ("event_type", "type", "tipo", "tipo_evento", "tipo_de_evento", "evento"),
    "count": ("count", "cantidad", "numero", "n", "conteo"),
    "route": ("route", "ruta", "via"),
    "quantity_kg": ("quantity_kg", "kg", "cantidad_kg", "peso_kg", "kilos", "kilogramos"),
    "airstrip_id": ("airstrip_id", "pista", "pista_id", "id_pista", "airstrip"),
    "geo_precision": ("geo_precision", "precision_geo", "precision_geografica", "precision_de_ubicacion"),
    "provenance": ("provenance", "procedencia"),
    "source_id": ("source_id", "id_fuente", "fuente_id"),
    "notes": ("notes", "notas", "nota", "note", "observaciones", "comentarios"),
    "source_title": ("source_title", "fuente", "titulo_fuente", "titulo_de_la_fuente", "source"),
    "source_url": ("source_url", "url", "enlace", "link", "url_fuente", "enlace_fuente"),
    "source_publisher": ("source_publisher", "publisher", "editor", "medio", "fuente_medio"),
    "source_date": ("source_date", "fecha_fuente", "fecha_publicacion", "fecha_de_publicacion"),
}
_HEADER_BY_ALIAS: dict[str, str] = {a: col for col, aliases in HEADER_ALIASES.items() for a in aliases}
# Columns Pistas' own exports add (lib.export): read back without a warning, and not used.
EXPORT_COLUMNS: frozenset[str] = frozenset({"data_version", "view_link", "year"})

_EVENT_TYPE_ALIASES: dict[str, str] = {
    **{t: t for t in EVENT_TYPES},
    "pista_destruida": "airstrip_destroyed",
    "destruccion_de_pista": "airstrip_destroyed",
    "pista_inhabilitada": "airstrip_destroyed",
    "pista_detectada": "airstrip_detected",
    "deteccion_de_pista": "airstrip_detected",
    "pista_reconstruida": "airstrip_rebuilt",
    "pista_rehabilitada": "airstrip_rebuilt",
    "vuelo_detectado": "flight_detected",
    "aeronave_interceptada": "aircraft_interdicted",
    "aeronave_interdicta": "aircraft_interdicted",
    "interdiccion": "aircraft_interdicted",
    "incautacion": "seizure",
    "decomiso": "seizure",
}
_ROUTE_ALIASES: dict[str, str] = {
    **{r: r for r in ROUTES},
    "aire": "air",
    "aerea": "air",
    "aereo": "air",
    "aerial": "air",
    "tierra": "land",
    "terrestre": "land",
    "rio": "river",
    "fluvial": "river",
    "mar": "sea",
    "maritima": "sea",
    "maritimo": "sea",
}
_DATE_PRECISION_ALIASES = {
    **{p: p for p in DATE_PRECISIONS},
    "dia": "day",
    "mes": "month",
    "periodo": "period",
}
_GEO_PRECISION_ALIASES = {
    **{p: p for p in GEO_PRECISIONS},
    "exacta": "exact",
    "exacto": "exact",
    "distrito": "district",
    "provincia": "province",
    "departamento": "region",
}
_REGION_ALIASES = {  # names other datasets (ACLED, INEI) use for a region
    "lima_province": "Lima",
    "lima_region": "Lima",
    "lima_metropolitana": "Lima",
    "provincia_de_lima": "Lima",
    "provincia_constitucional_del_callao": "Callao",
    "el_callao": "Callao",
}
_AREA_ALIASES = {"national": "Nacional", "peru": "Nacional", "todo_el_pais": "Nacional"}
_MONTHS = {
    "january": 1,
    "jan": 1,
    "enero": 1,
    "ene": 1,
    "february": 2,
    "feb": 2,
    "febrero": 2,
    "march": 3,
    "mar": 3,
    "marzo": 3,
    "april": 4,
    "apr": 4,
    "abril": 4,
    "abr": 4,
    "may": 5,
    "mayo": 5,
    "june": 6,
    "jun": 6,
    "junio": 6,
    "july": 7,
    "jul": 7,
    "julio": 7,
    "august": 8,
    "aug": 8,
    "agosto": 8,
    "ago": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "septiembre": 9,
    "setiembre": 9,
    "set": 9,
    "october": 10,
    "oct": 10,
    "octubre": 10,
    "november": 11,
    "nov": 11,
    "noviembre": 11,
    "december": 12,
    "dec": 12,
    "diciembre": 12,
    "dic": 12,
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 date system (serial 1 = 1900-01-01, with its leap bug)


class IngestError(Exception):
    """A file or request that cannot be imported; `str(exc)` says what and how to fix it."""

    def __init__(self, message: str, reason: str = UNREADABLE):
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True, eq=False)
class IngestReport:
    """What validation found. `valid` holds the rows that can be imported now.

    rows_read: data rows in the file (blank rows not counted).
    valid: rows without problems that are not already in the data, in VALID_COLUMNS order
        (lib.schema.EVENT_COLUMNS, then source_title, source_url, source_publisher,
        source_date), indexed by their row number in the file.
    problems: one row per problem: row (file row, header = 1), column (as headed in the file;
        "" for the whole row), value, reason (one of the reason constants), message (a sentence).
    counts: problems per reason (for a fatal error: {reason: 1}).
    fatal: why nothing in the file could be read, or None.
    format: "pistas" (the template and its Spanish/English variants) or "acled".
    already_imported: rows skipped because the same event is already in the data.
    warnings: things worth knowing that do not block the import.
    """

    rows_read: int
    valid: pd.DataFrame
    problems: pd.DataFrame
    counts: dict[str, int]
    fatal: str | None = None
    format: Literal["pistas", "acled"] = "pistas"
    already_imported: int = 0
    warnings: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    filename: str = ""
    fatal_reason: str | None = None
    mode: Literal["append", "replace"] = "append"  # what the rows were checked against

    @property
    def ok(self) -> bool:
        """True when the whole file can be imported (no fatal error, no problem)."""
        return self.fatal is None and self.problems.empty

    @property
    def invalid_rows(self) -> int:
        return int(self.problems["row"].dropna().nunique()) if not self.problems.empty else 0

    def messages(self, limit: int | None = None) -> list[str]:
        """The fatal message, or one sentence per problem (the first `limit`)."""
        if self.fatal:
            return [self.fatal]
        msgs = self.problems["message"].tolist()
        return msgs if limit is None else msgs[:limit]

    def summary(self) -> str:
        """One paragraph: what was read, how many rows are valid, problems per reason."""
        name = f"{self.filename}: " if self.filename else ""
        if self.fatal:
            return f"{name}{self.fatal}"
        kind = "ACLED export" if self.format == "acled" else "Pistas table"
        text = (
            f"{name}{kind}, {self.rows_read} rows read: {len(self.valid)} new and valid, "
            f"{self.invalid_rows} invalid, {self.already_imported} already in the data."
        )
        if self.counts:
            text += " Problems: " + ", ".join(f"{r} {n}" for r, n in self.counts.items()) + "."
        return text


@dataclass(frozen=True)
class ImportResult:
    """What `commit` changed."""

    new_rows: int
    removed_rows: int
    data_version: str
    previous_version: str | None
    changed: bool
    events_file: Path | None = None

    def summary(self) -> str:
        if not self.changed:
            return f"0 new rows: the data is unchanged (data version {self.data_version})."
        removed = f", {self.removed_rows} earlier imported rows removed" if self.removed_rows else ""
        return (
            f"{self.new_rows} new rows{removed}; data version {self.data_version} "
            f"(was {self.previous_version or 'none'}; `python -m lib.ingest --rollback` restores it)."
        )


# ---------------------------------------------------------------------------------------------
# Reading: bytes -> a table of strings, indexed by the row number in the file
# ---------------------------------------------------------------------------------------------


def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_cells: int | None = None,
    max_unpacked: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> pd.DataFrame:
    """The file as a table of stripped strings ("" for empty), one column per header cell.

    The index (named "row") is each row's number in the file, the header being row 1 (for
    Parquet, which has no header row, the first record is row 2). Blank rows are left out.
    Values beyond the header's width go to a column named EXTRA_COLUMN.
    Limits (default: the module's MAX_* constants) are checked while reading, before the rows
    become Python objects, so a small file that unpacks to a huge one costs little to refuse.
    `frame.attrs["warnings"]` holds notes on how the file was read (e.g. its encoding).
    `progress(fraction)`, if given, hears how far a workbook's sheet has been read (the slow case).
    Raises IngestError (reason: too large, too many rows/columns, empty file, unreadable file,
    not UTF-8, duplicate column).
    """
    limits = _Limits(
        rows=MAX_ROWS if max_rows is None else max_rows,
        columns=MAX_COLUMNS if max_columns is None else max_columns,
        cells=MAX_CELLS if max_cells is None else max_cells,
        unpacked=MAX_UNPACKED_BYTES if max_unpacked is None else max_unpacked,
        filename=filename,
    )
    if len(data) > max_bytes:
        raise _too_large(filename, len(data), max_bytes)
    if not data.strip():
        raise IngestError(f"empty file: {filename!r} has no header and no rows", EMPTY_FILE)
    kind = _kind(data, filename)
    warnings: list[str] = []
    if kind == "xlsx":
        frame = _records_frame(_xlsx_records(data, filename, limits, progress), filename, limits)
    elif kind == "parquet":
        frame = _parquet_frame(data, filename, limits)
    else:
        text = _decode(data, filename, warnings)
        frame = _plain_csv_frame(text, filename, limits)
        if frame is None:
            frame = _records_frame(_csv_records(text, filename, limits), filename, limits)
    frame.attrs["warnings"] = warnings
    return frame


@dataclass(frozen=True)
class _Limits:
    """What one read may hold; every reader stops as soon as one is passed."""

    rows: int
    columns: int
    cells: int
    unpacked: int
    filename: str

    def check_width(self, width: int, row: int) -> None:
        if width > self.columns:
            raise IngestError(
                f"too many columns: row {row} of {self.filename!r} has {width:,} columns; the limit is "
                f"{self.columns:,}",
                TOO_MANY_COLUMNS,
            )

    def check_rows(self, rows: int, width: int, *, exact: bool = False) -> None:
        """rows: data rows read so far (or in all, when `exact`); width: the header's."""
        has = f"has {rows:,}" if exact else f"has more than {self.rows:,}"
        if rows > self.rows:
            raise IngestError(
                f"too many rows: {self.filename!r} {has} data rows; the limit is {self.rows:,} "
                "(split it into smaller files)",
                TOO_MANY_ROWS,
            )
        if rows * width > self.cells:
            raise IngestError(
                f"too large: {self.filename!r} has {'' if exact else 'more than '}{rows * width if exact else self.cells:,} cells "
                f"({width} columns); the limit is {self.cells:,} cells (split it, or drop unused columns)",
                TOO_LARGE,
            )

    def check_unpacked(self, size: int, what: str) -> None:
        if size > self.unpacked:
            raise IngestError(
                f"too large: {self.filename!r} unpacks to {_size(size)} of {what}; the limit is {_size(self.unpacked)}",
                TOO_LARGE,
            )


def _too_large(filename: str, size: int, max_bytes: int) -> IngestError:
    return IngestError(
        f"too large: {filename!r} is {_size(size)}; the limit is {_size(max_bytes)}", TOO_LARGE
    )


def _size(n: int) -> str:
    """Sizes in decimal units, as browsers and file managers show them (50 MB = 50,000,000 bytes)."""
    if n >= 10**9:
        return f"{n / 10**9:.1f} GB"
    if n >= 10**6:
        return f"{n / 10**6:.1f} MB"
    if n >= 1000:
        return f"{n / 1000:.1f} KB"
    return f"{n} bytes"


def _not_a_table(filename: str) -> IngestError:
    return IngestError(f"unreadable file: {filename!r} is not CSV, XLSX or Parquet", UNREADABLE)


def _kind(data: bytes, filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:4] == b"PAR1":
        return "parquet"
    if ext in (".xlsx", ".xlsm"):
        raise IngestError(f"unreadable file: {filename!r} is not a readable XLSX workbook", UNREADABLE)
    if ext == ".parquet":
        raise IngestError(f"unreadable file: {filename!r} is not a readable Parquet file", UNREADABLE)
    if ext == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise IngestError(
            f"unreadable file: {filename!r} is an Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV",
            UNREADABLE,
        )
    if ext not in ("", ".csv", ".txt", ".tsv"):
        raise _not_a_table(filename)
    return "csv"


# A well-formed UTF-8 sequence of two to four bytes (RFC 3629). A file holding one was written
# as UTF-8, so an invalid byte elsewhere is damage to report, not a sign of another encoding.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
CP1252_NOTE = (
    "read as Windows-1252 (Latin-1): the file is not UTF-8; save it as UTF-8 to be sure accents read right"
)


def _decode(data: bytes, filename: str, warnings: list[str] | None = None) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(
                f"unreadable file: {filename!r} starts with a UTF-8 mark but is not UTF-8 text", UNREADABLE
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_table(filename) from None
    if b"\x00" in data[:8192]:
        raise _not_a_table(filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(data):
            raise _mixed_encoding(data, exc.start, filename) from None
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows in Spanish
        if "\ufffd" in text:  # the five bytes cp1252 leaves undefined: Latin-1 reads them all
            text = data.decode("latin-1")
        if warnings is not None:
            warnings.append(CP1252_NOTE)
    head = text[:8192]
    controls = sum(1 for c in head if ord(c) < 32 and c not in "\t\r\n")
    if controls > max(2, len(head) // 100):
        raise _not_a_table(filename)
    return text


def _mixed_encoding(data: bytes, at: int, filename: str) -> IngestError:
    """The first line holding a byte that is not UTF-8, shown with that byte escaped."""
    line = data.count(b"\n", 0, at) + 1
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    shown = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
    if len(shown) > 80:  # the bytes around the bad one are what helps find it
        offset = at - start
        shown = shown[max(0, offset - 30) : offset + 30]
    text = shown.decode("utf-8", errors="backslashreplace")
    return IngestError(
        f"not UTF-8: line {line} of {filename!r} has bytes that are not UTF-8: {text!r}; save the file as UTF-8",
        NOT_UTF8,
    )


def _delimiter(text: str) -> str:
    first = next((line for line in text[: 2**20].splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


Records = Iterator[tuple[int, list[str]]]


def _csv_records(text: str, filename: str, limits: _Limits) -> Records:
    limits.check_unpacked(len(text), "text")
    csv.field_size_limit(16 * 2**20)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if _padded_cells(text, delimiter):
            strip = str.strip
            for i, row in enumerate(reader, start=1):
                yield i, list(map(strip, row))
        else:  # no cell starts or ends with white space: nothing to strip...
            last = None
            for item in enumerate(reader, start=1):
                if last is not None:
                    yield last
                last = item
            if last is not None:  # ...but an unclosed quote runs to the end of the text, line breaks and all
                yield last[0], list(map(str.strip, last[1]))
    except csv.Error as exc:
        raise IngestError(f"unreadable file: {filename!r} is not valid CSV ({exc})", UNREADABLE) from None


# What str.strip strips: "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
_PYTHON_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_PADDED = "^[{0}]|[{0}]$".format(re.escape(_PYTHON_SPACE))


def _plain_csv_frame(text: str, filename: str, limits: _Limits) -> pd.DataFrame | None:
    """A CSV without quotes, blank lines or ragged rows, read by pyarrow column-wise (fast).

    None for any other file: the csv module reads it row by row (`_csv_records`). Without
    quotes every line is one record, so rows are numbered as the csv module numbers them.
    """
    import pyarrow.csv as pcsv

    blank_line = text[:1] in ("\r", "\n") or any(b in text for b in ("\n\n", "\n\r\n", "\r\r"))
    if '"' in text or blank_line or not text.strip():
        return None
    limits.check_unpacked(len(text), "text")
    delimiter = _delimiter(text)
    first = re.split(r"\r\n|\r|\n", text[: 2**20], maxsplit=1)[0]
    width = first.count(delimiter) + 1
    if width > limits.columns:  # let the row reader trim and judge a header of empty cells
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[], strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, ValueError):  # ragged rows and the like: the row reader says which
        return None
    if table.num_rows - 1 > min(limits.rows, limits.cells // width):
        return None  # over a limit, or blank rows make it fit: the row reader stops at the limit exactly
    header, body = [], []
    for column in table.columns:
        padded = pc.any(pc.match_substring_regex(column, _PADDED)).as_py()
        header.append(column[0].as_py().strip())
        values = column.slice(1).to_pylist()
        body.append([v.strip() for v in values] if padded else values)
    trimmed = _trimmed(header)
    if any(any(c) for c in body[len(trimmed) :]):  # values beyond the header: the row reader reports them
        return None
    body = body[: len(trimmed)]
    numbers = list(range(2, table.num_rows + 1))
    # A blank row (empty cells only) starts with an empty cell: look at those rows alone.
    maybe = [i for i, v in enumerate(body[0]) if not v] if body and "" in body[0] else []
    blank = {i for i in maybe if not any(c[i] for c in body)}
    if blank:
        keep = [i for i in range(len(numbers)) if i not in blank]
        numbers = [numbers[i] for i in keep]
        body = [[c[i] for i in keep] for c in body]
    if not any(trimmed):
        return None
    limits.check_rows(len(numbers), len(trimmed), exact=True)
    return _frame(trimmed, body, numbers, [], filename)


def _padded_cells(text: str, delimiter: str) -> bool:
    """Whether a cell may start or end with white space (one regex pass, not a strip per cell).

    A cell starts at the start of the text, after the delimiter, a line break or an opening
    quote, and ends before one of those: white space there is all str.strip would remove. A
    false alarm (a quoted line break) only costs the per-cell strip.
    """
    d = re.escape(delimiter)
    return re.search(rf'(?:^|[{d}\r\n])[^\S\r\n]|[^\S\r\n](?:$|[{d}\r\n])|"\s|\s"', text) is not None


def _xlsx_error(filename: str) -> IngestError:
    return IngestError(f"unreadable file: {filename!r} is not a readable XLSX workbook", UNREADABLE)


def _xlsx_unpacked_size(data: bytes, filename: str) -> int:
    """The XML a workbook unpacks to, as its zip directory declares it.

    zipfile never yields more than an entry's declared size (it stops there and checks the
    CRC), so the declared sizes bound what openpyxl can be made to parse.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return sum(i.file_size for i in zf.infolist() if i.filename.lower().endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _xlsx_error(filename) from None


def _xlsx_records(
    data: bytes, filename: str, limits: _Limits, progress: Callable[[float], None] | None = None
) -> Records:
    """The first worksheet's rows, streamed by openpyxl's sheet parser, each checked for width.

    Not `load_workbook(read_only=True)`: its worksheet scans the whole sheet XML for a
    <dimension> element before the first row when the sheet has none (a hostile sheet need
    not), and pads every row to the width that element claims (up to 16,384 cells).
    """
    limits.check_unpacked(_xlsx_unpacked_size(data, filename), "XML")
    try:
        reader, path = _xlsx_first_sheet(data)
        with reader.archive, reader.archive.open(path) as source:
            size = reader.archive.getinfo(path).file_size or 1
            for i, record in enumerate(_xlsx_sheet_rows(reader, source, limits)):
                if progress is not None and i % 5000 == 0:
                    progress(min(1.0, source.tell() / size))  # XML read so far, of the sheet's size
                yield record
    except IngestError:
        raise
    except Exception:  # zipfile, XML and KeyError alike: the file is not a workbook
        raise _xlsx_error(filename) from None


def _xlsx_first_sheet(data: bytes):
    """openpyxl's reader with the workbook, strings and styles read; the first worksheet's path."""
    from openpyxl.reader.excel import ExcelReader  # lazily: only XLSX uploads pay for openpyxl
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)  # number formats tell dates from numbers
    for _sheet, rel in reader.parser.find_sheets():  # the order load_workbook's worksheets[0] uses
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return reader, rel.target
    raise KeyError("no worksheet")


def _xlsx_sheet_rows(reader, source, limits: _Limits) -> Records:
    """Rows as openpyxl's parser yields them; a value past the column limit is refused, not dropped."""
    wb = reader.wb
    parser = _inline_string_parser()(
        source,
        reader.shared_strings,
        data_only=True,
        epoch=wb.epoch,
        date_formats=wb._date_formats,
        timedelta_formats=wb._timedelta_formats,
    )
    for number, cells in parser.parse():  # rows missing from the XML are blank: never yielded
        texts = {c["column"]: _cell_text(c["value"]) for c in cells if c["value"] is not None}
        width = max((column for column, text in texts.items() if text), default=0)
        limits.check_width(width, number)  # before the row's list: a cell may claim column XFD
        row = [""] * width
        for column, text in texts.items():
            if column <= width:
                row[column - 1] = text
        yield number, row


@functools.cache
def _inline_string_parser():
    """openpyxl's sheet parser, with inline-string cells read straight from the XML.

    Workbooks written by openpyxl (and pandas' `to_excel`) hold every text cell inline; openpyxl
    builds a rich-text object per such cell (about half of a 100k-row sheet's 11 s). The text is
    the same: the plain run, then each formatted run's text, phonetic runs left out (Text.content).
    """
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.worksheet._reader import INLINE_STRING, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    text_tag, run_tag = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            if element.get("t") != "inlineStr":
                return super().parse_cell(element)
            coordinate = element.get("r")
            if coordinate:
                row, column = coordinate_to_tuple(coordinate)
                self.col_counter = column
            else:
                self.col_counter += 1
                row, column = self.row_counter, self.col_counter
            value, child = None, element.find(INLINE_STRING)
            if child is not None:
                parts = []
                for part in child:
                    if part.tag == text_tag:
                        parts.append(part.text or "")
                    elif part.tag == run_tag and (t := part.find(text_tag)) is not None:
                        parts.append(t.text or "")
                value = "".join(parts)
            style = element.get("s", 0)
            style = int(style) if style else style  # as openpyxl reads it
            return {"row": row, "column": column, "value": value, "data_type": "s", "style_id": style}

    return Parser


def _parquet_frame(data: bytes, filename: str, limits: _Limits) -> pd.DataFrame:
    """Parquet: the footer's row and column counts are checked before any row is read."""
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        meta = parquet.metadata
        names = list(parquet.schema_arrow.names)
    except Exception:
        raise IngestError(
            f"unreadable file: {filename!r} is not a readable Parquet file", UNREADABLE
        ) from None
    limits.check_width(len(names), 1)
    limits.check_rows(meta.num_rows, len(names), exact=True)
    limits.check_unpacked(
        sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)), "column data"
    )
    try:
        table = parquet.read()
    except Exception:
        raise IngestError(
            f"unreadable file: {filename!r} is not a readable Parquet file", UNREADABLE
        ) from None
    columns = [_arrow_texts(table.column(i)) for i in range(table.num_columns)]
    rows = list(range(2, table.num_rows + 2))
    return _frame(names, columns, rows, [], filename)


def _arrow_texts(column: pa.ChunkedArray) -> list[str]:
    """A Parquet column as stripped text, column-wise: each distinct value is formatted once."""

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pc.utf8_trim_whitespace(column).fill_null("").to_pylist()
    distinct = pc.unique(column)
    texts = pa.array([_cell_text(v) for v in distinct.to_pylist()], pa.string())
    return texts.take(pc.index_in(column, value_set=distinct)).fill_null("").to_pylist()


def _cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _trimmed(row: list[str]) -> list[str]:
    """The row without its trailing empty cells (linear: one slice, not one per cell)."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end] if end < len(row) else row


def _records_frame(records: Records, filename: str, limits: _Limits) -> pd.DataFrame:
    """Rows streamed in, checked against the limits as they arrive, then turned into columns.

    Rows as wide as the header (nearly all) are kept as they are and transposed at the end in
    C (zip); only ragged rows are trimmed, padded and have their extra values split off.
    """
    header: list[str] | None = None
    width = cap = 0
    body: list[list[str]] = []
    numbers: list[int] = []
    extra: dict[int, str] = {}
    for n, row in records:
        if not any(row):
            continue
        if header is None:
            header = _trimmed(row)
            width = len(header)
            limits.check_width(width, n)
            cap = min(limits.rows, limits.cells // width)  # past it, check_rows says which limit
            continue
        if len(row) != width:
            row = _trimmed(row)
            limits.check_width(len(row), n)
            if len(row) > width and (beyond := " | ".join(v for v in row[width:] if v)):
                extra[len(body)] = beyond
            row = row[:width] if len(row) > width else row + [""] * (width - len(row))
        body.append(row)
        numbers.append(n)
        if len(body) > cap:
            limits.check_rows(len(body), width)
    if header is None:
        raise IngestError(f"empty file: {filename!r} has no header and no rows", EMPTY_FILE)
    columns = [list(c) for c in zip(*body, strict=True)] if body else [[] for _ in range(width)]
    del body  # the rows' lists: the columns hold the same strings
    extras = [extra.get(i, "") for i in range(len(numbers))] if extra else []
    return _frame(header, columns, numbers, extras, filename)


def _frame(
    header: list[str], columns: list[list[str]], rows: list[int], extra: list[str], filename: str
) -> pd.DataFrame:
    names = [h or f"(column {i + 1})" for i, h in enumerate(header)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise IngestError(f"duplicate column: {name!r} appears twice in the header", DUPLICATE_COLUMN)
        seen.add(name)
    if not rows:
        raise IngestError(f"empty file: {filename!r} has a header but no data rows", EMPTY_FILE)
    index = pd.Index(rows, name="row")
    kept = {}
    for name, values in zip(names, columns, strict=True):
        # A header cell left empty over an empty column is a spreadsheet artefact, not data.
        if name.startswith("(column ") and not any(values):
            continue
        kept[name] = pd.Series(values, index=index, dtype=object)
    frame = pd.DataFrame(kept, index=index)
    if any(extra):
        frame[EXTRA_COLUMN] = pd.Series(extra, index=index, dtype=object)
    return frame


# ---------------------------------------------------------------------------------------------
# Parsing single values
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # a file repeats the same few names and dates
def _token(text: str) -> str:
    """'Cantidad (kg)' -> 'cantidad_kg'; 'Pista destruida' -> 'pista_destruida'."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


_URL_RE = re.compile(r"https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)
_NUM_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _number(text: str) -> float | None:
    t = text.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if "," in t:
        if "." in t:  # 1.234,5 (Spanish) or 1,234.5 (English)
            t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
        elif re.fullmatch(r"[+-]?\d*,\d+", t):  # a decimal comma
            t = t.replace(",", ".")
        else:
            return None
    if not _NUM_RE.fullmatch(t):
        return None
    value = float(t)
    return value if math.isfinite(value) else None


@functools.lru_cache(maxsize=8192)  # a file repeats the same few names and dates
def _parse_date(text: str) -> tuple[dt.date, bool] | None:
    """(date, is_whole_month) or None. Accepts ISO, YYYY-MM, DD/MM/YYYY, month names, Excel serials."""
    t = fold(text)
    try:
        if m := re.fullmatch(
            r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?",
            t,
        ):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), False
        if m := re.fullmatch(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", t):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), False
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?", t):
            return dt.date(int(m[3]), int(m[2]), int(m[1])), False
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
            return dt.date(int(m[1]), int(m[2]), 1), True
        if m := re.fullmatch(r"(\d{5})(?:\.\d+)?", t):
            return _EXCEL_EPOCH + dt.timedelta(days=int(m[1])), False
        if m := re.fullmatch(r"(\d{1,2})(?:\s+de)?[\s-]+([a-z]+)\.?(?:\s+de(?:l)?)?[\s,-]+(\d{4})", t):
            if m[2] in _MONTHS:
                return dt.date(int(m[3]), _MONTHS[m[2]], int(m[1])), False
        if m := re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", t):
            if m[1] in _MONTHS:
                return dt.date(int(m[3]), _MONTHS[m[1]], int(m[2])), False
    except ValueError:  # 2015-02-30, month 13, ...
        return None
    return None


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@functools.lru_cache(maxsize=8192)  # a file repeats the same few names and dates
def _region(text: str) -> str | None:
    found = canonical_region(text)
    if found:
        return found
    token = _token(text)
    if token in _REGION_ALIASES:
        return _REGION_ALIASES[token]
    for prefix in ("departamento_de_", "region_", "departamento_"):
        if token.startswith(prefix):
            return canonical_region(token[len(prefix) :].replace("_", " "))
    return None


@functools.lru_cache(maxsize=8192)  # a file repeats the same few names and dates
def _area(text: str) -> str | None:
    found = canonical_place(text)
    if found in AREAS:
        return found
    return _AREA_ALIASES.get(_token(text))


def _area_for_region(region: str | None) -> str:
    if region:
        for area, regions in AREA_REGIONS.items():
            if region in regions:
                return area
    return "Nacional"


def _normal_value(value: object) -> str:
    """A value as text for comparing rows across files and types."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _row_key(values: Mapping[str, object]) -> str:
    """The content of an event (every schema column but event_id) as one string."""
    return "\x1f".join(_normal_value(values.get(c)) for c in EVENT_COLUMNS if c != "event_id")


_FLOAT_COLUMNS = frozenset({"lat", "lon", "quantity_kg"})
_TEXT_COLUMNS = frozenset(c for c in EVENT_COLUMNS if c not in _FLOAT_COLUMNS | {"date", "date_end", "count"})


def _row_keys(columns: pd.DataFrame | Mapping[str, list], *, text_is_str: bool = False) -> list[str]:
    """`_row_key` of every row of a frame (or of columns by name), built column by column.

    text_is_str: the text columns hold only str or None (validate's own columns), so they
    need no formatting.

    Each distinct value is formatted once (pd.factorize), floats directly (factorize would fold
    -0.0 into 0.0): the same strings as `_row_key`, which derived event_ids depend on.
    """
    parts = []
    for column in EVENT_COLUMNS:
        if column == "event_id":
            continue
        values = columns[column]
        if text_is_str and column in _TEXT_COLUMNS:
            parts.append([v or "" for v in values])
            continue
        values = values.tolist() if isinstance(values, pd.Series) else values
        if column in _FLOAT_COLUMNS:
            parts.append(["" if v is None or v != v else repr(v) for v in values])
            continue
        codes, distinct = pd.factorize(pd.Series(values, dtype=object))
        texts = np.array([_normal_value(v) for v in distinct] + [""], dtype=object)  # code -1: missing
        parts.append(texts[codes].tolist())
    return ["\x1f".join(t) for t in zip(*parts, strict=True)]


def _digest(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Problems:
    rows: list[dict] = field(default_factory=list)

    def add(self, row: int | None, column: str, value: str, reason: str, text: str) -> None:
        where = f"row {row}" if row is not None else "file"
        where += f", column {column}" if column else ""
        self.rows.append(
            {"row": row, "column": column, "value": value, "reason": reason, "message": f"{where}: {text}"}
        )

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=list(PROBLEM_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame


def _empty_valid() -> pd.DataFrame:
    frame = VALID_SCHEMA.empty_table().to_pandas()
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame


def _fatal_report(
    message: str, reason: str, filename: str = "", fmt: str = "pistas", rows_read: int = 0
) -> IngestReport:
    return IngestReport(
        rows_read=rows_read,
        valid=_empty_valid(),
        problems=_Problems().frame(),
        counts={reason: 1},
        fatal=message,
        format=fmt,
        filename=filename,
        fatal_reason=reason,  # type: ignore[arg-type]
    )


def _acled_cells(
    raw: pd.DataFrame, header: dict[str, str], event_type: str, source_url: str
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """ACLED columns mapped onto the template's columns (values still text)."""

    def col(name: str) -> list[str]:
        return list(raw[header[name]]) if name in header else [""] * len(raw)

    n = len(raw)
    tp = [ACLED_TIME_PRECISION.get(v.split(".")[0], f"?{v}") if v else "" for v in col("time_precision")]
    gp = [ACLED_GEO_PRECISION.get(v.split(".")[0], f"?{v}") if v else "" for v in col("geo_precision")]
    notes = []
    for text, kind, sub, place in zip(
        col("notes"), col("event_type"), col("sub_event_type"), col("location"), strict=True
    ):
        tag = " / ".join(x for x in (kind, sub) if x)
        tag = f"ACLED: {tag}" + (f"; {place}" if place else "") if tag or place else ""
        notes.append(f"{text} [{tag}]".strip() if tag else text)
    cells = {
        "event_id": col("event_id_cnty"),
        "date": col("event_date"),
        "date_precision": tp,
        "region": col("admin1"),
        "province": col("admin2"),
        "district": col("admin3"),
        "lat": col("latitude"),
        "lon": col("longitude"),
        "event_type": [event_type] * n,
        "count": ["1"] * n,
        "geo_precision": gp,
        "notes": notes,
        "source_title": [f"ACLED: {s}" if s else "" for s in col("source")],
        "source_url": [source_url] * n,
        "source_publisher": ["ACLED"] * n,
        "country": col("country"),
    }
    names = {
        "event_id": "event_id_cnty",
        "date": "event_date",
        "date_precision": "time_precision",
        "region": "admin1",
        "province": "admin2",
        "district": "admin3",
        "lat": "latitude",
        "lon": "longitude",
        "geo_precision": "geo_precision",
        "notes": "notes",
        "source_title": "source",
        "country": "country",
        "event_type": "--acled-event-type",
        "source_url": "--acled-source-url",
    }
    return cells, {k: header.get(v, v) for k, v in names.items()}


def validate(
    raw: pd.DataFrame,
    *,
    acled_event_type: str | None = None,
    acled_source_url: str = ACLED_URL,
    known_source_ids: frozenset[str] = frozenset(),
    today: dt.date | None = None,
    existing_events: pd.DataFrame | None = None,
    filename: str = "",
) -> IngestReport:
    """Check every row of a table read by `read_table`; return what can be imported and why not.

    raw: strings, indexed by file row number (index named "row"); any other index is taken
        as 0-based positions (row = position + 2).
    acled_event_type: the event type ACLED rows become (needed only for an ACLED export).
    acled_source_url: the URL cited by ACLED rows.
    known_source_ids: source_ids rows may cite without a title and URL (the sources table).
    today: dates after it are rejected (default: the local date).
    existing_events: events already in the data (schema columns; an optional `origin` column,
        "sourced" or "imported"): a row equal to one of them is skipped as already imported, a
        different row with the same event_id is a "duplicate event_id" problem.
    """
    today = today or dt.date.today()
    # A frame made by hand may hold numbers, dates or NaN: read them as text (read_table's are).
    untyped = [c for c in raw.columns if pd.api.types.infer_dtype(raw[c], skipna=False) != "string"]
    if untyped:
        raw = raw.copy()
        for col in untyped:
            raw[col] = [x.strip() if isinstance(x, str) else _cell_text(x) for x in raw[col]]
    rows = [int(r) for r in raw.index] if raw.index.name == "row" else [i + 2 for i in range(len(raw))]
    folded: dict[str, str] = {}
    for col in raw.columns:
        if col == EXTRA_COLUMN:
            continue
        token = _token(str(col))
        if token in folded:  # "Región" and "region": one column twice
            return _fatal_report(
                f"duplicate column: {folded[token]!r} and {str(col)!r} both mean {_HEADER_BY_ALIAS.get(token, token)}",
                DUPLICATE_COLUMN,
                filename,
                "pistas",
                len(raw),
            )
        folded[token] = str(col)
    fmt: Literal["pistas", "acled"] = "acled" if {"event_id_cnty", "event_date"} <= set(folded) else "pistas"
    warnings: list[str] = []
    ignored: list[str] = []

    if fmt == "acled":
        missing = [c for c in ACLED_REQUIRED if c not in folded]
        if missing:
            return _fatal_report(_missing_columns_text(missing, raw), MISSING_COLUMN, filename, fmt, len(raw))
        if not acled_event_type:
            return _fatal_report(
                "ACLED export: choose the event type its rows become (one of " + ", ".join(EVENT_TYPES) + ")",
                ACLED_TYPE_NEEDED,
                filename,
                fmt,
                len(raw),
            )
        chosen = _EVENT_TYPE_ALIASES.get(_token(acled_event_type))
        if chosen is None:
            return _fatal_report(
                f"unknown event type: {acled_event_type!r} is not one of " + ", ".join(EVENT_TYPES),
                UNKNOWN_TYPE,
                filename,
                fmt,
                len(raw),
            )
        if not _URL_RE.match(acled_source_url):
            return _fatal_report(
                f"invalid source URL: {acled_source_url!r} is not a web address (http:// or https://)",
                BAD_URL,
                filename,
                fmt,
                len(raw),
            )
        cells, colname = _acled_cells(raw, folded, chosen, acled_source_url)
        ignored = [c for t, c in folded.items() if t not in ACLED_COLUMNS]
    else:
        cells, colname = {}, {}
        for token, original in folded.items():
            target = _HEADER_BY_ALIAS.get(token)
            if target is None:
                if token not in EXPORT_COLUMNS:
                    ignored.append(original)
                continue
            if target in colname:
                return _fatal_report(
                    f"duplicate column: {colname[target]!r} and {original!r} both mean {target}",
                    DUPLICATE_COLUMN,
                    filename,
                    fmt,
                    len(raw),
                )
            colname[target] = original
            cells[target] = list(raw[original])
        missing = [c for c in ("date", "event_type") if c not in cells]
        if "source_id" not in cells and not {"source_title", "source_url"} <= set(cells):
            missing.append("source_title and source_url (or source_id)")
        if missing:
            return _fatal_report(_missing_columns_text(missing, raw), MISSING_COLUMN, filename, fmt, len(raw))
        if "count" not in cells:
            warnings.append("no count column: every row counts as 1 event")
    if ignored:
        warnings.append("ignored columns: " + ", ".join(ignored))
    if EXTRA_COLUMN in raw.columns:
        cells[EXTRA_COLUMN] = list(raw[EXTRA_COLUMN])

    n = len(rows)
    problems = _Problems()
    out, row_problems = _check_columns(cells, colname, today, fmt, n)
    invalid = [bool(p) for p in row_problems]
    for i in (i for i, p in enumerate(row_problems) if p):
        for column, value, reason, text in row_problems[i]:
            problems.add(rows[i], column, value, reason, text)

    _check_sources(rows, out, colname, known_source_ids, problems, invalid)
    already = _check_ids(rows, out, colname, existing_events, problems, invalid)

    bad_rows = {p["row"] for p in problems.rows}
    if bad_rows or any(already):
        good = [i for i in range(n) if rows[i] not in bad_rows and not already[i]]
    else:  # the usual clean file: every row, without a 100k-row membership test
        good = range(n)
    pick = (lambda values: values) if len(good) == n else (lambda values: [values[i] for i in good])
    arrays = [pa.array(pick(out[c]), type=VALID_SCHEMA.field(c).type) for c in VALID_COLUMNS]
    valid = pa.Table.from_arrays(arrays, schema=VALID_SCHEMA).to_pandas()
    valid.index = pd.Index(pick(rows), dtype="int64", name="row")
    notes = pa.array(out["notes"], pa.string())
    examples = pc.sum(pc.starts_with(notes, EXAMPLE_MARK, ignore_case=True)).as_py() or 0
    if examples:
        warnings.append(
            f"{examples} rows are the template's example rows (notes start with {EXAMPLE_MARK!r}): "
            "delete them unless you mean to import them"
        )
    frame = problems.frame().sort_values(["row"], kind="stable").reset_index(drop=True)
    return IngestReport(
        rows_read=n,
        valid=valid,
        problems=frame,
        counts=dict(Counter(frame["reason"]).most_common()),
        format=fmt,
        already_imported=sum(already),
        warnings=tuple(warnings),
        ignored_columns=tuple(ignored),
        filename=filename,
    )


def _missing_columns_text(missing: list[str], raw: pd.DataFrame) -> str:
    plural = "s" if len(missing) > 1 else ""
    found = ", ".join(str(c) for c in raw.columns if c != EXTRA_COLUMN)
    return f"missing required column{plural}: {', '.join(missing)} (the file's columns: {found})"


# Each check below looks at a few cells of one row and returns (problems, *canonical values);
# a problem is (column as headed in the file, value, reason, sentence). `_check_columns` runs
# each check once per distinct combination of its cells (a file repeats the same dates, places
# and types over and over), so 100k rows cost a few thousand calls, not 100k Python row loops.
Problem = tuple[str, str, str, str]
NOT_A_DATE = "is not a date (use YYYY-MM-DD, DD/MM/YYYY or an Excel date)"


def _check_columns(
    cells: dict[str, list[str]], colname: dict[str, str], today: dt.date, fmt: str, n: int
) -> tuple[dict[str, list], list[tuple[Problem, ...]]]:
    """Every row's canonical values, by column, and every row's problems (in check order)."""

    def col(name: str, default: str = "") -> list[str]:
        return cells[name] if name in cells else [default] * n

    def name(column: str) -> str:
        return colname.get(column, column)

    def run(check, *columns):
        per_row = list(map(functools.cache(check), *columns))
        # Transposed with itemgetter, not zip(*per_row): that builds 100k iterators per check.
        return [list(map(operator.itemgetter(k), per_row)) for k in range(len(check.func.outputs) + 1)]

    def text(values: list[str]) -> list[str | None]:
        return [v or None for v in values]

    out: dict[str, list] = {"provenance": ["reported"] * n}
    found: list[list] = []  # per check, per row: a tuple of problems
    found.append(
        [
            (
                (
                    "",
                    v,
                    EXTRA_VALUES,
                    f"more values than the header has columns ({v!r}); quote values that "
                    "contain the separator",
                ),
            )
            if v
            else ()
            for v in col(EXTRA_COLUMN)
        ]
    )
    found.append(run(functools.partial(_check_provenance, name("provenance")), col("provenance"))[0])
    found.append(run(functools.partial(_check_country, name("country")), col("country"))[0])
    dates = run(
        functools.partial(_check_dates, name, today, fmt), col("date"), col("date_end"), col("date_precision")
    )
    found.append(dates[0])
    out.update(date=list(dates[1]), date_end=list(dates[2]), date_precision=list(dates[3]))
    places = run(functools.partial(_check_places, name), col("region"), col("area"))
    found.append(places[0])
    out.update(
        area=list(places[1]),
        region=list(places[2]),
        province=text(col("province")),
        district=text(col("district")),
    )
    coords = run(functools.partial(_check_coordinates, name), col("lat"), col("lon"))
    found.append(coords[0])
    out.update(lat=list(coords[1]), lon=list(coords[2]))
    for check, column, default in (
        (_check_event_type, "event_type", ""),
        (_check_count, "count", "1"),
        (_check_route, "route", ""),
        (_check_quantity, "quantity_kg", ""),
    ):
        result = run(functools.partial(check, name(column)), col(column, default))
        found.append(result[0])
        out[column] = list(result[1])
    geo = run(
        functools.partial(_check_geo_precision, name("geo_precision"), fmt),
        col("geo_precision"),
        [v is not None for v in out["lat"]],
        [bool(v) for v in out["district"]],
        [bool(v) for v in out["province"]],
    )
    found.append(geo[0])
    out.update(geo_precision=list(geo[1]), airstrip_id=text(col("airstrip_id")), notes=text(col("notes")))
    ids = [
        (
            (
                (
                    name("event_id"),
                    v,
                    RESERVED_ID,
                    f"{v!r} starts with {SIMULATED_PREFIX!r}, which is kept for simulated rows",
                ),
            )
            if v.startswith(SIMULATED_PREFIX)
            else ()
        )
        for v in col("event_id")
    ]
    found.append(ids)
    out["event_id"] = text(col("event_id"))
    urls = run(functools.partial(_check_url, name("source_url")), col("source_url"))
    found.append(urls[0])
    out.update(
        source_id=text(col("source_id")),
        source_title=text(col("source_title")),
        source_url=list(urls[1]),
        source_publisher=text(col("source_publisher")),
        source_date=list(map(functools.cache(_source_date), col("source_date"))),
    )
    rows = [sum(per_row, ()) if any(per_row) else () for per_row in zip(*found, strict=True)]
    return out, rows


def _outputs(*names: str):
    """Name a check's canonical values (the check returns problems first, then these)."""

    def mark(check):
        check.outputs = names
        return check

    return mark


@_outputs()
def _check_provenance(column: str, provenance: str) -> tuple[tuple[Problem, ...]]:
    if provenance and _token(provenance) not in ("reported", "reportado", "reportada"):
        return (
            (
                (
                    column,
                    provenance,
                    NOT_REPORTED,
                    f"{provenance!r}: imported rows are reported records; simulated rows cannot be imported",
                ),
            ),
        )
    return ((),)


@_outputs()
def _check_country(column: str, country: str) -> tuple[tuple[Problem, ...]]:
    if country and fold(country) not in ("peru",):
        return (((column, country, NOT_PERU, f"{country!r}: only events in Peru can be imported"),),)
    return ((),)


@_outputs("date", "date_end", "date_precision")
def _check_dates(name, today: dt.date, fmt: str, date_text: str, end_text: str, precision_text: str) -> tuple:
    found: list[Problem] = []
    start = end = None
    whole_month = False
    if not date_text:
        found.append((name("date"), "", MISSING_VALUE, "empty; every row needs a date"))
    elif (parsed := _parse_date(date_text)) is None:
        found.append((name("date"), date_text, UNPARSEABLE_DATE, f"{date_text!r} {NOT_A_DATE}"))
    else:
        start, whole_month = parsed
        if start > today:
            found.append(
                (
                    name("date"),
                    date_text,
                    FUTURE_DATE,
                    f"{start.isoformat()} is in the future (today is {today.isoformat()})",
                )
            )
    if end_text:
        if (parsed := _parse_date(end_text)) is None:
            found.append((name("date_end"), end_text, UNPARSEABLE_DATE, f"{end_text!r} {NOT_A_DATE}"))
        else:
            end = _month_end(parsed[0]) if parsed[1] else parsed[0]
            if end > today:
                found.append(
                    (
                        name("date_end"),
                        end_text,
                        FUTURE_DATE,
                        f"{end.isoformat()} is in the future (today is {today.isoformat()})",
                    )
                )
            elif start is not None and end < start:
                found.append(
                    (
                        name("date_end"),
                        end_text,
                        END_BEFORE_START,
                        f"{end.isoformat()} is before the date {start.isoformat()}",
                    )
                )
    precision = None
    if precision_text:
        precision = _DATE_PRECISION_ALIASES.get(_token(precision_text.lstrip("?")))
        if precision is None or precision_text.startswith("?"):
            shown = precision_text.lstrip("?")
            allowed = "1, 2 or 3" if fmt == "acled" else ", ".join(DATE_PRECISIONS)
            found.append(
                (
                    name("date_precision"),
                    shown,
                    UNKNOWN_PRECISION,
                    f"{shown!r} is not a date precision ({allowed})",
                )
            )
            precision = None
    if start is None:
        return tuple(found), None, None, None
    if precision is None:
        if whole_month:
            precision = "month"
        elif end is None or end == start:
            precision = "day"
        elif start.day == 1 and end == _month_end(start):
            precision = "month"
        else:
            precision = "period"
    if precision == "month" and end is None:
        start, end = start.replace(day=1), _month_end(start)
    return tuple(found), start, end or start, precision


@_outputs("area", "region")
def _check_places(name, region_text: str, area_text: str) -> tuple:
    found: list[Problem] = []
    region = area = None
    if region_text:
        region = _region(region_text)
        if region is None:
            found.append(
                (
                    name("region"),
                    region_text,
                    UNKNOWN_REGION,
                    f"{region_text!r} is not one of Peru's 25 regions",
                )
            )
    if area_text:
        area = _area(area_text)
        if area is None:
            found.append(
                (
                    name("area"),
                    area_text,
                    UNKNOWN_AREA,
                    f"{area_text!r} is not an analysis area ({', '.join(AREAS)})",
                )
            )
        elif region and area != "Nacional" and region not in AREA_REGIONS[area]:
            found.append(
                (
                    name("area"),
                    area_text,
                    REGION_OUTSIDE_AREA,
                    f"{region} is not in the {area} area ({', '.join(AREA_REGIONS[area])})",
                )
            )
    elif not region_text or region:
        area = _area_for_region(region)
    return tuple(found), area, region


@_outputs("lat", "lon")
def _check_coordinates(name, lat_text: str, lon_text: str) -> tuple:
    if not (lat_text or lon_text):
        return (), None, None
    found: list[Problem] = []
    lat = _number(lat_text) if lat_text else None
    lon = _number(lon_text) if lon_text else None
    for column, raw_text, value in (("lat", lat_text, lat), ("lon", lon_text, lon)):
        if raw_text and value is None:
            found.append((name(column), raw_text, BAD_COORDINATE, f"{raw_text!r} is not a number"))
    if bool(lat_text) != bool(lon_text):
        missing = "lon" if lat_text else "lat"
        found.append(
            (
                name(missing),
                "",
                INCOMPLETE_COORDINATES,
                "empty while the other coordinate is given; give both or neither",
            )
        )
    elif lat is not None and lon is not None and not _in_peru(lat, lon):
        both, shown = f"{name('lat')}/{name('lon')}", f"{lat_text}, {lon_text}"
        if _in_peru(lon, lat):
            found.append(
                (
                    both,
                    shown,
                    SWAPPED,
                    f"lat {lat_text}, lon {lon_text} looks swapped (lat {lon_text}, lon {lat_text} would be in Peru)",
                )
            )
        else:
            found.append(
                (both, shown, OUTSIDE_PERU, f"lat {lat_text}, lon {lon_text} is outside Peru ({_BBOX_TEXT})")
            )
    return tuple(found), lat, lon


@_outputs("event_type")
def _check_event_type(column: str, type_text: str) -> tuple:
    if not type_text:
        return ((column, "", MISSING_VALUE, "empty; every row needs an event type"),), None
    event_type = _EVENT_TYPE_ALIASES.get(_token(type_text))
    if event_type is None:
        return (
            (
                column,
                type_text,
                UNKNOWN_TYPE,
                f"{type_text!r} is not an event type ({', '.join(EVENT_TYPES)})",
            ),
        ), None
    return (), event_type


@_outputs("count")
def _check_count(column: str, count_text: str) -> tuple:
    if not count_text:
        return ((column, "", MISSING_VALUE, "empty; give the number of events (1 or more)"),), None
    number = _number(count_text)
    if number is None or not number.is_integer():
        return ((column, count_text, NOT_INTEGER, f"{count_text!r} is not a whole number"),), None
    if number <= 0:
        return (
            (
                column,
                count_text,
                NOT_POSITIVE,
                f"{count_text} is not a positive count (each row counts 1 or more events)",
            ),
        ), None
    if number > 2**31 - 1:
        return ((column, count_text, NOT_INTEGER, f"{count_text} is too large for a count"),), None
    return (), int(number)


@_outputs("route")
def _check_route(column: str, route_text: str) -> tuple:
    if not route_text:
        return (), None
    route = _ROUTE_ALIASES.get(_token(route_text))
    if route is None:
        return (
            (column, route_text, UNKNOWN_ROUTE, f"{route_text!r} is not a route ({', '.join(ROUTES)})"),
        ), None
    return (), route


@_outputs("quantity_kg")
def _check_quantity(column: str, kg_text: str) -> tuple:
    if not kg_text:
        return (), None
    kg = _number(kg_text)
    if kg is None:
        return ((column, kg_text, BAD_QUANTITY, f"{kg_text!r} is not a number of kilograms"),), None
    if kg < 0:
        return ((column, kg_text, BAD_QUANTITY, f"{kg_text} is negative"),), kg
    return (), kg


@_outputs("geo_precision")
def _check_geo_precision(
    column: str, fmt: str, geo_text: str, located: bool, district: bool, province: bool
) -> tuple:
    found: tuple[Problem, ...] = ()
    geo = None
    if geo_text:
        geo = _GEO_PRECISION_ALIASES.get(_token(geo_text.lstrip("?")))
        if geo is None or geo_text.startswith("?"):
            shown = geo_text.lstrip("?")
            allowed = "1, 2 or 3" if fmt == "acled" else ", ".join(GEO_PRECISIONS)
            found = ((column, shown, UNKNOWN_PRECISION, f"{shown!r} is not a geo precision ({allowed})"),)
            geo = None
    if geo is None:
        geo = "exact" if located else "district" if district else "province" if province else "region"
    return found, geo


@_outputs("source_url")
def _check_url(column: str, url: str) -> tuple:
    if url and not _URL_RE.match(url):
        return ((column, url, BAD_URL, f"{url!r} is not a web address (http:// or https://)"),), url
    return (), url or None


def _source_date(text: str) -> str | None:
    if text and (parsed := _parse_date(text)):
        return parsed[0].isoformat()[: 7 if parsed[1] else 10]
    return text or None


_BBOX_TEXT = "lat {:g} to {:g}, lon {:g} to {:g}".format(
    *(PERU_BBOX[k] + 0.0 for k in ("lat_min", "lat_max", "lon_min", "lon_max"))  # + 0.0: no "-0"
)


def _in_peru(lat: float, lon: float) -> bool:
    b = PERU_BBOX
    return b["lat_min"] <= lat <= b["lat_max"] and b["lon_min"] <= lon <= b["lon_max"]


def _check_sources(
    rows: list[int],
    out: dict[str, list],
    colname: dict[str, str],
    known: frozenset[str],
    problems: _Problems,
    invalid: list[bool],
) -> None:
    """Resolve every row's source_id: known, defined in the file, or derived from title + URL."""
    sids, titles, urls = out["source_id"], out["source_title"], out["source_url"]
    derive = functools.cache(lambda title, url: SOURCE_PREFIX + _digest(f"{title}\x1e{url}", 12))
    defines = [False] * len(rows)
    defined: set[str] = set()
    for i, (title, url) in enumerate(zip(titles, urls, strict=True)):
        if title and url:
            sid = sids[i] or derive(title, url)
            defines[i] = sid not in known
            sids[i] = sid
            defined.add(sid)
    for i, sid in enumerate(sids):
        if sid and (sid in known or sid in defined):
            if sid in known and not defines[i]:  # cited by id alone: the sources table has the rest
                for column in ("source_title", "source_url", "source_publisher", "source_date"):
                    out[column][i] = None
            continue
        if sid:
            problems.add(
                rows[i],
                colname.get("source_id", "source_id"),
                sid,
                UNKNOWN_SOURCE,
                f"{sid!r} is not in the sources table; add source_title and source_url to cite a new source",
            )
        else:
            problems.add(rows[i], "", "", MISSING_SOURCE, MISSING_SOURCE_TEXT)
        invalid[i] = True


def _known_keys(existing: pd.DataFrame | None, given: set) -> dict[str, tuple[str, str]]:
    """{event_id: (row key, origin)} of the data's events; with ids given in the file, only
    those (plus every event, when some rows need an id derived: a derived id may match one)."""
    if existing is None or not len(existing):
        return {}
    ids = [str(e) for e in existing["event_id"]]
    if None not in given and "" not in given:
        keep = [e in given for e in ids]
        existing, ids = existing[np.array(keep, dtype=bool)], [e for e, k in zip(ids, keep, strict=True) if k]
    origins = existing["origin"] if "origin" in existing else pd.Series("imported", index=existing.index)
    return dict(zip(ids, zip(_row_keys(existing), map(str, origins), strict=True), strict=True))


def _check_ids(
    rows: list[int],
    out: dict[str, list],
    colname: dict[str, str],
    existing: pd.DataFrame | None,
    problems: _Problems,
    invalid: list[bool],
) -> list[bool]:
    """Give every row an event_id; flag repeats in the file and clashes with the data.

    Returns, per row, whether the same event is already in the data (then it is skipped).
    """
    given_ids = out["event_id"]
    known = _known_keys(existing, set(given_ids))
    # A row's key (all its values as text) is needed only to derive its id or to compare it
    # with the data's row of the same id: build it for those rows alone.
    need = [i for i, given in enumerate(given_ids) if not given or given in known]
    keys = dict(
        zip(
            need,
            _row_keys({c: [out[c][i] for i in need] for c in EVENT_COLUMNS}, text_is_str=True),
            strict=True,
        )
    )
    first: dict[str, int] = {}
    id_col = colname.get("event_id", "event_id")
    already = [False] * len(rows)
    for i, given in enumerate(given_ids):
        row, key = rows[i], keys.get(i, "")
        eid = given or DERIVED_PREFIX + _digest(key + "\x1f" + (out["source_id"][i] or ""))
        out["event_id"][i] = eid
        if eid in first:
            if given:
                problems.add(row, id_col, eid, DUPLICATE_ID, f"{eid!r} is already used on row {first[eid]}")
            else:
                problems.add(
                    row,
                    "",
                    eid,
                    DUPLICATE_ID,
                    f"repeats row {first[eid]} exactly (same derived event_id {eid!r}); "
                    "merge them into one row with a count, or give each an event_id",
                )
            invalid[i] = True
            continue
        first[eid] = row
        if eid in known and not invalid[i]:
            other_key, origin = known[eid]
            if other_key == key:
                already[i] = True
            elif origin == "sourced":
                problems.add(
                    row,
                    id_col,
                    eid,
                    DUPLICATE_ID,
                    f"{eid!r} is already used by a sourced event; give this row another event_id",
                )
            else:
                problems.add(
                    row,
                    id_col,
                    eid,
                    DUPLICATE_ID,
                    f"{eid!r} is already imported with different values; give this row another "
                    "event_id, or import with --replace to replace the earlier imports",
                )
    return already


# ---------------------------------------------------------------------------------------------
# The store: imported files, their manifest, the data they are checked against
# ---------------------------------------------------------------------------------------------


def _manifest_path() -> Path:
    return imported_dir() / build_mod.IMPORTED_MANIFEST


def read_import_manifest() -> dict:
    """The imported-files manifest: {"format": 1, "files": [...], "history": [[...], ...]}.

    Each entry of `files` (the imports active now, oldest first) holds `events` and `sources`
    (file names in the imported folder), `rows`, `original_name`, `format`, `mode`, `imported_at`.
    """
    manifest = build_mod.committed_imports(built_dir(), imported_dir())
    if manifest is None:
        return {"format": 1, "files": [], "history": []}
    manifest.setdefault("files", [])
    manifest.setdefault("history", [])
    return manifest


def imported_events(manifest: dict | None = None) -> pd.DataFrame:
    """Every active imported event, in schema order."""
    manifest = read_import_manifest() if manifest is None else manifest
    tables = [pq.read_table(imported_dir() / f["events"]) for f in manifest["files"]]
    if not tables:
        return EVENTS_SCHEMA.empty_table().to_pandas()
    return pa.concat_tables([t.select(list(EVENT_COLUMNS)).cast(EVENTS_SCHEMA) for t in tables]).to_pandas()


def _imported_sources(manifest: dict) -> pd.DataFrame:
    frames = [pd.read_parquet(imported_dir() / f["sources"]) for f in manifest["files"] if f.get("sources")]
    return (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(SOURCES_TABLE_COLUMNS))
    )


def _sourced_events() -> pd.DataFrame:
    path = sourced_dir() / "events_reported.csv"
    return build_mod.read_reported_events(path) if path.is_file() else EVENTS_SCHEMA.empty_table().to_pandas()


def known_source_ids(mode: str = "append", manifest: dict | None = None) -> frozenset[str]:
    """Source ids a row may cite by id alone: the sourced table, plus imported ones when appending."""
    ids: set[str] = set()
    path = sourced_dir() / "sources.csv"
    if path.is_file():
        ids |= set(pd.read_csv(path, dtype=str, usecols=["source_id"])["source_id"].dropna())
    if mode == "append":
        manifest = read_import_manifest() if manifest is None else manifest
        ids |= set(_imported_sources(manifest)["source_id"].dropna())
    return frozenset(ids)


def existing_events(mode: str = "append", manifest: dict | None = None) -> pd.DataFrame:
    """Events an import is checked against: sourced reported ones, plus imported ones when appending."""
    frames = [_sourced_events().assign(origin="sourced")]
    if mode == "append":
        frames.append(imported_events(manifest).assign(origin="imported"))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None  # type: ignore[return-value]


def load_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    acled_event_type: str | None = None,
    acled_source_url: str = ACLED_URL,
    mode: Literal["append", "replace"] = "append",
    today: dt.date | None = None,
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_cells: int | None = None,
    max_unpacked: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> IngestReport:
    """Read and validate an uploaded file against the data as it is now (for the browser).

    The max_* limits are `read_table`'s (default: the module's MAX_* constants).
    `progress(fraction)`, if given, hears 0..0.8 while the file is read, 0.8 once it is read
    and 1.0 once it is checked.

    Never raises for bad input: a file that cannot be read gives a report whose `fatal`
    says why. `mode` decides what the rows are checked against (see `existing_events`).
    """
    try:
        raw = read_table(
            data,
            filename,
            max_bytes=max_bytes,
            max_rows=max_rows,
            max_columns=max_columns,
            max_cells=max_cells,
            max_unpacked=max_unpacked,
            progress=None if progress is None else (lambda f: progress(0.8 * f)),
        )
    except IngestError as exc:
        return replace(_fatal_report(exc.message, exc.reason, filename), mode=mode)
    if progress is not None:
        progress(0.8)
    notes = tuple(raw.attrs.get("warnings", ()))
    manifest = read_import_manifest()
    report = validate(
        raw,
        acled_event_type=acled_event_type,
        acled_source_url=acled_source_url,
        known_source_ids=known_source_ids(mode, manifest),
        today=today,
        existing_events=existing_events(mode, manifest),
        filename=filename,
    )
    if progress is not None:
        progress(1.0)
    return replace(report, mode=mode, warnings=(*notes, *report.warnings))


def rejects_csv(report: IngestReport) -> bytes:
    """The problems as CSV (row, column, value, reason, message), UTF-8 with BOM for Excel; a
    rejected value such as `=HYPERLINK(...)` is echoed inert (lib.safe_csv)."""
    return safe_csv_bytes(report.problems)


def _write_bytes_atomic(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the app may read as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


_locked = build_mod.imports_lock  # imports, rollbacks and `python -m lib.build` take turns


def _spec_like_current(manifest: dict | None = None, **overrides) -> build_mod.BuildSpec:
    """default_spec with the simulation settings of the build current now (or the defaults).

    manifest: the import manifest to build from (and publish with the build); default: the
    one in force.
    """
    out = built_dir()
    current = build_mod.current_version(out)
    settings: dict = {}
    if current and (out / current / "manifest.json").is_file():
        sim = build_mod.read_manifest(out, current).get("simulated", {})
        settings = {
            "simulate": bool(sim.get("enabled", True)),
            "simulated_events": sim.get("events"),
            "seed": sim.get("seed", simulate.DEFAULT_SEED),
        }
    settings.update(overrides)
    if manifest is not None:
        events, sources = build_mod.imported_inputs(imported_dir(), manifest)
        settings.update(extra_events=events, extra_sources=sources, imports=manifest)
    return build_mod.default_spec(**settings)


def _files_in_use(manifest: dict) -> set[str]:
    names: set[str] = set()
    for files in [manifest["files"], *manifest["history"]]:
        for f in files:
            names.add(f["events"])
            if f.get("sources"):
                names.add(f["sources"])
    return names


def _collect_garbage(manifest: dict) -> None:
    keep = _files_in_use(manifest) | {build_mod.IMPORTED_MANIFEST}
    for path in imported_dir().iterdir():
        if (
            path.is_file()
            and path.name not in keep
            and (path.name.startswith(("events-", "sources-")) or path.name.startswith("."))
        ):
            path.unlink(missing_ok=True)


def _write_manifest_copy(manifest: dict) -> None:
    """The copy in the imported folder, written once the build carrying the manifest is served.

    Also after an import that changed nothing: a process killed between the switch and the
    copy left it one import behind.
    """
    build_mod.sync_imports_copy(imported_dir(), manifest)


def commit(
    report: IngestReport,
    *,
    mode: Literal["append", "replace"] | None = None,
    skip_invalid: bool = False,
    log=print,
) -> ImportResult:
    """Write the report's valid rows as a new import and rebuild the data.

    Raises IngestError when the report is fatal, has invalid rows (unless `skip_invalid`), or
    its rows now clash with imported data; any other exception is an internal failure, after
    which the imported files and the data version are as they were.
    mode: "append" adds to the earlier imports; "replace" replaces them all. Default: the mode
        the report was checked for (`load_upload(..., mode=...)`).
    """
    mode = mode or report.mode
    if report.fatal:
        raise IngestError(report.fatal, report.fatal_reason or UNREADABLE)
    if not report.problems.empty and not skip_invalid:
        raise IngestError(
            f"{report.invalid_rows} rows are invalid: nothing was written (fix them, or skip them)",
            INVALID_ROWS,
        )
    with _locked() as folder:
        manifest = read_import_manifest()
        rows = _still_new(report.valid, mode, manifest)
        old_files = manifest["files"]
        old_ids = set(imported_events(manifest)["event_id"])
        files = [] if mode == "replace" else list(old_files)
        new_names: list[str] = []
        entry_path = None
        if len(rows):
            digest = _digest(
                "\n".join(
                    sorted(f"{e}\x1f{k}" for e, k in zip(rows["event_id"], _row_keys(rows), strict=True))
                )
            )
            events_name = f"events-{digest}.parquet"
            table = pa.Table.from_pandas(
                rows[list(EVENT_COLUMNS)], schema=EVENTS_SCHEMA, preserve_index=False
            )
            sources = _sources_of(rows)
            sources_name = f"sources-{digest}.parquet" if len(sources) else None
            for name, payload in ((events_name, table), (sources_name, sources)):
                if name and not (folder / name).exists():
                    _write_bytes_atomic(folder / name, _parquet_bytes(payload))
                    new_names.append(name)
            entry_path = folder / events_name
            files.append(
                {
                    "events": events_name,
                    "sources": sources_name,
                    "rows": len(rows),
                    "original_name": report.filename,
                    "format": report.format,
                    "mode": mode,
                    "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        changed = [f["events"] for f in files] != [f["events"] for f in old_files]
        new_manifest = manifest
        if changed:
            new_manifest = {
                "format": 1,
                "files": files,
                "history": [old_files, *manifest["history"]][:HISTORY],
            }
        out = built_dir()
        previous = build_mod.current_version(out)
        try:
            # The new manifest goes out with the build: the import is done when CURRENT is.
            version = build_mod.build(_spec_like_current(new_manifest), log=log)
        except BaseException:
            for name in new_names:
                (folder / name).unlink(missing_ok=True)
            raise
        _write_manifest_copy(new_manifest)
        _collect_garbage(new_manifest)
    new_ids = set(rows["event_id"]) | (old_ids if mode == "append" else set())
    return ImportResult(
        new_rows=len(new_ids - old_ids) if changed else 0,
        removed_rows=len(old_ids - new_ids) if changed else 0,
        data_version=version,
        previous_version=previous if changed else version,
        changed=changed,
        events_file=entry_path,
    )


def _still_new(valid: pd.DataFrame, mode: str, manifest: dict) -> pd.DataFrame:
    """The valid rows minus those imported since validation; IngestError on a new clash."""
    if mode != "append" or not manifest["files"]:
        return valid
    existing = imported_events(manifest)
    keys = dict(zip(map(str, existing["event_id"]), _row_keys(existing), strict=True))
    keep = []
    for eid, key in zip(valid["event_id"], _row_keys(valid), strict=True):
        if eid not in keys:
            keep.append(True)
        elif keys[eid] == key:
            keep.append(False)
        else:
            raise IngestError(
                f"event_id {eid!r} was imported with different values since this file was checked; check it again",
                DUPLICATE_ID,
            )
    return valid[pd.Series(keep, index=valid.index, dtype=bool)]


def _sources_of(rows: pd.DataFrame) -> pa.Table:
    """The citations carried by the rows (those with a title and URL), one per source_id."""
    cited = rows[rows["source_title"].notna() & rows["source_url"].notna()]
    cited = cited.drop_duplicates("source_id")
    frame = pd.DataFrame(
        {
            "source_id": cited["source_id"],
            "title": cited["source_title"],
            "publisher": cited["source_publisher"],
            "date": cited["source_date"],
            "url": cited["source_url"],
        }
    )
    schema = pa.schema([(c, pa.string()) for c in SOURCES_TABLE_COLUMNS])
    return pa.Table.from_pandas(frame.sort_values("source_id"), schema=schema, preserve_index=False)


def rollback_import(*, log=print) -> str:
    """Undo the last import: the previous imported-files manifest and data version come back.

    Returns the data version now current. Raises IngestError when no earlier state is kept.
    """
    with _locked():
        manifest = read_import_manifest()
        if not manifest["history"]:
            raise IngestError("nothing to roll back: no earlier import is kept", NOTHING_TO_ROLL_BACK)
        restored = {"format": 1, "files": manifest["history"][0], "history": manifest["history"][1:]}
        spec = _spec_like_current(restored)
        out = spec.out
        current = build_mod.current_version(out)
        previous = build_mod.read_manifest(out, current).get("previous") if current else None
        if (
            previous
            and (out / previous / "manifest.json").is_file()
            and build_mod.read_manifest(out, previous).get("inputs_digest") == spec.inputs_digest()
        ):
            build_mod.write_imports(out, previous, restored)  # not served yet: CURRENT names another
            version = build_mod.rollback(out)
        else:  # the previous build is gone or was made from other inputs: rebuild
            version = build_mod.build(spec, log=log)
        _write_manifest_copy(restored)
        _collect_garbage(restored)
    return version


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

TEMPLATE_COLUMNS: tuple[str, ...] = VALID_COLUMNS
TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "event_id": "example-1",
        "date": "2016-09-05",
        "date_end": "2016-09-05",
        "date_precision": "day",
        "area": "Pichis-Palcazú",
        "region": "Huánuco",
        "province": "Puerto Inca",
        "district": "Puerto Inca",
        "lat": "-9.3800",
        "lon": "-74.9600",
        "event_type": "airstrip_destroyed",
        "count": "2",
        "route": "air",
        "quantity_kg": "",
        "airstrip_id": "example-strip-1",
        "geo_precision": "exact",
        "provenance": "reported",
        "source_id": "",
        "notes": f"{EXAMPLE_MARK}: replace with your own records (two strips destroyed)",
        "source_title": "Example: press report on airstrips destroyed in Puerto Inca",
        "source_url": "https://example.org/report-1",
        "source_publisher": "Example Publisher",
        "source_date": "2016-09-12",
    },
    {
        "event_id": "example-2",
        "date": "2015-03-01",
        "date_end": "2015-03-31",
        "date_precision": "month",
        "area": "VRAEM",
        "region": "Ayacucho",
        "province": "Huanta",
        "district": "Llochegua",
        "lat": "",
        "lon": "",
        "event_type": "seizure",
        "count": "1",
        "route": "land",
        "quantity_kg": "350.5",
        "airstrip_id": "",
        "geo_precision": "district",
        "provenance": "reported",
        "source_id": "",
        "notes": f"{EXAMPLE_MARK}: replace with your own records (a month-precise seizure)",
        "source_title": "Example: police statement on a seizure in Llochegua",
        "source_url": "https://example.org/report-2",
        "source_publisher": "Example Police",
        "source_date": "2015-04-02",
    },
)

TEMPLATE_HELP: tuple[tuple[str, str, str], ...] = (
    ("event_id", "no", "your id for the row; left empty, one is derived from the row's content"),
    ("date", "yes", "YYYY-MM-DD, DD/MM/YYYY, YYYY-MM (a month) or an Excel date; not in the future"),
    ("date_end", "no", "last day of a report covering a period; empty = same as date; not before date"),
    ("date_precision", "no", "day | month | period (empty: inferred from date and date_end)"),
    (
        "area",
        "no",
        " | ".join(AREAS)
        + " (empty: the first area holding the region; Nacional when there is no region or it is in no area)",
    ),
    ("region", "no", "one of Peru's 25 regions, any case or accents: " + " | ".join(REGIONS)),
    ("province", "no", "free text"),
    ("district", "no", "free text"),
    ("lat", "no", "decimal degrees, inside Peru (" + _BBOX_TEXT + "); give lat and lon together"),
    ("lon", "no", "decimal degrees, inside Peru (" + _BBOX_TEXT + "); give lat and lon together"),
    ("event_type", "yes", " | ".join(EVENT_TYPES)),
    (
        "count",
        "no",
        "whole number, 1 or more; without the column every row counts 1 (an empty cell is an error)",
    ),
    ("route", "no", " | ".join(ROUTES)),
    ("quantity_kg", "no", "kilograms, 0 or more"),
    ("airstrip_id", "no", "a persistent id for a strip destroyed and rebuilt more than once"),
    ("geo_precision", "no", " | ".join(GEO_PRECISIONS) + " (empty: inferred from what is given)"),
    ("provenance", "no", "reported (imported rows always are)"),
    (
        "source_id",
        "see source_*",
        "a source_id already in the sources table, instead of source_title + source_url",
    ),
    ("notes", "no", "free text"),
    ("source_title", "yes*", "title of the report the row comes from (*or a known source_id)"),
    ("source_url", "yes*", "its link, http:// or https:// (*or a known source_id)"),
    ("source_publisher", "no", "who published it"),
    ("source_date", "no", "when it was published"),
)


def template_csv() -> bytes:
    """Pistas' import template as CSV (UTF-8 with BOM): the header and two example rows."""
    frame = pd.DataFrame(list(TEMPLATE_ROWS), columns=list(TEMPLATE_COLUMNS))
    return safe_csv_bytes(frame)


def template_xlsx() -> bytes:
    """The template as XLSX: sheet "events" (header + two example rows), sheet "allowed values"."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "events"
    ws.append(list(TEMPLATE_COLUMNS))
    for example in TEMPLATE_ROWS:
        ws.append([_xlsx_cell(c, example[c]) for c in TEMPLATE_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ref = wb.create_sheet("allowed values")
    ref.append(["column", "required", "allowed values / format", "also read as (Spanish or English)"])
    for name, required, allowed in TEMPLATE_HELP:
        aliases = ", ".join(a for a in HEADER_ALIASES[name] if a != name)
        ref.append([name, required, allowed, aliases])
    for cell in ref[1]:
        cell.font = Font(bold=True)
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def _xlsx_cell(column: str, value: str) -> object:
    if not value:
        return None
    if column in ("date", "date_end", "source_date"):
        return dt.date.fromisoformat(value)
    if column in ("lat", "lon", "quantity_kg"):
        return float(value)
    if column == "count":
        return int(value)
    return value


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

EPILOG = """exit codes:
  0  success (also when the file adds 0 new rows)
  2  invalid input: unreadable/empty/too large file, missing columns, invalid rows, nothing to
     roll back, bad arguments. Nothing was written.
  3  internal failure (e.g. the build failed). The imported files and data version are unchanged.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.ingest",
        description="Validate and import an events file (CSV, XLSX, Parquet; Pistas' template or ACLED's export).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", type=Path, help="the file to import")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--append", action="store_true", help="add to earlier imports (default)")
    mode.add_argument(
        "--replace", action="store_true", help="replace all earlier imports (not sourced/simulated data)"
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows; write the rejected ones to FILE.rejects.csv",
    )
    parser.add_argument(
        "--acled-event-type",
        choices=EVENT_TYPES,
        default=None,
        help="the event type ACLED rows become (needed for an ACLED export)",
    )
    parser.add_argument(
        "--acled-source-url", default=ACLED_URL, help=f"URL cited by ACLED rows (default {ACLED_URL})"
    )
    parser.add_argument(
        "--max-mb", type=float, default=MAX_BYTES / 10**6, help="size limit in MB (default 50)"
    )
    parser.add_argument(
        "--rollback", action="store_true", help="restore the data as it was before the last import"
    )
    parser.add_argument(
        "--write-template", type=Path, metavar="PATH", help="write the template (.csv or .xlsx) and exit"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.write_template:
            payload = template_xlsx() if args.write_template.suffix.lower() == ".xlsx" else template_csv()
            args.write_template.write_bytes(payload)
            print(f"wrote {args.write_template}")
            return EXIT_OK
        if args.rollback:
            if args.file:
                parser.error("--rollback takes no FILE")
            version = rollback_import()
            print(f"rolled back: data version {version} and the imports before the last one are current")
            return EXIT_OK
        if args.file is None:
            parser.error("FILE is required (or --rollback, or --write-template)")
        return _import_file(args)
    except IngestError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # an internal failure: say so, with a different code
        print(f"internal failure: {type(exc).__name__}: {exc}. The data was left as it was.", file=sys.stderr)
        return EXIT_INTERNAL


def _import_file(args: argparse.Namespace) -> int:
    path: Path = args.file
    max_bytes = int(args.max_mb * 10**6)
    try:
        if path.stat().st_size > max_bytes:  # refused before it is read into memory
            print(f"{path.name}: {_too_large(path.name, path.stat().st_size, max_bytes)}", file=sys.stderr)
            return EXIT_INVALID
        data = path.read_bytes()
    except OSError as exc:
        print(f"unreadable file: cannot open {str(path)!r} ({exc.strerror})", file=sys.stderr)
        return EXIT_INVALID
    mode = "replace" if args.replace else "append"
    report = load_upload(
        data,
        path.name,
        max_bytes=max_bytes,
        acled_event_type=args.acled_event_type,
        acled_source_url=args.acled_source_url,
        mode=mode,
    )
    if report.fatal:
        print(report.summary(), file=sys.stderr)
        return EXIT_INVALID
    print(report.summary())
    for warning in report.warnings:
        print(f"note: {warning}")
    shown = 100
    for message in report.messages(limit=shown):
        print(f"  {message}")
    if len(report.problems) > shown:
        print(f"  ... and {len(report.problems) - shown} more")
    if args.dry_run:
        print("dry run: nothing was written")
        return EXIT_OK if report.ok or args.skip_invalid else EXIT_INVALID
    if not report.problems.empty:
        if not args.skip_invalid:
            print(
                f"nothing was written: fix the rows above, or import the {len(report.valid)} valid rows "
                "with --skip-invalid",
                file=sys.stderr,
            )
            return EXIT_INVALID
        rejects = path.with_name(path.name + ".rejects.csv")
        _write_bytes_atomic(rejects, rejects_csv(report))
        print(f"rejected rows written to {rejects}")
        if report.valid.empty:
            print("no valid rows: nothing was imported", file=sys.stderr)
            return EXIT_INVALID
    result = commit(report, mode=mode, skip_invalid=args.skip_invalid)
    print(result.summary())
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
