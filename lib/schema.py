"""The data model's vocabulary: allowed values, column order and types, areas and regions.

Everything that validates (URL parsing, ingest, the generator, the build) reads these
constants, so a new event type or area is added in one place.
"""

from __future__ import annotations

import unicodedata

import pyarrow as pa

EVENT_TYPES: tuple[str, ...] = (
    "airstrip_destroyed",
    "airstrip_detected",
    "airstrip_rebuilt",
    "flight_detected",
    "aircraft_interdicted",
    "seizure",
)
ROUTES: tuple[str, ...] = ("air", "land", "river", "sea")
# Kinds of sourced fact on the Evidence page (lib.queries.evidence_timeline).
EVIDENCE_KINDS: tuple[str, ...] = (
    "event",
    "coca",
    "policy",
    "route_share",
    "flights",
    "eradication",
    "indicator",
)
PROVENANCES: tuple[str, ...] = ("reported", "simulated")
DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "period")
GEO_PRECISIONS: tuple[str, ...] = ("exact", "district", "province", "region")

# Peru's 25 regions (departamentos, with Callao), canonical accented names.
REGIONS: tuple[str, ...] = (
    "Amazonas",
    "Áncash",
    "Apurímac",
    "Arequipa",
    "Ayacucho",
    "Cajamarca",
    "Callao",
    "Cusco",
    "Huancavelica",
    "Huánuco",
    "Ica",
    "Junín",
    "La Libertad",
    "Lambayeque",
    "Lima",
    "Loreto",
    "Madre de Dios",
    "Moquegua",
    "Pasco",
    "Piura",
    "Puno",
    "San Martín",
    "Tacna",
    "Tumbes",
    "Ucayali",
)

# Analysis areas and the regions each draws on. A region may belong to several areas
# (Huánuco holds part of Pichis-Palcazú and of the Alto Huallaga); an event carries one area.
# "Nacional" is for reports that cover the whole country and name no region.
AREA_REGIONS: dict[str, tuple[str, ...]] = {
    "VRAEM": ("Apurímac", "Ayacucho", "Cusco", "Huancavelica", "Junín"),
    "Pichis-Palcazú": ("Huánuco", "Pasco"),
    "Ucayali": ("Ucayali",),
    "Huallaga": ("Huánuco", "San Martín"),
    "Puno": ("Puno",),
    "Nacional": (),
}
AREAS: tuple[str, ...] = tuple(AREA_REGIONS)

# Column order and Arrow types of the events table. Parquet files, exports and imports use it.
EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("date", pa.date32()),
        ("date_end", pa.date32()),
        ("date_precision", pa.string()),
        ("area", pa.string()),
        ("region", pa.string()),
        ("province", pa.string()),
        ("district", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("event_type", pa.string()),
        ("count", pa.int32()),
        ("route", pa.string()),
        ("quantity_kg", pa.float64()),
        ("airstrip_id", pa.string()),
        ("geo_precision", pa.string()),
        ("provenance", pa.string()),
        ("source_id", pa.string()),
        ("notes", pa.string()),
    ]
)
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENTS_SCHEMA.names)

# Peru's bounding box (with a small margin): coordinates outside it are rejected.
PERU_BBOX = {"lat_min": -18.6, "lat_max": -0.0, "lon_min": -81.6, "lon_max": -68.4}


def fold(text: str) -> str:
    """Lower-case, strip accents and surrounding space: 'Huánuco ' -> 'huanuco'.

    Used wherever a person types a name (URL, uploaded file), so case and accents never
    make a valid value fail.
    """
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_PLACE_BY_FOLD: dict[str, str] = {fold(n): n for n in (*AREAS, *REGIONS)}
_REGION_BY_FOLD: dict[str, str] = {fold(n): n for n in REGIONS}


def canonical_place(text: str) -> str | None:
    """An area or region name in canonical form, or None if it is neither."""
    return _PLACE_BY_FOLD.get(fold(text))


def canonical_region(text: str) -> str | None:
    """A region name in canonical form, or None."""
    return _REGION_BY_FOLD.get(fold(text))
