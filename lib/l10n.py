"""Numbers, dates and chart locales for the page's language, from Babel (CLDR) and Plotly.

One convention per language, everywhere: English as CLDR `en` (3,809 · 0.71), Spanish as CLDR `es`
(3.809 · 0,71: decimal comma, a point between thousands, month
abbreviations "ene., feb., …, set." as Peru writes them). Charts get the same through Plotly's own
locale mechanism: `plotly_config(lang)` registers a Spanish locale (months, days, separators) in
the chart's config, so axis dates and hover numbers follow; exported images get the separators in
their layout (`plotly_separators`).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from lib import codebook
from lib.i18n import MONTHS

LOCALES = {"en": "en", "es": "es"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "en")


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """A number with `digits` decimals, separators for the language; "—" when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def percent(value: float | None, lang: str, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=_locale(lang))


def month(value: dt.date, lang: str) -> str:
    """'Jul 2013' / 'jul. 2013' (Peru's abbreviations: set. for setiembre)."""
    return f"{MONTHS['es' if lang == 'es' else 'en'][value.month - 1]} {value.year}"


def date(value: dt.date, lang: str) -> str:
    """A day in the language's medium form: 'Aug 20, 2015' / '20 ago. 2015'."""
    return format_date(value, format="medium", locale=_locale(lang))


def plotly_separators(lang: str) -> str:
    """Plotly's layout.separators: decimal mark then thousands mark."""
    return ",." if lang == "es" else ".,"


# Plotly.js locale format (the fields of its locale files, e.g. plotly-locale-es.js), with Peru's
# month abbreviations. Passed in each chart's config, so nothing has to load from a CDN.
_ES_FORMAT = {
    "days": ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    "shortDays": ["dom.", "lun.", "mar.", "mié.", "jue.", "vie.", "sáb."],
    "months": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "setiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "shortMonths": list(MONTHS["es"]),
    "date": "%d/%m/%Y",
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["S/ ", ""],
}
_ES_DICTIONARY = {
    "Autoscale": "Autoescalar",
    "Box Select": "Seleccionar con caja",
    "Lasso Select": "Seleccionar con lazo",
    "Pan": "Desplazar",
    "Reset axes": "Restablecer ejes",
    "Zoom": "Zoom",
    "Zoom in": "Acercar",
    "Zoom out": "Alejar",
    "Double-click to zoom back out": "Doble clic para alejar",
    "Click to enter Colorscale title": "Clic para escribir el título de la escala de colores",
}


def plotly_config(lang: str) -> dict:
    """Config entries that make a chart speak the language (merge into st.plotly_chart's config)."""
    if lang != "es":
        return {}
    return {"locale": "es", "locales": {"es": {"dictionary": _ES_DICTIONARY, "format": _ES_FORMAT}}}


# Column names of the analysis tables (Impact, Routes, uploads) as people read them. Exported CSVs
# keep the machine names; the codebook names the event columns in both languages.
TABLE_COLUMNS: dict[str, tuple[str, str]] = {
    # Event columns whose codebook names (ASCII, for machines) do not read as headings.
    "event_id": ("Event ID", "ID del evento"),
    "date_end": ("End date", "Fecha final"),
    "date_precision": ("Date precision", "Precisión de la fecha"),
    "region": ("Region", "Región"),
    "event_type": ("Event type", "Tipo de evento"),
    "quantity_kg": ("Quantity (kg)", "Cantidad (kg)"),
    "airstrip_id": ("Airstrip ID", "ID de la pista"),
    "geo_precision": ("Location precision", "Precisión de la ubicación"),
    "source_id": ("Source ID", "ID de la fuente"),
    "data_version": ("Data version", "Versión de datos"),
    "view_link": ("View link", "Enlace a la vista"),
    "area": ("Area", "Ámbito"),
    "route": ("Route", "Ruta"),
    "note": ("Note", "Nota"),
    "months_before": ("Months before", "Meses antes"),
    "months_after": ("Months after", "Meses después"),
    "events_before": ("Events before", "Eventos antes"),
    "events_after": ("Events after", "Eventos después"),
    "rate_before": ("Per month before", "Por mes antes"),
    "rate_after": ("Per month after", "Por mes después"),
    "rate_ratio": ("Rate ratio", "Razón de tasas"),
    "ci_low": ("95% low", "IC 95% inf."),
    "ci_high": ("95% high", "IC 95% sup."),
    "p_value": ("p-value", "Valor p"),
    "dispersion": ("Dispersion", "Dispersión"),
    "share_before": ("Share before", "Proporción antes"),
    "share_before_low": ("Share before, 95% low", "Proporción antes, IC inf."),
    "share_before_high": ("Share before, 95% high", "Proporción antes, IC sup."),
    "share_after": ("Share after", "Proporción después"),
    "share_after_low": ("Share after, 95% low", "Proporción después, IC inf."),
    "share_after_high": ("Share after, 95% high", "Proporción después, IC sup."),
    "change": ("Change (points)", "Cambio (puntos)"),
    "change_low": ("Change, 95% low", "Cambio, IC inf."),
    "change_high": ("Change, 95% high", "Cambio, IC sup."),
    "reason": ("Reason", "Motivo"),
    "rows": ("Rows", "Filas"),
    "row": ("Row", "Fila"),
    "column": ("Column", "Columna"),
    "value": ("Value", "Valor"),
    "message": ("Message", "Mensaje"),
    "share": ("Share", "Proporción"),
    "share_low": ("95% low", "IC 95% inf."),
    "share_high": ("95% high", "IC 95% sup."),
    "scope": ("Scope", "Alcance"),
    "source_title": ("Source", "Fuente"),
    "source_url": ("Link", "Enlace"),
    "title": ("Title", "Título"),
    "publisher": ("Publisher", "Medio"),
    "url": ("Link", "Enlace"),
    "rows_cited": ("Rows citing it", "Filas que la citan"),
    "year": ("Year", "Año"),
    "period": ("Period", "Periodo"),
}


def column_label(column: str, lang: str) -> str:
    """A column's heading for people, in the language (tables on the page and in reports)."""
    if column in TABLE_COLUMNS:
        en, es = TABLE_COLUMNS[column]
        return es if lang == "es" else en
    if column in codebook.BY_NAME:
        label = codebook.label(column, lang).replace("_", " ")
        return label[:1].upper() + label[1:]
    return column.replace("_", " ").capitalize() if lang == "en" else column.replace("_", " ")


def display_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table as a person reads it: headings in the language, blanks instead of None/NaN."""
    out = df.rename(columns={c: column_label(str(c), lang) for c in df.columns})
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
            continue  # numbers keep their type (sorting, alignment); Streamlit leaves their blanks empty
        out[name] = col.astype(object).where(col.notna(), "")
    return out
