"""Where data lives. `PISTAS_DATA_DIR` moves it (tests, the benchmark, a read-only mount).

Layout under the data folder: `sourced/` (CSV, committed), `built/` (Parquet by version),
`imported/` (user files taken in by lib.ingest). When the data folder has no `sourced/`,
the repository's own sourced CSVs are used, so a benchmark folder needs only its builds.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("PISTAS_DATA_DIR") or REPO_ROOT / "data")


def sourced_dir() -> Path:
    own = data_dir() / "sourced"
    return own if own.is_dir() else REPO_ROOT / "data" / "sourced"


def built_dir() -> Path:
    return data_dir() / "built"


def imported_dir() -> Path:
    return data_dir() / "imported"
