"""DuckDB over the built Parquet: one in-process database, a cursor per query.

Why a cursor per query: a DuckDB connection is not safe to share between threads, and
Streamlit runs each browser session in its own thread; `connection.cursor()` gives each query
its own client context over the same catalog. Views live in one schema per data version
(`v_<version>`), so a rebuild is picked up on the next query without a restart and queries
already running keep reading the files they started on.

The database holds views only and may read only the data folder; DuckDB's own limits
(`memory_limit`, `threads`) keep one heavy query from taking the machine.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from lib.paths import built_dir

VERSION_RE = re.compile(r"^[0-9a-f]{6,64}$")
PARQUET_TABLES = (
    "rollup",
    "strip_cycles",
    "cited",
    "map_points",
    "sources",
    "policies",
    "route_shares",
    "flight_estimates",
    "coca",
    "regions",
    "places",
    "eradication",
    "indicators",
    "coca_zones",
    "conflicts",
)


class DataUnavailable(RuntimeError):
    """No usable build: the message says what is wrong and how to fix it."""


class Database:
    """Views over one built-data folder, refreshed when its CURRENT version changes."""

    def __init__(self, built: Path, *, memory_limit: str = "1GB", threads: int = 2):
        self.built = built
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._schemas: set[str] = set()
        # Spill to the system temp folder, never into the working directory (a read-only
        # deployment or the repository); a query past memory_limit spills, then errors.
        spill = Path(tempfile.gettempdir()) / "pistas-duckdb"
        spill.mkdir(exist_ok=True)
        self._con = duckdb.connect(
            ":memory:",
            config={"memory_limit": memory_limit, "threads": threads, "temp_directory": str(spill)},
        )

    def version(self) -> str:
        """The current data version; DataUnavailable when nothing usable is built."""
        try:
            version = (self.built / "CURRENT").read_text().strip()
        except FileNotFoundError:
            raise DataUnavailable(
                "No built data yet. Build it with `make data` (or `python -m lib.build`)."
            ) from None
        if not VERSION_RE.match(version) or not (self.built / version).is_dir():
            raise DataUnavailable(
                f"the CURRENT file names data version {version[:40]!r}, which is not built. "
                "Rebuild with `make data`."
            )
        return version

    def _ensure_views(self, version: str) -> str:
        schema = f"v_{version}"
        if schema in self._schemas:
            return schema
        with self._lock:
            if schema in self._schemas:
                return schema
            folder = self.built / version
            missing = [t for t in PARQUET_TABLES if not (folder / f"{t}.parquet").is_file()]
            if missing or not (folder / "events").is_dir():
                raise DataUnavailable(
                    f"Data version {version} is incomplete (missing: {', '.join(missing) or 'events'}). "
                    "Rebuild with `make data`."
                )
            con = self._con
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            events_glob = str(folder / "events" / "*" / "*.parquet")
            con.execute(
                f'CREATE OR REPLACE VIEW "{schema}".events AS SELECT * FROM '
                f"read_parquet('{events_glob}', hive_partitioning = true)"
            )
            for table in PARQUET_TABLES:
                path = folder / f"{table}.parquet"
                con.execute(
                    f"CREATE OR REPLACE VIEW \"{schema}\".{table} AS SELECT * FROM read_parquet('{path}')"
                )
            self._schemas.add(schema)
        return schema

    @contextmanager
    def cursor(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        """A fresh cursor set to the current version's schema, and that version."""
        version = self.version()
        schema = self._ensure_views(version)
        cur = self._con.cursor()
        try:
            cur.execute(f'USE memory."{schema}"')
            yield cur, version
        finally:
            cur.close()


_databases: dict[Path, Database] = {}
_registry_lock = threading.Lock()


def database(built: Path | None = None) -> Database:
    """The process-wide Database for a built folder (default: PISTAS_DATA_DIR/built)."""
    path = (built or built_dir()).resolve()
    with _registry_lock:
        if path not in _databases:
            _databases[path] = Database(
                path,
                memory_limit=os.environ.get("PISTAS_DUCKDB_MEMORY", "1GB"),
                threads=int(os.environ.get("PISTAS_DUCKDB_THREADS", "2")),
            )
        return _databases[path]
