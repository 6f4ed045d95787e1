"""Build the queryable data: Parquet under `<data>/built/<version>/`, then flip `CURRENT`.

Inputs: the sourced CSVs (data/sourced/), the simulated demo events (lib.simulate) and the
imported event and source files that the import manifest lists as active (written by lib.ingest;
imported sources are added to the sources table, a sourced row winning on an id clash). Outputs,
per data version:

    events/year=YYYY/*.parquet   every event, sorted by date (partitioned for pruning)
    rollup.parquet               month × area × region × event_type × route × provenance
    strip_cycles.parquet         one row per destruction: strip, its n-th destruction, days to rebuild
    sources, policies, route_shares, flight_estimates, coca, regions, places,
    eradication, indicators, coca_zones, conflicts (.parquet)
    manifest.json                version, inputs digest, row counts, build parameters
    imports.json                 the import manifest this build was made from (see below)

Why this shape: charts read the rollup, so they cost the same at 10k or 10M events; tables
and maps read the sorted event files with bounds. The version is a content hash of every
input (values, not file bytes), so the same inputs always give the same version, and a link
made on other data can say so. A build writes into a staging folder and becomes visible
only when `CURRENT` is replaced atomically: readers never see a half-written build.

Imports are published by the same switch. The import manifest in force is the `imports.json` of
the current build (`committed_imports`): an import writes its files, builds with the manifest
that names them, and is done when `CURRENT` names that build; `data/imported/manifest.json` is
a copy written after that (read only when the current build has no imports.json, i.e. one made
before this layout). A process killed at any step therefore leaves the served data and the
import manifest in agreement, and a plain build (which reads `committed_imports`) never
publishes rows of an import that did not finish. Builds from `main` and imports take the same
lock (`imports_lock`), so a plain build cannot interleave with an import.

CLI: python -m lib.build [--events N] [--seed S] [--no-simulated] [--force]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib import simulate
from lib.paths import built_dir, imported_dir, sourced_dir
from lib.schema import EVENT_COLUMNS, EVENTS_SCHEMA

SOURCED_TABLES = {
    "sources": "sources.csv",
    "policies": "policies.csv",
    "route_shares": "route_share_estimates.csv",
    "flight_estimates": "flight_estimates.csv",
    "coca": "coca.csv",
    "regions": "regions.csv",
    "places": "places.csv",
    "eradication": "eradication.csv",
    "indicators": "indicators.csv",
    "coca_zones": "coca_zones.csv",
    "conflicts": "conflicts.csv",
}
# Tables added after the first layout: a sourced folder without the file (an older checkout, a
# test fixture) gets an empty table with these columns, so readers can always query them.
OPTIONAL_SOURCED_COLUMNS = {
    "eradication": (
        "eradication_id",
        "period",
        "period_start",
        "period_end",
        "level",
        "geography",
        "measure",
        "hectares",
        "derived",
        "source_id",
        "fact_id",
        "notes",
    ),
    "indicators": (
        "indicator_id",
        "period",
        "period_start",
        "period_end",
        "geography",
        "metric",
        "category",
        "value_low",
        "value",
        "value_high",
        "unit",
        "derived",
        "source_id",
        "fact_id",
        "notes",
    ),
    "coca_zones": ("zone", "regions", "provinces", "in_devida_panel", "confidence", "basis"),
    "conflicts": ("conflict_group", "fact_id", "what"),
}
# Bump when the build's outputs change shape (a new table or column): the version then changes,
# so a build of the same data in the new layout never reuses a folder in the old one.
BUILD_FORMAT = "4"
KEEP_VERSIONS = 3  # current, previous (for --rollback), and one a running app may still read


@dataclass(frozen=True)
class BuildSpec:
    """Everything a build depends on; its digest decides whether a rebuild is needed."""

    sourced: Path
    out: Path
    simulated_events: int | None = None  # None: the calibrated demo size
    seed: int = simulate.DEFAULT_SEED
    simulate: bool = True
    extra_events: tuple[Path, ...] = field(default_factory=tuple)
    # Imported citations (lib.ingest): Parquet files of source_id, title, publisher, date, url.
    extra_sources: tuple[Path, ...] = field(default_factory=tuple)
    # The import manifest naming extra_events/extra_sources, published with the build as
    # imports.json (None: the build carries none, e.g. a test fixture or a benchmark).
    imports: dict | None = field(default=None, compare=False, hash=False)

    def inputs_digest(self) -> str:
        h = hashlib.sha256()
        h.update(f"gen={simulate.GENERATOR_VERSION};sim={self.simulate};".encode())
        h.update(f"n={self.simulated_events};seed={self.seed};".encode())
        # The generator's and the build's own code: changing a rule rebuilds the data.
        h.update(Path(simulate.__file__).read_bytes())
        h.update(Path(__file__).read_bytes())
        for path in sorted(self.sourced.glob("*.csv")) + list(self.extra_events) + list(self.extra_sources):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        return h.hexdigest()


def current_version(out: Path) -> str | None:
    """The data version readers use now, or None if nothing was built."""
    try:
        version = (out / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return version or None


def read_manifest(out: Path, version: str) -> dict:
    return json.loads((out / version / "manifest.json").read_text())


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_reported_events(path: Path) -> pd.DataFrame:
    """events_reported.csv in schema order and types (the trailing fact_id is dropped)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return coerce_events(df)


def coerce_events(df: pd.DataFrame) -> pd.DataFrame:
    """Cast an events frame to the schema's column order and types."""
    out = pd.DataFrame({c: df[c] if c in df else None for c in EVENT_COLUMNS})
    for col in ("date", "date_end"):
        out[col] = pd.to_datetime(out[col]).dt.date
    out["date_end"] = out["date_end"].where(out["date_end"].notna(), out["date"])
    for col in ("lat", "lon", "quantity_kg"):
        out[col] = pd.to_numeric(out[col])
    out["count"] = pd.to_numeric(out["count"]).astype("int32")
    return out


def _table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=EVENTS_SCHEMA, preserve_index=False)


def _write_raw_events(spec: BuildSpec, raw: Path, digest) -> dict[str, int]:
    """Write every input's events to raw/ (unsorted); feed their values into the digest."""
    counts = {"reported": 0, "simulated": 0, "imported": 0}
    reported = read_reported_events(spec.sourced / "events_reported.csv")
    simulate.frame_digest(reported, digest)
    pq.write_table(_table(reported), raw / "reported.parquet")
    counts["reported"] = len(reported)
    if spec.simulate:
        scale = 1.0 if spec.simulated_events is None else simulate.scale_for_events(spec.simulated_events)
        chunks = simulate.generate(seed=spec.seed, scale=scale, places_csv=spec.sourced / "places.csv")
        for year, chunk in chunks:
            simulate.frame_digest(chunk, digest)
            pq.write_table(_table(chunk), raw / f"simulated_{year}.parquet")
            counts["simulated"] += len(chunk)
    for i, path in enumerate(spec.extra_events):
        table = pq.read_table(path).select(list(EVENT_COLUMNS)).cast(EVENTS_SCHEMA)
        simulate.frame_digest(table.to_pandas(), digest)
        pq.write_table(table, raw / f"imported_{i}.parquet")
        counts["imported"] += table.num_rows
    return counts


ROLLUP_SQL = """
COPY (
    SELECT date_trunc('month', date)::DATE AS month, area, region, event_type, route,
           provenance, sum("count")::BIGINT AS n, sum(quantity_kg) AS kg, count(*) AS n_rows
    FROM ev
    WHERE date_precision <> 'period'  -- a 9-month total belongs to no single month
    GROUP BY ALL
    ORDER BY month, area, region, event_type, route, provenance
) TO '{path}' (FORMAT parquet)
"""

STRIP_CYCLES_SQL = """
COPY (
    WITH destroyed AS (
        SELECT airstrip_id, date, area, region, provenance,
               row_number() OVER w AS destroy_seq,
               -- The months of this strip's two previous destructions: "destroyed more than
               -- once in view" is then one row per strip (its second destruction in view),
               -- counted without grouping a million strip ids per query.
               date_trunc('month', lag(date, 1) OVER w)::DATE AS prev_month,
               date_trunc('month', lag(date, 2) OVER w)::DATE AS prev2_month
        FROM ev WHERE event_type = 'airstrip_destroyed' AND airstrip_id IS NOT NULL
        WINDOW w AS (PARTITION BY airstrip_id ORDER BY date, event_id)
    ),
    rebuilt AS (
        SELECT airstrip_id, date AS rebuilt_date
        FROM ev WHERE event_type = 'airstrip_rebuilt' AND airstrip_id IS NOT NULL
    )
    SELECT date_trunc('month', d.date)::DATE AS month, d.date, d.airstrip_id, d.area, d.region,
           d.provenance, d.destroy_seq, d.prev_month, d.prev2_month,
           (r.rebuilt_date - d.date)::INTEGER AS days_to_rebuild
    FROM destroyed d ASOF LEFT JOIN rebuilt r
      ON d.airstrip_id = r.airstrip_id AND r.rebuilt_date >= d.date
    ORDER BY month, d.airstrip_id
) TO '{path}' (FORMAT parquet)
"""


def _duckdb_for_build(tmp: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # Bounded memory: a 10M-event sort spills to disk instead of taking the machine.
    con.execute(f"SET memory_limit='{os.environ.get('PISTAS_BUILD_MEMORY', '2GB')}'")
    con.execute(f"SET temp_directory='{tmp}'")
    con.execute("SET preserve_insertion_order=false")
    return con


def _write_tables(spec: BuildSpec, stage: Path, raw: Path) -> dict[str, int]:
    con = _duckdb_for_build(stage / "spill")
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{raw}/*.parquet')")
    con.execute(
        f"""COPY (SELECT *, year(date) AS year FROM ev ORDER BY date, event_id)
            TO '{stage / "events"}' (FORMAT parquet, PARTITION_BY (year), ROW_GROUP_SIZE 100000)"""
    )
    con.execute(ROLLUP_SQL.format(path=stage / "rollup.parquet"))
    con.execute(STRIP_CYCLES_SQL.format(path=stage / "strip_cycles.parquet"))
    # Located events in a fixed pseudo-random order: the map's repeatable sample is then the
    # first N rows that match a view, read without scanning and sorting a 10M-row view.
    con.execute(
        f"""COPY (SELECT event_id, date, date_end, year(date) AS year, lat, lon, event_type, route, "count",
                         provenance, airstrip_id, area, region,
                         coalesce(district, province, region, area) AS place, source_id
                  FROM ev WHERE lat IS NOT NULL AND lon IS NOT NULL ORDER BY hash(event_id))
            TO '{stage / "map_points.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 100000)"""
    )
    # The few rows that cite a source (reported and imported): the sourced markers and the
    # sources of a view read these instead of scanning every event.
    con.execute(
        f"""COPY (SELECT *, year(date) AS year FROM ev WHERE source_id IS NOT NULL ORDER BY date, event_id)
            TO '{stage / "cited.parquet"}' (FORMAT parquet)"""
    )
    rows = {"events": con.execute("SELECT count(*) FROM ev").fetchone()[0]}
    con.close()
    for name in SOURCED_TABLES:
        frame = read_sourced_csv(spec.sourced, name)
        frame = _typed_sourced(name, frame)
        if name == "sources" and spec.extra_sources:  # imported rows' citations (lib.ingest)
            frame = _with_imported_sources(frame, spec.extra_sources)
        frame.to_parquet(stage / f"{name}.parquet", index=False)
        rows[name] = len(frame)
    return rows


def read_sourced_csv(folder: Path, name: str) -> pd.DataFrame:
    """One sourced table as text (empty cells are missing); an absent optional table is empty."""
    path = folder / SOURCED_TABLES[name]
    if not path.is_file() and name in OPTIONAL_SOURCED_COLUMNS:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OPTIONAL_SOURCED_COLUMNS[name]})
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _with_imported_sources(sourced: pd.DataFrame, paths: tuple[Path, ...]) -> pd.DataFrame:
    """The sourced citations plus imported ones; on a source_id clash the sourced row wins."""
    frames = [sourced, *(pd.read_parquet(p).reindex(columns=sourced.columns) for p in paths)]
    merged = pd.concat(frames, ignore_index=True)
    return merged.drop_duplicates("source_id", keep="first").reset_index(drop=True)


def _typed_sourced(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    numeric = {
        "route_shares": ("share_low", "share", "share_high"),
        "flight_estimates": ("rate_low", "rate_high"),
        "coca": ("year", "hectares"),
        "regions": ("centroid_lat", "centroid_lon", "inside_lat", "inside_lon"),
        "places": ("lat", "lon"),
        "eradication": ("hectares",),
        "indicators": ("value_low", "value", "value_high"),
    }.get(name, ())
    for col in numeric:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col].str.replace(",", ""), errors="coerce")
    return frame


def build(spec: BuildSpec, *, force: bool = False, log=print) -> str:
    """Build if the inputs changed; return the data version now current."""
    spec.out.mkdir(parents=True, exist_ok=True)
    inputs = spec.inputs_digest()
    current = current_version(spec.out)
    if current and not force and (spec.out / current).is_dir():
        if read_manifest(spec.out, current).get("inputs_digest") == inputs:
            if spec.imports is not None and read_imports(spec.out, current) != spec.imports:
                write_imports(spec.out, current, spec.imports)  # same data files: only the record changes
            log(f"data {current} is up to date")
            return current
    started = time.perf_counter()
    stage = Path(tempfile.mkdtemp(dir=spec.out, prefix=".staging-"))
    try:
        raw = stage / "raw"
        raw.mkdir()
        (stage / "spill").mkdir()
        digest = hashlib.sha256(f"pistas-build-format-{BUILD_FORMAT}".encode())
        counts = _write_raw_events(spec, raw, digest)
        for filename in sorted(SOURCED_TABLES.values()):
            path = spec.sourced / filename
            digest.update(path.read_bytes() if path.is_file() else b"")
        for path in spec.extra_sources:  # imported citations change what the data says
            simulate.frame_digest(pd.read_parquet(path), digest)
        version = digest.hexdigest()[:12]
        rows = _write_tables(spec, stage, raw)
        shutil.rmtree(raw)
        shutil.rmtree(stage / "spill")
        manifest = {
            "version": version,
            "inputs_digest": inputs,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 2),
            "events_by_provenance": counts,
            "rows": rows,
            "simulated": {
                "enabled": spec.simulate,
                "events": spec.simulated_events,
                "seed": spec.seed,
                "generator_version": simulate.GENERATOR_VERSION,
            },
            "previous": current,
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2))
        if spec.imports is not None:
            (stage / IMPORTS_FILE).write_text(_imports_text(spec.imports))
        target = spec.out / version
        if target.exists():  # same content built before: keep the existing copy
            shutil.rmtree(stage)
            if spec.imports is not None:
                write_imports(spec.out, version, spec.imports)
        else:
            os.replace(stage, target)
        _write_atomic(spec.out / "CURRENT", version + "\n")  # publishes the data and its imports
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _prune(spec.out, keep=KEEP_VERSIONS)
    log(f"built data {version} in {time.perf_counter() - started:.1f}s: {rows['events']} events")
    return version


def rollback(out: Path) -> str:
    """Make the previous build current again (the one before the last build)."""
    current = current_version(out)
    if current is None:
        raise RuntimeError("nothing has been built yet")
    previous = read_manifest(out, current).get("previous")
    if not previous or not (out / previous).is_dir():
        raise RuntimeError(f"no previous build of {current} is kept to roll back to")
    _write_atomic(out / "CURRENT", previous + "\n")
    return previous


def _prune(out: Path, keep: int) -> None:
    versions = [p for p in out.iterdir() if p.is_dir() and (p / "manifest.json").exists()]
    versions.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    current = current_version(out)
    for old in versions[keep:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
    for stale in out.glob(".staging-*"):  # left by a killed build
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


IMPORTED_MANIFEST = "manifest.json"  # in data/imported/: a copy lib.ingest writes once an import is published
IMPORTS_FILE = "imports.json"  # in a build's folder: the import manifest it was built from


def _imports_text(imports: dict) -> str:
    return json.dumps(imports, indent=2, ensure_ascii=False) + "\n"


def read_imports(out: Path, version: str) -> dict | None:
    path = out / version / IMPORTS_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def write_imports(out: Path, version: str, imports: dict) -> None:
    """Record the import manifest of a build that is not served yet (or whose data it matches)."""
    _write_atomic(out / version / IMPORTS_FILE, _imports_text(imports))


def sync_imports_copy(folder: Path, imports: dict) -> None:
    """Bring the copy in the imported folder up to the manifest in force (after a publish)."""
    copy = folder / IMPORTED_MANIFEST
    if not copy.is_file() and not imports.get("files") and not imports.get("history"):
        return  # nothing was ever imported: leave no file behind
    text = _imports_text(imports)
    if not copy.is_file() or copy.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(copy, text)
        os.chmod(copy, 0o644)  # mkstemp makes 0600; the app may read as another user


def committed_imports(out: Path, folder: Path) -> dict | None:
    """The import manifest in force: the current build's imports.json.

    Falls back to the copy in the imported folder when the current build has none (built
    before imports were published with builds, or without imports). None: no manifest at all.
    """
    current = current_version(out)
    if current and (published := read_imports(out, current)) is not None:
        return published
    copy = folder / IMPORTED_MANIFEST
    return json.loads(copy.read_text()) if copy.is_file() else None


def imported_inputs(folder: Path, manifest: dict | None = None) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The imported (event files, source files) that are active, from lib.ingest's manifest.

    The manifest lists `{"events": name, "sources": name or null, ...}` entries under `files`;
    files kept only for `lib.ingest --rollback` are not listed there. Without a manifest, any
    Parquet file in the folder is taken as events (the layout before lib.ingest existed).
    """
    if manifest is not None:
        files = manifest.get("files", [])
        events = tuple(folder / f["events"] for f in files)
        sources = tuple(folder / f["sources"] for f in files if f.get("sources"))
        return events, sources
    return (tuple(sorted(folder.glob("*.parquet"))) if folder.is_dir() else ()), ()


def default_spec(**overrides) -> BuildSpec:
    """What a plain build reads: the sourced tables and the imports the current build published."""
    out = overrides.get("out", built_dir())
    imports = overrides.pop("imports", None) or committed_imports(out, imported_dir())
    extra, extra_sources = imported_inputs(imported_dir(), imports)
    base = {
        "sourced": sourced_dir(),
        "out": out,
        "extra_events": extra,
        "extra_sources": extra_sources,
        "imports": imports,
    }
    base.update(overrides)
    return BuildSpec(**base)


@contextmanager
def imports_lock() -> Iterator[Path]:
    """One import, rollback or plain build at a time (two browser sessions, the CLI, `make data`).

    An flock on the imported folder: released by the kernel when the holder dies, so a killed
    import never leaves it held.
    """
    folder = imported_dir()
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        if created and not any(folder.iterdir()):
            folder.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Pistas' Parquet data (idempotent).")
    parser.add_argument("--events", type=int, default=None, help="simulated events (default: demo size)")
    parser.add_argument("--seed", type=int, default=simulate.DEFAULT_SEED)
    parser.add_argument("--no-simulated", action="store_true", help="sourced and imported data only")
    parser.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    overrides = {"simulated_events": args.events, "seed": args.seed, "simulate": not args.no_simulated}
    if args.out:
        overrides["out"] = args.out
    try:
        with imports_lock() as folder:  # not while an import builds: it would publish a half-done import
            spec = default_spec(**overrides)
            build(spec, force=args.force)
            if spec.imports is not None:
                sync_imports_copy(folder, spec.imports)
    except (FileNotFoundError, ValueError, duckdb.Error) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
