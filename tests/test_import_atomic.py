"""Imports are atomic end to end: a process killed at any step leaves the data and its manifest agreeing.

An import runs in a subprocess that SIGKILLs itself at one step (a function of lib.ingest or
lib.build wrapped to kill the process before or after it runs). Then: the import manifest in
force and the served build hold the same imported rows; a plain `python -m lib.build --force`
publishes nothing the killed import did not finish; the same import, run again, completes.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench import ingest as bench
from lib import build as build_mod
from lib import ingest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SOURCED = ROOT / "tests" / "fixtures" / "sourced"
FIRST = {"a-0", "a-1"}  # imported and finished before each test
SECOND = {"b-0", "b-1"}  # the import that is killed

KILLER = r"""
import os, signal, sys
from pathlib import Path
from lib import build as build_mod, ingest

step, path = sys.argv[1], Path(sys.argv[2])

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def after(module, name):
    original = getattr(module, name)
    def wrapped(*args, **kwargs):
        original(*args, **kwargs)
        die()
    setattr(module, name, wrapped)

def before(module, name):
    setattr(module, name, die)

{
    "events_file_written": lambda: after(ingest, "_write_bytes_atomic"),
    "build_started": lambda: before(build_mod, "_write_raw_events"),
    "build_tables_written": lambda: after(build_mod, "_write_tables"),
    "before_current_switch": lambda: before(build_mod, "_write_atomic"),
    "after_current_switch": lambda: after(build_mod, "_write_atomic"),
    "after_manifest_copy": lambda: before(ingest, "_collect_garbage"),
    "none": lambda: None,
}[step]()
report = ingest.load_upload(path.read_bytes(), path.name)
assert report.ok, report.messages()
ingest.commit(report, log=lambda *_: None)
"""
# Steps after which the import is done (CURRENT names its build): its rows are served.
PUBLISHED = {"after_current_switch", "after_manifest_copy", "none"}
STEPS = [
    "events_file_written",
    "build_started",
    "build_tables_written",
    "before_current_switch",
    "after_current_switch",
    "after_manifest_copy",
    "none",
]


def rows_csv(prefix: str, n: int = 2) -> bytes:
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(bench.HEADER)
    for i, row in enumerate(bench.valid_rows(n)):
        writer.writerow([f"{prefix}-{i}", *row[1:]])
    return sink.getvalue().encode()


def env(data: Path) -> dict[str, str]:
    return {**os.environ, "PISTAS_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Fixture sourced tables, a build without simulation, and one finished import (FIRST)."""
    root = tmp_path_factory.mktemp("atomic-base")
    shutil.copytree(FIXTURE_SOURCED, root / "sourced")
    build_mod.build(
        build_mod.BuildSpec(sourced=root / "sourced", out=root / "built", simulate=False), log=lambda *_: None
    )
    first = root.parent / "first.csv"
    first.write_bytes(rows_csv("a"))
    done = subprocess.run(
        [sys.executable, "-c", KILLER, "none", str(first)],
        env=env(root),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def data(base, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(base, root)
    monkeypatch.setenv("PISTAS_DATA_DIR", str(root))
    return root


def served_ids(data: Path) -> set[str]:
    built = data / "built"
    version = (built / "CURRENT").read_text().strip()
    ids = set(pq.read_table(built / version / "events", columns=["event_id"]).column("event_id").to_pylist())
    return ids & (FIRST | SECOND)


def committed_ids() -> set[str]:
    return set(ingest.imported_events(ingest.read_import_manifest())["event_id"])


def plain_build(data: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lib.build", "--no-simulated", "--force"],
        env=env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("step", STEPS)
def test_an_import_killed_at_any_step_leaves_data_and_manifest_agreeing(data, tmp_path, step):
    second = tmp_path / "second.csv"
    second.write_bytes(rows_csv("b"))
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, step, str(second)],
        env=env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = FIRST | SECOND if step in PUBLISHED else FIRST
    if step == "none":
        assert killed.returncode == 0, killed.stderr
    else:
        assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert served_ids(data) == committed_ids() == expected

    plain_build(data)  # reads the manifest in force: never the killed import's files
    assert served_ids(data) == committed_ids() == expected

    again = subprocess.run(
        [sys.executable, "-c", KILLER, "none", str(second)],
        env=env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert served_ids(data) == committed_ids() == FIRST | SECOND
    copy = ingest._manifest_path()  # the copy in the imported folder has caught up
    assert {f["events"] for f in ingest.read_import_manifest()["files"]} == {
        f["events"] for f in __import__("json").loads(copy.read_text())["files"]
    }


def test_rollback_after_a_killed_import_restores_the_import_before_it(data, tmp_path):
    second = tmp_path / "second.csv"
    second.write_bytes(rows_csv("b"))
    subprocess.run(
        [sys.executable, "-c", KILLER, "after_current_switch", str(second)],
        env=env(data),
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert served_ids(data) == FIRST | SECOND
    ingest.rollback_import(log=lambda *_: None)
    assert served_ids(data) == committed_ids() == FIRST


def test_a_plain_build_waits_for_the_import_lock(data):
    with build_mod.imports_lock():
        waiting = subprocess.Popen(
            [sys.executable, "-m", "lib.build", "--no-simulated", "--force"],
            env=env(data),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(3)  # long enough to import and reach the lock; the build itself would take ~1 s
        assert waiting.poll() is None, "lib.build did not wait for the import lock"
    assert waiting.wait(timeout=120) == 0
    assert served_ids(data) == committed_ids() == FIRST
