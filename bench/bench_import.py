"""Endpoint import throughput and memory.

Imports a whitepaper-format customer CSV (1,000,000 rows by default, generated once and
cached under bench/out/) into the local backend, and reads the same file with a bare
``pyarrow.csv.read_csv`` in the same run as the baseline: parsing alone, with no
validation and no writes. The import runs in a child process so that its peak RSS is its
own, not the baseline's. Memory is the child's RSS high-water mark
(``resource.getrusage(...).ru_maxrss``) less its value just before the import.

A second figure, measured in the child after the import, is the storage floor: copying
the rows the import wrote into an empty ``endpoints`` table of a fresh database (the same
columns, key and index), which any import into the local store has to pay. CPU seconds
(user + system, every thread) are given beside the wall-clock ones, as the machine may be
shared.

    python -m bench.bench_import [--rows N] [--seed S]

Prints a JSON result and writes it to bench/out/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.storage_floor import storage_floor

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def customer_file(rows: int, seed: int) -> tuple[Path, float | None]:
    """The cached sample file for this size and seed (and how long making it took, when
    it had to be made)."""
    from clarion_devkit.samples.customers import write_customers

    path = OUT / f"customers-{rows}-seed{seed}.csv"
    if path.exists():
        return path, None
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    write_customers(partial, rows, seed=seed)
    partial.replace(path)
    return path, time.perf_counter() - started


def baseline(path: Path) -> dict[str, Any]:
    """A bare pyarrow CSV read of the same file."""
    from pyarrow import csv as pacsv

    started, cpu = time.perf_counter(), _cpu_seconds()
    table = pacsv.read_csv(path)
    seconds = time.perf_counter() - started
    return {
        "rows": table.num_rows,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(_cpu_seconds() - cpu, 3),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(path: Path) -> dict[str, Any]:
    """Import ``path`` into a fresh home in a child process; its measurements."""
    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as home:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.bench_import", "--child", str(path), home],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"the import child failed:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def child(path: Path, home: Path) -> None:
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import Settings

    boot = Bootstrap(Settings(home=home))
    service = boot.import_service
    rss_before = _peak_rss_mb()
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = service.import_file(path)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu
    peak = _peak_rss_mb()
    floor = storage_floor(boot.adapters.database.connection(), home, "endpoints")
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "imported": result.imported,
                "updated": result.updated,
                "rejected": result.rejected_total,
                "peak_rss_mb": round(peak, 1),
                "rss_before_import_mb": round(rss_before, 1),
                "storage_floor": floor,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="customer rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=2, metavar=("FILE", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return 0

    path, generated_in = customer_file(args.rows, args.seed)
    base = baseline(path)
    imported = run_child(path)
    rows = base["rows"]
    report = {
        "benchmark": "endpoint import (whitepaper CSV into the local backend)",
        "rows": rows,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "generated_seconds": None if generated_in is None else round(generated_in, 1),
        "import": {**imported, "rows_per_second": round(rows / imported["seconds"])},
        "baseline_pyarrow_read_csv": {
            **base,
            "rows_per_second": round(rows / base["seconds"]) if base["seconds"] else None,
        },
        # The import's rate as a fraction of the bare read's (the goal: at least 0.25),
        # and its peak memory above what the process held before it (goal: under 1 GB).
        "import_rate_vs_baseline": round(base["seconds"] / imported["seconds"], 3)
        if imported["seconds"]
        else None,
        "import_cpu_vs_baseline_cpu": round(base["cpu_seconds"] / imported["cpu_seconds"], 3)
        if imported["cpu_seconds"]
        else None,
        # The bare write of the same rows into the store, against the same bare read: the
        # best rate any import into this store could reach on this machine.
        "storage_floor_rate_vs_baseline": round(
            base["seconds"] / imported["storage_floor"]["seconds"], 3
        )
        if imported["storage_floor"]["seconds"]
        else None,
        "peak_rss_above_start_mb": round(
            imported["peak_rss_mb"] - imported["rss_before_import_mb"], 1
        ),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "import.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
