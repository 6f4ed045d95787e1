"""Exports for analysts and presenters: chart images, data files, a one-file report, a zip.

Contract
--------
* Every builder is a pure function of its arguments and returns ``bytes``; nothing is
  written to disk. Pages call them from download callbacks, never on every rerun.
* Data files (CSV, XLSX, Parquet) hold exactly the rows and columns they are given, in
  that order, and refuse a frame without a ``provenance`` column, so simulated rows can
  never leave the app looking like reported ones.
  - CSV is a plain table (UTF-8 with BOM so Excel shows accents) that round-trips
    through ``pandas.read_csv(..., encoding="utf-8-sig")``; context lives elsewhere.
  - XLSX has a ``data`` sheet and an ``about`` sheet (view link, filters, data version,
    sources, provenance note, export time in UTC).
  - Parquet uses ``lib.schema.EVENTS_SCHEMA`` when the columns are the events columns
    and keeps the context in the schema's key-value metadata (keys ``pistas.*``).
* Chart images (PNG/SVG) are rendered by kaleido 1.x in ONE long-lived headless
  Chromium per process (started on first use, reused afterwards). The caption and the
  simulated-data mark are drawn on a copy of the figure; the caller's figure is never
  changed. ``image_export_available()`` tells the UI whether this can work and why not;
  a failure raises ``ExportUnavailable`` with a message fit for the UI.
  The browser is looked up in: env ``PISTAS_CHROMIUM``, env ``BROWSER_PATH``
  (choreographer's own override), ``/usr/bin/chromium``, then choreographer's search
  (Chrome on PATH, ``kaleido_get_chrome`` download).
* ``report_html`` returns one self-contained HTML file (plotly.js inlined once, inline
  CSS, every text escaped, a Content-Security-Policy that forbids network requests).
  It opens offline, e.g. from a USB stick. The only URLs are navigations: ``<a href>``
  to the view link and to source pages, and only for http(s) URLs.
* ``bundle_zip`` packs files plus a README.txt (made with ``bundle_readme``) in a
  deterministic order with fixed timestamps.

Imports no Streamlit; kaleido is imported lazily, only when an image is requested.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import json
import math
import os
import re
import textwrap
import threading
import time
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
import pyarrow.parquet as pq

from lib import codebook
from lib.safe_csv import safe_csv_bytes, spreadsheet_safe
from lib.schema import EVENT_COLUMNS, EVENTS_SCHEMA

__all__ = [
    "ExportMeta",
    "ExportUnavailable",
    "annotated_copy",
    "bundle_readme",
    "bundle_zip",
    "csv_bytes",
    "safe_csv_bytes",
    "spreadsheet_safe",
    "export_filename",
    "figure_png",
    "figure_svg",
    "image_export_available",
    "parquet_bytes",
    "plotly_download_config",
    "report_html",
    "xlsx_bytes",
]


class ExportUnavailable(RuntimeError):
    """Image export cannot run here (no Chromium, or it failed). ``str()`` is for the UI."""


def _now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ExportMeta:
    """Context written next to exported data (XLSX ``about`` sheet, Parquet metadata)."""

    view_link: str
    data_version: str
    filters: Mapping[str, str]
    provenance_note: str
    exported_at: dt.datetime = field(default_factory=_now_utc)
    title: str = ""

    def __post_init__(self) -> None:
        # A copy: the caller mutating its dict later must not change what an already-built
        # export claims about itself. (A plain dict, not a MappingProxy, so the object
        # still pickles, e.g. for Streamlit's cache.)
        object.__setattr__(self, "filters", {str(k): str(v) for k, v in self.filters.items()})
        stamp = self.exported_at
        # Naive times are taken as UTC; everything is stored in UTC so files from
        # different machines compare.
        stamp = stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)
        object.__setattr__(self, "exported_at", stamp)

    @property
    def exported_at_iso(self) -> str:
        return self.exported_at.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------
# Chart images (kaleido + one long-lived Chromium)
# ---------------------------------------------------------------------------------------

CHROMIUM_ENV = "PISTAS_CHROMIUM"
_DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Per-render limit inside kaleido, and our own watchdog on top of it (startup included).
_RENDER_TIMEOUT_S = 60.0
_WATCHDOG_S = _RENDER_TIMEOUT_S + 30.0
# After Chromium failed to start, report "unavailable" for a while instead of paying a
# failed launch on every click; then allow another attempt (the cause may be transient).
_RETRY_AFTER_S = 300.0

# One lock for starting the server AND for each render: kaleido's sync server matches
# results to requests by queue order, not by caller, so two Streamlit sessions rendering
# at once could receive each other's image.
_SERVER_LOCK = threading.Lock()
_server_started = False  # True once this module started (or adopted) kaleido's server
_server_starts = 0  # how many times a server was started; stays 1 when reused
_last_failure: tuple[float, str] | None = None  # (monotonic time, reason)


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _find_chromium() -> tuple[str | None, str]:
    """The browser to use, or None and why not. Explicit settings are never skipped over:
    a wrong PISTAS_CHROMIUM is reported rather than silently replaced."""
    for env in (CHROMIUM_ENV, "BROWSER_PATH"):
        value = os.environ.get(env, "").strip()
        if value:
            if _executable(value):
                return value, f"Chromium from ${env}: {value}"
            return None, f"${env} is set to {value!r}, which is not an executable file."
    if _executable(_DEFAULT_CHROMIUM):
        return _DEFAULT_CHROMIUM, f"Chromium at {_DEFAULT_CHROMIUM}"
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - best effort search; any error means "not found"
        found = None
    if found and _executable(found):
        return found, f"Chrome/Chromium at {found}"
    return None, (
        "No Chromium or Chrome found for image export. Install it (Debian: apt-get install "
        f"chromium) or set ${CHROMIUM_ENV} to the browser executable. Charts can still be "
        "saved with the camera button of the chart toolbar."
    )


def image_export_available() -> tuple[bool, str]:
    """Whether PNG/SVG export can run in this process, and a message saying why (not)."""
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        return False, f"Image export needs the kaleido package ({exc})."
    path, why = _find_chromium()
    if path is None:
        return False, why
    if _last_failure is not None and time.monotonic() - _last_failure[0] < _RETRY_AFTER_S:
        return False, _last_failure[1]
    return True, why


def _server_thread_alive() -> bool:
    """kaleido keeps its server thread private; if it died (Chromium failed to start or
    crashed) a sync call would block forever, so we look. Unknown layout -> assume alive
    and rely on the watchdog timeout."""
    import kaleido

    thread = getattr(getattr(kaleido, "_global_server", None), "_thread", None)
    return thread.is_alive() if isinstance(thread, threading.Thread) else True


def _ensure_server() -> None:
    """Start kaleido's process-wide server once. Caller holds _SERVER_LOCK."""
    global _server_started, _server_starts
    import kaleido

    if _server_started and kaleido._global_server.is_running() and _server_thread_alive():
        return
    ok, why = image_export_available()
    if not ok:
        raise ExportUnavailable(why)
    if kaleido._global_server.is_running() and _server_thread_alive():
        # Someone else in the process (e.g. plotly's fig.to_image after a start) already
        # runs one; kaleido allows a single server, so adopt it.
        _server_started = True
        return
    kaleido.stop_sync_server(silence_warnings=True)  # clears a dead server, if any
    path, _ = _find_chromium()
    # path= is passed explicitly (not via the BROWSER_PATH env) so nothing else in the
    # process is affected. choreographer runs Chromium headless with --no-sandbox by
    # default (enable_sandbox=False), which running as root requires. mathjax=False:
    # kaleido would otherwise load MathJax from a CDN, which fails offline.
    kaleido.start_sync_server(path=path, mathjax=False, timeout=_RENDER_TIMEOUT_S, silence_warnings=True)
    _server_started = True
    _server_starts += 1


def _fail(reason: str) -> ExportUnavailable:
    """Record a server failure, reset the server so a later call starts afresh."""
    global _last_failure, _server_started
    import kaleido

    _last_failure = (time.monotonic(), reason)
    _server_started = False
    if not _server_thread_alive():
        kaleido.stop_sync_server(silence_warnings=True)
    return ExportUnavailable(reason)


def _render(fig: go.Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
    import kaleido

    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    with _SERVER_LOCK:
        _ensure_server()
        box: dict[str, Any] = {}
        done = threading.Event()

        def call() -> None:
            try:
                box["ok"] = kaleido.calc_fig_sync(fig.to_dict(), opts=opts)
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["err"] = exc
            finally:
                done.set()

        # The call runs in a helper thread so that we can notice a dead server instead
        # of blocking the Streamlit session forever (kaleido's queue.join never returns
        # then). In that rare case the helper thread stays blocked; it is a daemon.
        threading.Thread(target=call, name="pistas-kaleido-call", daemon=True).start()
        deadline = time.monotonic() + _WATCHDOG_S
        while not done.wait(0.1):
            if not _server_thread_alive():
                path, _ = _find_chromium()
                raise _fail(f"Chromium ({path}) did not start or stopped while exporting the image.")
            if time.monotonic() > deadline:
                raise _fail(f"Image export timed out after {_WATCHDOG_S:.0f} s.")
    if "err" in box:
        raise ExportUnavailable(f"Image export failed: {box['err']}") from box["err"]
    return box["ok"]


_CAPTION_FONT_PX = 13
_PLOTLY_DEFAULT_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}


def _plotly_text(text: str) -> str:
    """Plotly reads <b>, <a href>, <br> in annotation text; captions hold user text
    (filter values), so show it literally. Plotly decodes &lt; &gt; &amp;."""
    return html.escape(text, quote=False)


_TITLE_FONT_PX, _SUBTITLE_FONT_PX = 22, 14


def _title_block(out: go.Figure, m: dict, title: str, subtitle: str, width: int) -> dict:
    """Title (bold) and subtitle at the top left, in their own top margin: a slide or a report
    page that shows only the image still says what it is and for which view."""
    chars = max(20, int((width - m["l"] - m["r"]) / (_SUBTITLE_FONT_PX * 0.55)))
    sub_lines = textwrap.wrap(subtitle, chars) if subtitle else []
    top = 24 + _TITLE_FONT_PX + len(sub_lines) * (_SUBTITLE_FONT_PX + 5) + 16
    out.update_layout(
        title={
            "text": f"<b>{_plotly_text(title)}</b>",
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 18},
            "font": {"size": _TITLE_FONT_PX, "color": "#111111"},
            "subtitle": {
                "text": "<br>".join(_plotly_text(x) for x in sub_lines),
                "font": {"size": _SUBTITLE_FONT_PX, "color": "#444444"},
            },
        },
    )
    return {**m, "t": max(m["t"], top + 12)}


def _legend_inside(out: go.Figure) -> None:
    """A legend at the right edge of the page can be cut ("VRAEM (simulatec"): put it under the plot."""
    if out.layout.showlegend is False or not any(
        getattr(tr, "showlegend", None) is not False for tr in out.data
    ):
        return
    if isinstance(out.layout.meta, dict) and out.layout.meta.get("legend") == "side":
        return  # a figure that places its own legend beside the plot (the static map)
    out.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.12, "yanchor": "top"})


def annotated_copy(
    fig: go.Figure,
    *,
    caption: str,
    simulated_mark: str | None,
    width: int,
    height: int,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """A copy of ``fig`` sized for export: its title and subtitle at the top (when given), the
    caption (sources, link, data version) at the bottom and, when given, the simulated-data mark
    (a corner label plus a faint diagonal watermark that survives cropping on a slide). The
    caller's figure is untouched."""
    out = go.Figure(fig)  # deep copy
    margin = out.layout.margin
    m = {
        k: (getattr(margin, k) if getattr(margin, k) is not None else v)
        for k, v in _PLOTLY_DEFAULT_MARGIN.items()
    }
    out.update_layout(width=width, height=height)
    if title:
        m = _title_block(out, m, title, subtitle, width)
        out.update_layout(margin=m)
        _legend_inside(out)
    if caption.strip():
        chars = max(20, int((width - m["l"] - m["r"]) / (_CAPTION_FONT_PX * 0.55)))
        lines = [w for part in caption.splitlines() for w in (textwrap.wrap(part, chars) or [""])]
        caption_px = len(lines) * (_CAPTION_FONT_PX + 4) + 12
        # The caption sits in extra bottom margin below the space the axes had, so tick
        # labels and axis titles keep their room.
        out.update_layout(margin={**m, "b": m["b"] + caption_px})
        out.add_annotation(
            text="<br>".join(_plotly_text(line) for line in lines),
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xanchor="left",
            yanchor="top",
            yshift=-m["b"],
            showarrow=False,
            align="left",
            font={"size": _CAPTION_FONT_PX, "color": "#555555"},
        )
    if simulated_mark:
        # The export's mark replaces the chart's own small corner mark (one label, not two).
        out.layout.annotations = [a for a in out.layout.annotations if a.name != "simulated-mark"]
        mark = _plotly_text(simulated_mark)
        out.add_annotation(
            text=f"<b>{mark}</b>",
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            yanchor="top",
            showarrow=False,
            font={"size": 16, "color": "#a30000"},
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor="#a30000",
            borderwidth=1.5,
            borderpad=5,
        )
        out.add_annotation(
            text=mark,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            textangle=-20,
            font={"size": max(24, height // 12), "color": "rgba(163,0,0,0.13)"},
        )
    return out


def figure_image(
    fig: go.Figure,
    fmt: str,
    *,
    caption: str,
    simulated_mark: str | None,
    width: int = 1600,
    height: int = 900,
    scale: float = 2,
    title: str = "",
    subtitle: str = "",
) -> bytes:
    """PNG (``width*scale`` x ``height*scale`` pixels) or SVG (vector; ``scale`` sets only its
    nominal size) of ``fig`` with title, subtitle, caption and mark, drawn on a copy."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"image format must be png or svg, not {fmt!r}")
    copy = annotated_copy(
        fig,
        caption=caption,
        simulated_mark=simulated_mark,
        width=width,
        height=height,
        title=title,
        subtitle=subtitle,
    )
    return _render(copy, fmt, width, height, scale)


def figure_png(fig: go.Figure, **kwargs: Any) -> bytes:
    return figure_image(fig, "png", **kwargs)


def figure_svg(fig: go.Figure, **kwargs: Any) -> bytes:
    return figure_image(fig, "svg", **kwargs)


def plotly_download_config(
    filename: str, *, width: int | None = None, height: int | None = None
) -> dict[str, Any]:
    """``config`` for ``st.plotly_chart``: the toolbar camera saves a PNG in the browser
    (no server, no Chromium) under a safe file name. width/height None = on-screen size."""
    stem = re.sub(r"\.(png|svg|jpe?g|webp)$", "", filename.strip(), flags=re.IGNORECASE)
    stem = _ascii_component(stem, 150) or "pistas_chart"
    return {
        "displaylogo": False,
        # Plotly's camera can only save the figure as drawn (no title, view or source lines, and a
        # legend cut at the edge); the page's image downloads describe themselves instead.
        "modeBarButtonsToRemove": ["toImage"],
        "toImageButtonOptions": {
            "format": "png",
            "filename": stem,
            "scale": 2,
            "width": width,
            "height": height,
        },
    }


# ---------------------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------------------


def _require_provenance(df: pd.DataFrame) -> None:
    if "provenance" not in df.columns:
        raise ValueError(
            "Export refused: the table has no 'provenance' column, so simulated rows "
            "could not be told from reported ones."
        )


def csv_bytes(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    """The rows as CSV, UTF-8 with BOM (Excel reads accents right), no index.

    A CSV has no place for metadata, so the data version and the view's link ride along as
    two trailing columns (`data_version`, `view_link`): a file that travels alone still says
    where it came from. It stays a plain table that round-trips through pandas, except that text
    cells Excel would run as formulas start with an apostrophe (`spreadsheet_safe`).
    """
    _require_provenance(df)
    return safe_csv_bytes(df.assign(data_version=meta.data_version, view_link=meta.view_link))


_XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included


def _xlsx_value(value: Any) -> Any:
    """A cell value openpyxl can write without changing what it means."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        return str(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones; openpyxl refuses aware datetimes. Store UTC.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        # Control characters are illegal in XLSX XML and would abort the whole export.
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, (int, float, bool, dt.date, dt.datetime, dt.time)):
        return value
    return str(value)


_SOURCE_COLUMNS = ("source_id", "title", "publisher", "date", "url")


def _xlsx_column(series: pd.Series) -> list[Any]:
    """A column as values openpyxl writes as they are (vectorised where the dtype allows)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        if (series.dropna() == series.dropna().dt.normalize()).all():  # dates: a date cell, not "0:00:00"
            return [None if pd.isna(v) else v.date() for v in series]
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype(object)
        return [None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in values]
    return [_xlsx_value(v) for v in series]


def _write_only_row(ws: Any, values: list[Any], font: Any = None) -> list[Any]:
    """Cells for ws.append in write-only mode; strings starting with '=' stay text."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if font is not None or (isinstance(value, str) and value.startswith("=")):
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a note "=1+1" or a hostile "=HYPERLINK(...)" is not a formula
            if font is not None:
                cell.font = font
            row.append(cell)
        else:
            row.append(value)
    return row


def _codebook_sheet(wb: Any, bold: Any) -> None:
    """Sheet ``codebook``: every column's meaning, unit and allowed values, in both languages."""
    book = codebook.frame()
    ws = wb.create_sheet("codebook")
    for letter, width in zip("ABCDEF", (16, 16, 60, 60, 18, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(_write_only_row(ws, list(book.columns), bold))
    for values in book.itertuples(index=False, name=None):
        ws.append(_write_only_row(ws, [_xlsx_value(v) for v in values]))


def xlsx_bytes(df: pd.DataFrame, meta: ExportMeta, sources: pd.DataFrame | None) -> bytes:
    """Workbook with sheets ``data`` (the rows), ``about`` (the context) and ``codebook``.

    Written in openpyxl's write-only mode with values prepared column by column: about ten
    times faster than cell by cell, so a 30k-row view exports in about a second.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    _require_provenance(df)
    if len(df) + 1 > _XLSX_MAX_ROWS:
        raise ValueError(f"{len(df)} rows do not fit in one Excel sheet; export CSV or Parquet.")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    bold = Font(bold=True)
    ws.freeze_panes = "A2"
    for j, name in enumerate(df.columns, start=1):
        sample = [str(name), *(str(v) for v in df.iloc[:200, j - 1].tolist())]
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, *map(len, sample)) + 2)
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
    ws.append(_write_only_row(ws, [_xlsx_value(str(name)) for name in df.columns], bold))
    columns = [_xlsx_column(df.iloc[:, j]) for j in range(len(df.columns))]
    for values in zip(*columns, strict=True):
        ws.append(_write_only_row(ws, list(values)))

    about = wb.create_sheet("about")
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 80
    rows: list[tuple[str, Any]] = [
        ("title", meta.title),
        ("view_link", meta.view_link),
        ("data_version", meta.data_version),
        ("exported_at_utc", meta.exported_at_iso),
        ("provenance", meta.provenance_note),
        ("rows", len(df)),
        *((f"filter: {k}", v) for k, v in meta.filters.items()),
    ]
    for key, value in rows:
        about.append(
            [
                _write_only_row(about, [_xlsx_value(key)], bold)[0],
                *_write_only_row(about, [_xlsx_value(value)]),
            ]
        )
    if sources is not None and len(sources.columns):
        cols = [c for c in _SOURCE_COLUMNS if c in sources.columns] or list(sources.columns)
        about.append([])
        about.append(_write_only_row(about, ["sources"], bold))
        about.append(_write_only_row(about, list(cols), bold))
        for srow in sources[cols].itertuples(index=False, name=None):
            about.append(_write_only_row(about, [_xlsx_value(v) for v in srow]))

    _codebook_sheet(wb, bold)

    # Document properties carry the export time, not the moment of saving.
    stamp = meta.exported_at.replace(tzinfo=None)
    wb.properties.created = stamp
    wb.properties.title = meta.title or None
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _arrow_table(df: pd.DataFrame) -> pa.Table:
    if set(df.columns) == set(EVENT_COLUMNS) and len(df.columns) == len(EVENT_COLUMNS):
        # The events table: cast to the canonical schema (column order included) so a
        # re-import or DuckDB sees the same types as the app's own files.
        return pa.Table.from_pandas(df[list(EVENT_COLUMNS)], schema=EVENTS_SCHEMA, preserve_index=False)
    return pa.Table.from_pandas(df, preserve_index=False)


def parquet_bytes(df: pd.DataFrame, meta: ExportMeta) -> bytes:
    """The rows as Parquet; the context is in the schema metadata under ``pistas.*``."""
    _require_provenance(df)
    table = _arrow_table(df)
    extra = {
        b"pistas.title": meta.title,
        b"pistas.view_link": meta.view_link,
        b"pistas.data_version": meta.data_version,
        b"pistas.filters": json.dumps(dict(meta.filters), ensure_ascii=False, sort_keys=True),
        b"pistas.provenance_note": meta.provenance_note,
        b"pistas.exported_at": meta.exported_at_iso,
    }
    # Keep pandas' own metadata (dtypes for a faithful read_parquet) alongside ours.
    merged = {**(table.schema.metadata or {}), **{k: v.encode("utf-8") for k, v in extra.items()}}
    table = table.replace_schema_metadata(merged)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------

_PLACES_MAX = 60


def _ascii_component(text: str, limit: int) -> str:
    """ASCII letters, digits and single hyphens: 'Huánuco / ..' -> 'Huanuco'."""
    folded = unicodedata.normalize("NFKD", str(text))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")
    return safe[:limit].strip("-")


def export_filename(kind: str, places: list[str], start: str, end: str, ext: str) -> str:
    """``pistas_<kind>_<places>_<start>_<end>.<ext>``, safe on every OS whatever the input.

    Places are joined with '-'; none -> 'all'; too many to read -> '<n>-places'.
    Empty parts are dropped. At most ~150 characters.
    """
    safe_ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:8]
    if not safe_ext:
        raise ValueError(f"Bad file extension: {ext!r}")
    names = list(dict.fromkeys(p for p in (_ascii_component(x, 40) for x in places) if p))
    joined = "-".join(names)
    if not names:
        where = "all"
    elif len(joined) > _PLACES_MAX:
        where = f"{len(names)}-places"
    else:
        where = joined
    parts = [
        "pistas",
        _ascii_component(kind, 30) or "export",
        where,
        _ascii_component(start, 10),
        _ascii_component(end, 10),
    ]
    return "_".join(p for p in parts if p) + "." + safe_ext


# ---------------------------------------------------------------------------------------
# Report (one self-contained HTML file)
# ---------------------------------------------------------------------------------------

REPORT_TABLE_MAX_ROWS = 500

_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "kpis": "Cifras clave",
        "figures": "Gráficos",
        "tables": "Tablas",
        "sources": "Fuentes",
        "view": "Vista en el tablero",
        "version": "Versión de datos",
        "generated": "Generado (UTC)",
        "simulated": "Datos simulados",
        "truncated": "Se muestran las primeras {shown} de {total} filas.",
        "no_sources": "Sin fuentes.",
    },
    "en": {
        "kpis": "Key figures",
        "figures": "Charts",
        "tables": "Tables",
        "sources": "Sources",
        "view": "View in the dashboard",
        "version": "Data version",
        "generated": "Generated (UTC)",
        "simulated": "Simulated data",
        "truncated": "Showing the first {shown} of {total} rows.",
        "no_sources": "No sources.",
    },
}

# The browser enforces "no network": even if a script tried to fetch something, it would
# be refused. Inline scripts/styles only; data:/blob: for plotly's own image download.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
    "connect-src 'none'; form-action 'none'; base-uri 'none'"
)

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 24px; color: #1d2733; line-height: 1.45; }
h1 { margin: 0 0 4px; font-size: 1.8rem; } .subtitle { color: #4a5563; margin: 0 0 16px; }
.simulated { border: 2px solid #a30000; background: #fff3f3; color: #7a0000;
             padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 20px; }
.kpi { border: 1px solid #d5dbe3; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.kpi .v { font-size: 1.5rem; font-weight: 700; } .kpi .l { color: #4a5563; font-size: .9rem; }
figure { margin: 18px 0; break-inside: avoid; } figcaption { color: #4a5563; font-size: .9rem; }
table { border-collapse: collapse; font-size: .85rem; margin: 6px 0 18px; }
th, td { border: 1px solid #d5dbe3; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f4f8; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #4a5563; font-size: .85rem; border-top: 1px solid #d5dbe3; margin-top: 24px;
        padding-top: 8px; word-break: break-all; }
@media print { body { max-width: none; } .kpi, table { break-inside: avoid; } }
"""

_PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    # Never load anything: plotly.js fetches topojson only for geo traces; point it
    # nowhere anyway (the CSP would refuse the request too).
    "topojsonURL": "",
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: Any, text: Any) -> str:
    """An <a> only for plain http(s) URLs; anything else (javascript:, file:) is text."""
    url_s = "" if url is None or (isinstance(url, float) and math.isnan(url)) else str(url)
    if re.match(r"^https?://[^\s<>\"']+$", url_s.strip(), flags=re.IGNORECASE):
        return f'<a href="{_e(url_s.strip())}" rel="noopener noreferrer">{_e(text)}</a>'
    return _e(text)


def _cell(value: Any) -> tuple[str, bool]:
    """Display text and whether the value is numeric (right-aligned)."""
    if value is None or (not isinstance(value, str) and not np.ndim(value) and pd.isna(value)):
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return str(value), False
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}", True
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return (f"{v:,.0f}" if v.is_integer() else f"{v:,.3f}".rstrip("0")), True
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(), False
    return str(value), False


def _table_html(df: pd.DataFrame, labels: Mapping[str, str]) -> str:
    shown = df.head(REPORT_TABLE_MAX_ROWS)
    head = "".join(f"<th>{_e(c)}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for value in row:
            text, numeric = _cell(value)
            cells.append(f'<td class="n">{_e(text)}</td>' if numeric else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(df) > len(shown):
        note = f"<p>{_e(labels['truncated'].format(shown=len(shown), total=len(df)))}</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def _sources_html(sources: pd.DataFrame | None, labels: Mapping[str, str]) -> str:
    if sources is None or sources.empty:
        return f"<p>{_e(labels['no_sources'])}</p>"
    items = []
    for rec in sources.to_dict("records"):
        title = rec.get("title") or rec.get("source_id") or rec.get("url") or ""
        rest = [_cell(rec.get(k))[0] for k in ("publisher", "date")]
        tail = ", ".join(_e(x) for x in rest if x)
        items.append(f"<li>{_link(rec.get('url'), title)}{' — ' + tail if tail else ''}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _strong(text: str) -> str:
    """Escaped text with Markdown's **bold** as <strong> (the only markup the readings use)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", _e(text))


def _figure_html(fig: go.Figure) -> str:
    height = fig.layout.height or 480
    return pio.to_html(
        fig,
        config=_PLOT_CONFIG,
        include_plotlyjs=False,  # the bundle is inlined once in <head>
        include_mathjax=False,  # MathJax would come from a CDN
        full_html=False,
        default_height=f"{int(height)}px",
        default_width="100%",
    )


def report_html(
    *,
    title: str,
    subtitle: str,
    figures: list[tuple[str, go.Figure]],
    kpis: list[tuple[str, str]],
    tables: list[tuple[str, pd.DataFrame]],
    sources: pd.DataFrame | None,
    view_link: str,
    data_version: str,
    simulated_note: str | None,
    lang: str,
    generated_at: dt.datetime | None = None,
    paragraphs: list[str] | None = None,
) -> bytes:
    """One HTML file holding everything it shows; it opens offline and requests nothing.

    ``figures`` and ``tables`` are (caption, object) pairs; ``kpis`` (label, value).
    Tables longer than REPORT_TABLE_MAX_ROWS are cut with a note (the data files are
    the place for all rows). ``lang`` is 'es' or 'en' (anything else -> 'es').
    """
    lang = lang if lang in _LABELS else "es"
    labels = _LABELS[lang]
    parts: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(title)}</title><style>{_CSS}</style>",
    ]
    if figures:
        # plotly.js once, inline. "</script" cannot occur in it unescaped, or the
        # page would break; plotly's own to_html inlines it the same way.
        parts.append(f'<script type="text/javascript">{_plotlyjs()}</script>')
    parts.append("</head><body>")
    parts.append(f"<header><h1>{_e(title)}</h1>")
    if subtitle:
        parts.append(f'<p class="subtitle">{_e(subtitle)}</p>')
    parts.append("</header>")
    if simulated_note:
        parts.append(f'<div class="simulated" role="note">{_e(simulated_note)}</div>')
    if kpis:
        cards = "".join(
            f'<div class="kpi"><div class="v">{_e(v)}</div><div class="l">{_e(k)}</div></div>'
            for k, v in kpis
        )
        parts.append(f'<section class="kpis" aria-label="{_e(labels["kpis"])}">{cards}</section>')
    for text in paragraphs or []:  # a page's reading: normal type, its **bold** lead-ins kept
        parts.append(f"<p>{_strong(text)}</p>")
    for caption, fig in figures:
        parts.append(f"<figure><h3>{_e(caption)}</h3>{_figure_html(fig)}</figure>")
    for caption, table in tables:
        parts.append(f"<section><h3>{_e(caption)}</h3>{_table_html(table, labels)}</section>")
    parts.append(f"<section><h2>{_e(labels['sources'])}</h2>{_sources_html(sources, labels)}")
    parts.append("</section>")
    meta = [
        f"{_e(labels['view'])}: {_link(view_link, view_link)}",
        f"{_e(labels['version'])}: {_e(data_version)}",
    ]
    if generated_at is not None:
        stamp = generated_at if generated_at.tzinfo else generated_at.replace(tzinfo=dt.UTC)
        meta.append(f"{_e(labels['generated'])}: {_e(stamp.astimezone(dt.UTC).isoformat())}")
    parts.append('<footer class="meta">' + "<br>".join(meta) + "</footer>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


@functools.cache
def _plotlyjs() -> str:
    """The plotly.js bundle shipped with plotly.py (no CDN), read once per process."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


# ---------------------------------------------------------------------------------------
# Bundle
# ---------------------------------------------------------------------------------------

README_NAME = "README.txt"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # earliest ZIP date: fixed => identical bytes


def bundle_readme(
    *,
    title: str,
    files: list[tuple[str, str]],
    view_link: str,
    data_version: str,
    provenance_note: str,
    exported_at: dt.datetime | None = None,
) -> str:
    """README text: what the bundle is, where it came from, one line per file."""
    lines = [title, "=" * max(3, len(title)), ""]
    lines += [f"View link: {view_link}", f"Data version: {data_version}"]
    if exported_at is not None:
        stamp = exported_at if exported_at.tzinfo else exported_at.replace(tzinfo=dt.UTC)
        lines.append(f"Exported (UTC): {stamp.astimezone(dt.UTC).isoformat()}")
    lines += [f"Provenance: {provenance_note}", "", "Files:"]
    lines += [f"  - {name}: {description}" for name, description in files]
    lines.append("")
    return "\n".join(lines)


def _check_member_name(name: str) -> None:
    if (
        not name
        or name != name.strip()
        or any(c in name for c in "/\\:\0")
        or name.startswith(".")
        or name == README_NAME
    ):
        raise ValueError(f"Unsafe or reserved file name in bundle: {name!r}")


def bundle_zip(
    *, files: list[tuple[str, bytes]], readme_text: str, timestamp: dt.datetime | None = None
) -> bytes:
    """A zip with README.txt first, then the files sorted by name.

    Every file must be named in ``readme_text`` (a bundle must say how each file was made).
    Entry dates are ``timestamp`` (e.g. the export time) or 1980-01-01, so the same
    inputs give the same bytes.
    """
    names = [name for name, _ in files]
    for name in names:
        _check_member_name(name)
    if len(set(names)) != len(names):
        raise ValueError("Duplicate file names in bundle.")
    missing = [n for n in names if not re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", readme_text)]
    if missing:
        raise ValueError(f"README does not describe: {', '.join(missing)}")
    if timestamp is None:
        date_time = _ZIP_EPOCH
    else:
        utc = timestamp.astimezone(dt.UTC) if timestamp.tzinfo else timestamp
        date_time = utc.timetuple()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        members = [(README_NAME, readme_text.encode("utf-8")), *sorted(files)]
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # rw-r--r-- when unzipped
            zf.writestr(info, data)
    return buf.getvalue()
