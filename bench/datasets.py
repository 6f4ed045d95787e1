"""Build (or reuse) the benchmark's data at one size: bench/data/<size>/built via lib.build."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from lib.build import BuildSpec, build, current_version, read_manifest
from lib.paths import REPO_ROOT

BENCH_DATA = REPO_ROOT / "bench" / "data"


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def existing(built: Path, size: int) -> dict | None:
    """The manifest of the current build when it holds `size` simulated events, else None."""
    version = current_version(built)
    if not version or not (built / version / "events").is_dir():
        return None
    try:
        manifest = read_manifest(built, version)
    except (OSError, ValueError):
        return None
    if (manifest.get("simulated") or {}).get("events") != size:
        return None
    return manifest


def build_here(size: int, data_dir: Path) -> dict:
    """Build `size` events into data_dir/built in this process; return the build's own figures."""
    spec = BuildSpec(sourced=REPO_ROOT / "data" / "sourced", out=data_dir / "built", simulated_events=size)
    started = time.perf_counter()
    build(spec, force=True, log=lambda *a: print(*a, file=sys.stderr))
    stats = {
        "build_wall_seconds": round(time.perf_counter() - started, 2),
        "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "build_memory_limit": os.environ.get("PISTAS_BUILD_MEMORY", "2GB"),
    }
    (data_dir / "build_stats.json").write_text(json.dumps(stats, indent=2))
    return stats


def ensure_data(size: int, root: Path = BENCH_DATA, log=print) -> dict:
    """Data dir for `size` events; build when no build of that size exists. Returns facts about it.

    A build whose manifest says it has the same simulated size is reused even when lib/ changed
    since (the benchmark measures queries, not the generator); delete bench/data/<size> to rebuild.
    The build runs in a child process, so its peak memory is its own.
    """
    data_dir = root / str(size)
    built = data_dir / "built"
    manifest = existing(built, size)
    reused = manifest is not None
    if manifest is None:
        log(f"building {size:,} events into {built} …")
        data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "bench.datasets", str(size), str(data_dir)], cwd=REPO_ROOT, check=True
        )
        manifest = existing(built, size)
        if manifest is None:
            raise RuntimeError(f"the build of {size} events left no usable manifest in {built}")
    version = manifest["version"]
    folder = built / version
    try:
        stats = json.loads((data_dir / "build_stats.json").read_text())
    except (OSError, ValueError):
        stats = {}
    return {
        "size": size,
        "data_dir": str(data_dir),
        "version": version,
        "reused_build": reused,
        "build_seconds": manifest.get("build_seconds"),
        "build_peak_rss_mb": stats.get("build_peak_rss_mb"),
        "built_at": manifest.get("built_at"),
        "events": manifest["rows"]["events"],
        "events_by_provenance": manifest.get("events_by_provenance"),
        "disk_mb": round(disk_bytes(folder) / 1e6, 2),
        "events_disk_mb": round(disk_bytes(folder / "events") / 1e6, 2),
    }


if __name__ == "__main__":  # python -m bench.datasets SIZE DATA_DIR (what ensure_data runs)
    print(json.dumps(build_here(int(sys.argv[1]), Path(sys.argv[2]))))
