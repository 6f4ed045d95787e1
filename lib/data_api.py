"""Data at a URL, the Datasette way: the query string that opens a view returns its rows.

    /api/events.csv?areas=VRAEM&start=2014-01      the rows behind that view, CSV
    /api/events.json?areas=VRAEM&start=2014-01     the same rows as JSON, with the view's context
    /api/codebook.json                             what every column means (lib.codebook)

Read-only (GET only), bounded (`_size` rows a response, at most MAX_SIZE; `_offset` pages on, and
JSON gives the `next` URL), and every response names its data version (`X-Pistas-Data-Version`,
and in the rows: the `data_version` column / field). The view parameters are parsed by
`ViewState.from_query`, exactly as the pages parse them; a value that cannot be used is reported
(`problems`, `X-Pistas-Problems`), never an error. Errors are JSON with a plain message, never a
path or SQL (the server log keeps those). Served by `serve.py` (st.App with these routes).
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import replace
from functools import lru_cache
from urllib.parse import urlencode

import pandas as pd
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lib import codebook, export, queries
from lib.db import Database, DataUnavailable, database
from lib.state import Context, ViewState

LOG = logging.getLogger("pistas")
DEFAULT_SIZE, MAX_SIZE = 1_000, 10_000
SIMULATED_NOTE = (
    "Rows with provenance 'simulated' come from the seeded demo generator (lib/simulate.py): not evidence."
)


class BadRequest(ValueError):
    """A paging parameter (`_size`, `_offset`) that cannot be used: a 400 with the reason."""


@lru_cache(maxsize=8)
def _context(db: Database, version: str) -> Context:
    """The data's context (months, policies), once per database and data version."""
    return queries.data_context(db)


def _paging(params: dict[str, str]) -> tuple[int, int]:
    def whole(name: str, default: int, low: int, high: int) -> int:
        raw = params.get(name, str(default))
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise BadRequest(f"{name} must be a whole number from {low} to {high:,}, got {raw[:40]!r}")
        return int(raw)

    return whole("_size", DEFAULT_SIZE, 1, MAX_SIZE), whole("_offset", 0, 0, 10**9)


def view_rows(db: Database, params: dict[str, str]) -> dict:
    """The rows of the view that `params` describe (one page of them) and their context."""
    size, offset = _paging(params)
    version = db.version()
    context = _context(db, version)
    state, problems = ViewState.from_query(
        {k: v for k, v in params.items() if not k.startswith("_")}, context
    )
    f = queries.filters_for(state, context)
    total = queries.events_count(db, f)
    rows = queries.events_slice(db, f, offset, size)
    # Whether the *view* holds simulated rows (not just this page): the label travels with every page.
    simulated = (
        "simulated" in f.provenances and queries.events_count(db, replace(f, provenances=("simulated",))) > 0
    )
    return {
        "state": state,
        "problems": problems,
        "version": version,
        "rows": rows.reset_index(drop=True),
        "total": total,
        "size": size,
        "offset": offset,
        "simulated": simulated,
    }


def _links(request: Request, state: ViewState, size: int, offset: int, total: int) -> tuple[str, str | None]:
    base = str(request.base_url).rstrip("/")
    view = state.to_query()
    view_link = f"{base}/?{urlencode(view)}" if view else f"{base}/"
    nxt = None
    if offset + size < total:
        nxt = f"{base}{request.url.path}?{urlencode({**view, '_size': size, '_offset': offset + size})}"
    return view_link, nxt


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _answer(request: Request, fmt: str) -> Response:
    params = dict(request.query_params)
    try:
        got = view_rows(database(), params)
    except BadRequest as exc:
        return _error(400, str(exc))
    except DataUnavailable:
        return _error(503, "The data is not available right now; the operator has to rebuild it (make data).")
    except Exception as exc:  # a corrupt file, DuckDB … : a reference for the log, no detail out
        ref = secrets.token_hex(4)
        LOG.error("failure %s while serving %s", ref, request.url.path, exc_info=exc)
        return _error(500, f"The rows could not be read (reference {ref}).")
    state, rows, version = got["state"], got["rows"], got["version"]
    view_link, nxt = _links(request, state, got["size"], got["offset"], got["total"])
    simulated = got["simulated"]
    headers = {
        "X-Pistas-Data-Version": version,
        "X-Pistas-Total-Rows": str(got["total"]),
        "X-Pistas-Problems": str(len(got["problems"])),
        "X-Pistas-Simulated": "true" if simulated else "false",
        "Cache-Control": "no-store",
    }
    if nxt:
        headers["Link"] = f'<{nxt}>; rel="next"'
    if fmt == "csv":
        meta = export.ExportMeta(
            view_link=view_link,
            data_version=version,
            filters=state.to_query(),
            provenance_note=SIMULATED_NOTE if simulated else "",
        )
        body = export.csv_bytes(rows, meta)
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(
        {
            "data_version": version,
            "view_link": view_link,
            "view": state.to_query(),
            "problems": [
                {"param": p.param, "given": p.given, "code": p.code, "used": p.used} for p in got["problems"]
            ],
            "simulated": simulated,
            "note": SIMULATED_NOTE if simulated else None,
            "total": got["total"],
            "offset": got["offset"],
            "size": got["size"],
            "next": nxt,
            "columns": list(rows.columns),
            "rows": _records(rows),
        },
        headers=headers,
    )


def _records(rows: pd.DataFrame) -> list[dict]:
    """Rows as JSON values: ISO dates, null for missing (NaN is not JSON)."""
    out = rows.astype(object).where(rows.notna(), None)
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(rows[name]):
            out[name] = [None if v is None else pd.Timestamp(v).date().isoformat() for v in out[name]]
    records = out.to_dict(orient="records")
    for rec in records:
        for key, value in rec.items():
            if isinstance(value, float) and not math.isfinite(value):
                rec[key] = None
            elif hasattr(value, "isoformat"):
                rec[key] = value.isoformat()
            elif hasattr(value, "item"):  # numpy scalars
                rec[key] = value.item()
    return records


def events_csv(request: Request) -> Response:
    return _answer(request, "csv")


def events_json(request: Request) -> Response:
    return _answer(request, "json")


def codebook_json(request: Request) -> Response:
    return JSONResponse(codebook.frame().to_dict(orient="records"))


def routes() -> list[Route]:
    """The data URLs, for st.App(routes=...). Sync handlers: Starlette runs them in its thread pool."""
    return [
        Route("/api/events.csv", events_csv, methods=["GET"]),
        Route("/api/events.json", events_json, methods=["GET"]),
        Route("/api/codebook.json", codebook_json, methods=["GET"]),
    ]
