"""CSV that is safe to open in a spreadsheet: every CSV the app writes goes through here.

Kept apart from lib.export (charts, kaleido) so that lib.ingest's command line can use it without
importing Plotly.
"""

from __future__ import annotations

import pandas as pd

# A text cell starting with one of these is evaluated as a formula by Excel or LibreOffice
# (OWASP, "CSV Injection"): `=HYPERLINK(...)`, `+cmd|...`, `-2+3`, `@SUM(...)`, and tab or CR first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas: those that would get a leading apostrophe.

    Numbers stay numbers (a negative longitude is not text); only string cells change, and the
    apostrophe is what the spreadsheets themselves use to mean "this is text".
    """
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        text = col.map(lambda v: isinstance(v, str))
        as_text = col.where(text, "").astype(str)
        # A plain number written as text ("-9.38" in a template) is data, not a formula: it stays.
        risky = text & as_text.str.startswith(_FORMULA_START) & ~as_text.str.fullmatch(_PLAIN_NUMBER)
        if risky.any():
            out[name] = col.astype(object).where(~risky, "'" + col.where(risky, "").astype(str))
    return out


def safe_csv_bytes(df: pd.DataFrame) -> bytes:
    """Any table as CSV the way every CSV of the app is written: UTF-8 with BOM, formulas neutralised,
    CRLF rows (RFC 4180), so a cell holding a bare CR is quoted instead of splitting its row."""
    return spreadsheet_safe(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
