"""The data dictionary of every export: column, meaning, unit and allowed values, in both languages.

Machine-facing files (CSV, Parquet, the data URLs) keep the stable English column names; this
codebook names them in Spanish too. It travels as the `codebook` sheet of every XLSX, as
`codebook.csv` in every zip, and as a section of README.md (tests/test_codebook.py keeps the three
in step with lib.schema).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.schema import (
    AREAS,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    GEO_PRECISIONS,
    PERU_BBOX,
    PROVENANCES,
    ROUTES,
)


@dataclass(frozen=True)
class Column:
    name: str
    label_es: str
    meaning_en: str
    meaning_es: str
    unit: str = ""
    allowed: str = ""


def _one_of(values: tuple[str, ...]) -> str:
    return " | ".join(values)


COLUMNS: tuple[Column, ...] = (
    Column(
        "event_id",
        "id_evento",
        "Stable id of the row (sim-… for simulated rows, rep-… for sourced ones)",
        "Identificador estable de la fila (sim-… si es simulada, rep-… si es reportada)",
        "",
        "text, unique",
    ),
    Column(
        "date",
        "fecha",
        "Day the event happened, or the first day of the period a report covers",
        "Día del evento, o primer día del periodo que cubre un reporte",
        "date (YYYY-MM-DD)",
    ),
    Column(
        "date_end",
        "fecha_fin",
        "Last day of the period a report covers (= date for a single day)",
        "Último día del periodo que cubre un reporte (= fecha si es un solo día)",
        "date (YYYY-MM-DD)",
    ),
    Column(
        "date_precision",
        "precision_fecha",
        "How exact the date is",
        "Qué tan exacta es la fecha",
        "",
        _one_of(DATE_PRECISIONS),
    ),
    Column(
        "area",
        "ambito",
        "Analysis area (a trafficking corridor; Nacional = whole country)",
        "Ámbito de análisis (un corredor del tráfico; Nacional = todo el país)",
        "",
        _one_of(AREAS),
    ),
    Column(
        "region",
        "region",
        "Region (departamento), canonical accented name",
        "Región (departamento), nombre oficial con tildes",
        "",
        "one of Peru's 25 regions, or empty",
    ),
    Column("province", "provincia", "Province", "Provincia", "", "text or empty"),
    Column("district", "distrito", "District", "Distrito", "", "text or empty"),
    Column(
        "lat",
        "latitud",
        "Latitude (WGS 84)",
        "Latitud (WGS 84)",
        "degrees",
        f"{PERU_BBOX['lat_min']} to {PERU_BBOX['lat_max'] + 0:.1f} (Peru), or empty",
    ),
    Column(
        "lon",
        "longitud",
        "Longitude (WGS 84)",
        "Longitud (WGS 84)",
        "degrees",
        f"{PERU_BBOX['lon_min']} to {PERU_BBOX['lon_max']} (Peru), or empty",
    ),
    Column("event_type", "tipo_evento", "What happened", "Qué ocurrió", "", _one_of(EVENT_TYPES)),
    Column(
        "count",
        "cantidad",
        "Number of events the row stands for (a report of 23 strips is one row, count 23)",
        "Número de eventos que representa la fila (un reporte de 23 pistas es una fila con cantidad 23)",
        "events",
        "whole number ≥ 1",
    ),
    Column(
        "route",
        "ruta",
        "Route of the cargo (seizures) or of the flight",
        "Ruta de la carga (decomisos) o del vuelo",
        "",
        _one_of(ROUTES) + ", or empty",
    ),
    Column("quantity_kg", "cantidad_kg", "Drugs seized", "Droga decomisada", "kilograms", "≥ 0, or empty"),
    Column(
        "airstrip_id",
        "id_pista",
        "Persistent id of a strip destroyed and rebuilt more than once",
        "Identificador persistente de una pista inhabilitada y rehabilitada más de una vez",
        "",
        "text or empty",
    ),
    Column(
        "geo_precision",
        "precision_geo",
        "How exact the location is",
        "Qué tan exacta es la ubicación",
        "",
        _one_of(GEO_PRECISIONS),
    ),
    Column(
        "provenance",
        "procedencia",
        "reported: from a cited source; simulated: the seeded demo generator (not evidence)",
        "reported: de una fuente citada; simulated: el generador de demostración (no es evidencia)",
        "",
        _one_of(PROVENANCES),
    ),
    Column(
        "source_id",
        "id_fuente",
        "The cited source (see the sources table / the XLSX 'about' sheet)",
        "La fuente citada (ver la tabla de fuentes / la hoja «about» del XLSX)",
        "",
        "text; empty for simulated rows",
    ),
    Column(
        "notes",
        "notas",
        "Free text from the source or the importer",
        "Texto libre de la fuente o de quien importó",
        "",
        "text",
    ),
    Column(
        "data_version",
        "version_datos",
        "Version of the built data the file was exported from",
        "Versión de los datos de la que se exportó el archivo",
        "",
        "12 hex digits",
    ),
    Column(
        "view_link",
        "enlace_vista",
        "Link that reopens the exact view the file came from",
        "Enlace que reabre la vista exacta de la que salió el archivo",
        "",
        "URL",
    ),
)

BY_NAME = {c.name: c for c in COLUMNS}


def label(column: str, lang: str) -> str:
    """A column's name for people: English snake_case stays for machines, Spanish gets its label."""
    entry = BY_NAME.get(column)
    if entry is None:
        return column
    return entry.label_es if lang == "es" else column.replace("_", " ")


def frame() -> pd.DataFrame:
    """The codebook as a table (one row per exported column, in export order)."""
    missing = [c for c in EVENT_COLUMNS if c not in BY_NAME]
    if missing:  # a schema column without a meaning would ship undocumented
        raise ValueError(f"codebook lacks {missing}")
    return pd.DataFrame(
        [(c.name, c.label_es, c.meaning_en, c.meaning_es, c.unit, c.allowed) for c in COLUMNS],
        columns=["column", "column_es", "meaning_en", "meaning_es", "unit", "allowed_values"],
    )


def markdown() -> str:
    """The README section's table."""
    rows = [
        "| column | en español | meaning | significado | unit | allowed values |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        cells = (f"`{c.name}`", f"`{c.label_es}`", c.meaning_en, c.meaning_es, c.unit, c.allowed)
        rows.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(rows)
