"""Upload checks under hostile and large files: median time and peak memory per case.

    python -m bench.ingest [--code DIR] [--compare DIR] [--cases a,b] [--repeat 3] [--timeout 120]

Each case runs `lib.ingest.load_upload` (what the Data page runs on upload; the CLI reads through
the same `read_table`) in a fresh process whose address space is capped (RLIMIT_AS 4 GB), so a
case that blows up cannot take the machine. `--code DIR` runs the cases against another checkout
(e.g. `git worktree add /tmp/ingest-old HEAD~n`); `--compare DIR` runs a second checkout
alternately with the first, case by case, so both see the same machine load. CPU seconds
(user + sys of the child) are shown beside wall time: on a shared machine they vary less.

Cases (files are generated once into bench/data/ingest/, git-ignored):
    valid_100k      100,000 valid rows in Pistas' layout, CSV (about 12 MB)
    valid_200k      200,000 valid rows (the row limit), CSV (about 24 MB)
    valid_100k_xlsx the 100,000 rows as XLSX
    trailing_commas a header of one cell and 400,000 trailing commas, then one row (400 KB)
    parquet_2m      2,000,000 identical rows, Parquet (dictionary + RLE: a few KB)
    parquet_20m     20,000,000 identical rows, Parquet
    xlsx_bomb       a workbook whose sheet XML inflates to 1 GB (a few MB zipped)

Reported per case: the outcome (rows read, or the fatal reason), median wall time over --repeat
runs, and the process's peak RSS above its RSS before the call (resource.getrusage ru_maxrss).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "ingest"
CASES = (
    "valid_100k",
    "valid_200k",
    "valid_100k_xlsx",
    "trailing_commas",
    "parquet_2m",
    "parquet_20m",
    "xlsx_bomb",
)
REGIONS = ("Huánuco", "Ayacucho", "Cusco", "Junín", "Pasco", "Ucayali", "Loreto", "Puno")
TYPES = ("airstrip_destroyed", "airstrip_detected", "seizure", "aircraft_interdicted")
HEADER = (
    "event_id",
    "date",
    "region",
    "lat",
    "lon",
    "event_type",
    "count",
    "route",
    "quantity_kg",
    "notes",
    "source_title",
    "source_url",
    "source_publisher",
)


def valid_rows(n: int) -> list[list[str]]:
    """n distinct valid rows in Pistas' layout (varied dates, regions, numbers)."""
    rows = []
    for i in range(n):
        rows.append(
            [
                f"b-{i}",
                f"{2012 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                REGIONS[i % len(REGIONS)],
                f"{-9 - (i % 500) / 1000:.4f}",
                f"{-75 - (i % 700) / 1000:.4f}",
                TYPES[i % len(TYPES)],
                str(1 + i % 3),
                "air",
                f"{(i % 90) * 1.5:.1f}" if i % 4 == 3 else "",
                f"bench row {i}",
                f"Report {i % 50}",
                f"https://example.org/r/{i % 50}",
                "Bench",
            ]
        )
    return rows


def valid_csv(n: int) -> bytes:
    import csv

    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(valid_rows(n))
    return sink.getvalue().encode()


def valid_xlsx(n: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("events")
    ws.append(list(HEADER))
    for row in valid_rows(n):
        ws.append(row)
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def trailing_commas(n: int = 400_000) -> bytes:
    return b"date" + b"," * n + b"\n2015-01-01\n"


def identical_parquet(n: int, chunk: int = 1_000_000) -> bytes:
    """n copies of one valid row, written a chunk at a time (dictionary pages: tiny on disk)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {
        "date": "2015-01-01",
        "event_type": "seizure",
        "region": "Cusco",
        "source_title": "Report",
        "source_url": "https://example.org/r",
    }
    schema = pa.schema([(c, pa.dictionary(pa.int32(), pa.string())) for c in values])
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, schema) as writer:
        done = 0
        while done < n:
            size = min(chunk, n - done)
            indices = pa.array(np.zeros(size, dtype=np.int32))
            arrays = [pa.DictionaryArray.from_arrays(indices, pa.array([v])) for v in values.values()]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            done += size
    return sink.getvalue()


def xlsx_bomb(unpacked: int = 2**30) -> bytes:
    """A real workbook whose sheet1.xml is `unpacked` bytes of identical rows (deflated)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["date", "event_type", "source_title", "source_url"])
    skeleton = io.BytesIO()
    wb.save(skeleton)
    row = b'<row><c t="inlineStr"><is><t>2015-01-01</t></is></c><c t="inlineStr"><is><t>seizure</t></is></c></row>'
    block = row * (2**20 // len(row))
    sink = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(skeleton.getvalue())) as src,
        zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, src.read(item))
                continue
            info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                written = 0
                while written < unpacked:
                    sheet.write(block)
                    written += len(block)
                sheet.write(b"</sheetData></worksheet>")
    return sink.getvalue()


MAKERS = {
    "valid_100k": ("valid_100k.csv", lambda: valid_csv(100_000)),
    "valid_200k": ("valid_200k.csv", lambda: valid_csv(200_000)),
    "valid_100k_xlsx": ("valid_100k.xlsx", lambda: valid_xlsx(100_000)),
    "trailing_commas": ("trailing_commas.csv", trailing_commas),
    "parquet_2m": ("identical_2m.parquet", lambda: identical_parquet(2_000_000)),
    "parquet_20m": ("identical_20m.parquet", lambda: identical_parquet(20_000_000)),
    "xlsx_bomb": ("bomb.xlsx", xlsx_bomb),
}


def case_file(case: str) -> Path:
    name, make = MAKERS[case]
    path = DATA / name
    if not path.is_file():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
    return path


CHILD = r"""
import json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
from lib import ingest
path = sys.argv[1]
data = open(path, "rb").read()
usage = resource.getrusage(resource.RUSAGE_SELF)
before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
start = time.perf_counter()
try:
    report = ingest.load_upload(data, os.path.basename(path))
    outcome = report.fatal_reason or f"{report.rows_read} rows read, {len(report.valid)} valid"
except BaseException as exc:
    outcome = f"raised {type(exc).__name__}: {str(exc)[:80]}"
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu,
                  "peak_mb": (usage.ru_maxrss - before) / 1024, "outcome": outcome}))
"""


def data_dir() -> Path:
    """A data folder with the fixture sourced tables (what uploads are checked against)."""
    folder = DATA / "pistas-data"
    if not folder.is_dir():
        shutil.copytree(ROOT / "tests" / "fixtures" / "sourced", folder / "sourced")
    return folder


def run_case(code: Path, path: Path, timeout: float) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "PISTAS_DATA_DIR": str(data_dir()),
        "OPENBLAS_NUM_THREADS": "1",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {
            "seconds": timeout,
            "cpu": float("nan"),
            "peak_mb": float("nan"),
            "outcome": f"killed after {timeout:.0f} s",
        }
    if done.returncode != 0 or not done.stdout.strip():
        return {
            "seconds": float("nan"),
            "cpu": float("nan"),
            "peak_mb": float("nan"),
            "outcome": f"crashed: {done.stderr.strip()[-120:]}",
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose lib.ingest is timed")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout, run alternately with --code case by case (same machine load)",
    )
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    codes = [args.code] + ([args.compare] if args.compare else [])
    print("codes: " + ", ".join(f"[{i}] {c}" for i, c in enumerate(codes)))
    print(f"{'case':<16} {'code':>4} {'size':>9} {'median s':>9} {'cpu s':>7} {'peak MB':>8}  outcome")
    for case in args.cases.split(","):
        path = case_file(case)
        runs: dict[int, list[dict]] = {i: [] for i in range(len(codes))}
        for _ in range(args.repeat):
            for i, code in enumerate(codes):  # alternately: both see the same load
                if not runs[i] or runs[i][-1]["seconds"] <= 20:  # a slow case: one run says enough
                    runs[i].append(run_case(code, path, args.timeout))
        size = path.stat().st_size
        shown = f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"
        for i, done in runs.items():
            seconds = statistics.median(r["seconds"] for r in done)
            cpu = statistics.median(r["cpu"] for r in done)
            peak = max(r["peak_mb"] for r in done)
            print(
                f"{case:<16} {i:>4} {shown:>9} {seconds:>9.2f} {cpu:>7.2f} {peak:>8.0f}  {done[-1]['outcome']}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
