"""What the upload check says, in the page's language.

lib.ingest writes its reports in English (the CLI, the logs and the problems CSV keep those
words: stable for scripts). The Data page shows them through here: the summary and the warnings
in Spanish for `lang=es`, each reason by its Spanish name, and a fatal error as a Spanish headline
for its reason with the checker's exact detail beneath it (names, rows, limits), marked as English.
"""

from __future__ import annotations

import re

from lib import ingest, l10n

# reason (IngestReport.counts / the problems' "reason") -> Spanish
REASONS_ES: dict[str, str] = {
    ingest.UNKNOWN_REGION: "región desconocida",
    ingest.UNKNOWN_AREA: "ámbito desconocido",
    ingest.REGION_OUTSIDE_AREA: "región fuera del ámbito",
    ingest.FUTURE_DATE: "fecha futura",
    ingest.UNPARSEABLE_DATE: "fecha ilegible",
    ingest.END_BEFORE_START: "date_end anterior a date",
    ingest.MISSING_VALUE: "valor faltante",
    ingest.OUTSIDE_PERU: "coordenadas fuera del Perú",
    ingest.SWAPPED: "coordenadas al parecer invertidas",
    ingest.BAD_COORDINATE: "coordenada ilegible",
    ingest.INCOMPLETE_COORDINATES: "coordenadas incompletas",
    ingest.NOT_POSITIVE: "cantidad negativa o cero",
    ingest.NOT_INTEGER: "cantidad no entera",
    ingest.DUPLICATE_ID: "event_id duplicado",
    ingest.RESERVED_ID: "event_id reservado",
    ingest.UNKNOWN_TYPE: "tipo de evento desconocido",
    ingest.UNKNOWN_ROUTE: "ruta desconocida",
    ingest.BAD_QUANTITY: "cantidad no válida",
    ingest.UNKNOWN_PRECISION: "precisión desconocida",
    ingest.MISSING_SOURCE: "falta la fuente",
    ingest.UNKNOWN_SOURCE: "source_id desconocido",
    ingest.BAD_URL: "URL de fuente no válida",
    ingest.NOT_REPORTED: "no es una fila reportada",
    ingest.NOT_PERU: "fuera del Perú",
    ingest.EXTRA_VALUES: "valores de más",
    ingest.MISSING_COLUMN: "falta una columna obligatoria",
    ingest.DUPLICATE_COLUMN: "columna duplicada",
    ingest.EMPTY_FILE: "archivo vacío",
    ingest.UNREADABLE: "archivo ilegible",
    ingest.TOO_LARGE: "demasiado grande",
    ingest.TOO_MANY_ROWS: "demasiadas filas",
    ingest.TOO_MANY_COLUMNS: "demasiadas columnas",
    ingest.NOT_UTF8: "no está en UTF-8",
    ingest.ACLED_TYPE_NEEDED: "falta el tipo de evento ACLED",
    ingest.NOTHING_TO_ROLL_BACK: "nada que revertir",
    ingest.INVALID_ROWS: "filas no válidas",
}

# A fatal reason -> what to do, in Spanish (the headline above the checker's own detail).
FATAL_ES: dict[str, str] = {
    ingest.MISSING_COLUMN: "Al archivo le falta una columna obligatoria. Use la plantilla de arriba.",
    ingest.DUPLICATE_COLUMN: "Una columna aparece dos veces en el encabezado; deje solo una.",
    ingest.EMPTY_FILE: "El archivo está vacío o solo tiene encabezado.",
    ingest.UNREADABLE: "No se pudo leer el archivo: debe ser CSV, XLSX o Parquet.",
    ingest.TOO_LARGE: "El archivo supera el tamaño permitido; divídalo en archivos más pequeños.",
    ingest.TOO_MANY_ROWS: "El archivo tiene más filas de las permitidas; divídalo en archivos más pequeños.",
    ingest.TOO_MANY_COLUMNS: "El archivo tiene más columnas de las permitidas; quite las que no use.",
    ingest.NOT_UTF8: "El archivo mezcla codificaciones: guárdelo como UTF-8.",
    ingest.ACLED_TYPE_NEEDED: "Es una exportación de ACLED: elija abajo qué tipo de evento contiene.",
    ingest.INVALID_ROWS: "Hay filas no válidas: no se escribió nada.",
}

# Warnings lib.ingest writes, by their opening words -> Spanish (values carried over).
_WARNINGS_ES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(re.escape(ingest.CP1252_NOTE)),
        "leído como Windows-1252 (Latin-1): el archivo no está en UTF-8; guárdelo como UTF-8 para "
        "que las tildes se lean bien",
    ),
    (
        re.compile(r"no count column: every row counts as 1 event"),
        "sin columna count: cada fila cuenta como 1 evento",
    ),
    (re.compile(r"ignored columns: (?P<cols>.*)"), "columnas ignoradas: {cols}"),
    (
        re.compile(r"(?P<n>\d+) rows are the template's example rows .*"),
        "{n} filas son las filas de ejemplo de la plantilla (sus notas empiezan por «EXAMPLE ROW»): "
        "bórrelas salvo que quiera importarlas",
    ),
]


def reason(name: str, lang: str) -> str:
    return REASONS_ES.get(name, name) if lang == "es" else name


def warning(text: str, lang: str) -> str:
    """A report warning in `lang` (an unknown one stays in English)."""
    if lang != "es":
        return text
    for pattern, es in _WARNINGS_ES:
        if m := pattern.fullmatch(text):
            return es.format(**m.groupdict())
    return text


def fatal(report: ingest.IngestReport, lang: str) -> tuple[str, str | None]:
    """(headline, detail): in English the checker's message alone; in Spanish a headline for the
    reason, and the message as the detail."""
    if lang != "es":
        return report.fatal or "", None
    headline = FATAL_ES.get(report.fatal_reason or "", FATAL_ES[ingest.UNREADABLE])
    return headline, report.fatal


def summary(report: ingest.IngestReport, lang: str) -> str:
    """ingest.IngestReport.summary, in `lang`."""
    if lang != "es":
        return report.summary()
    n = lambda v: l10n.number(v, lang)  # noqa: E731
    kind = "exportación de ACLED" if report.format == "acled" else "tabla de Pistas"
    name = f"{report.filename}: " if report.filename else ""
    text = (
        f"{name}{kind}, {n(report.rows_read)} filas leídas: {n(len(report.valid))} nuevas y válidas, "
        f"{n(report.invalid_rows)} no válidas, {n(report.already_imported)} ya están en los datos."
    )
    if report.counts:
        text += (
            " Problemas: " + ", ".join(f"{reason(r, lang)} {n(c)}" for r, c in report.counts.items()) + "."
        )
    return text
