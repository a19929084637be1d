"""The storage floor of a local table: its rows copied DuckDB to DuckDB into an empty
table of the same definition (columns, key and indexes) in a fresh database file, with no
Python between. Any write of those rows into the local store pays at least this."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def storage_floor(
    connection: Any, home: Path, table: str, *, checkpoint: bool = False
) -> dict[str, Any]:
    """Copy ``table`` of ``connection`` into a fresh database under ``home``; its rows,
    wall and CPU seconds (with a final checkpoint when ``checkpoint``)."""
    import duckdb

    ddl = [
        row[0]
        for query in (
            "SELECT sql FROM duckdb_tables() WHERE table_name = ?",
            "SELECT sql FROM duckdb_indexes() WHERE table_name = ?",
        )
        for row in connection.execute(query, [table]).fetchall()
    ]
    fresh = home / f"floor-{table}.duckdb"
    with duckdb.connect(str(fresh)) as target:
        for statement in ddl:
            target.execute(statement)
    connection.execute(f"ATTACH '{fresh}' AS floor")
    try:
        started, cpu = time.perf_counter(), _cpu_seconds()
        connection.execute(f"INSERT INTO floor.main.{table} SELECT * FROM {table}")
        if checkpoint:
            connection.execute("CHECKPOINT floor")
        seconds = time.perf_counter() - started
        cpu_seconds = _cpu_seconds() - cpu
        (rows,) = connection.execute(f"SELECT count(*) FROM floor.main.{table}").fetchone()
    finally:
        connection.execute("DETACH floor")
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "per_second": round(rows / max(seconds, 1e-9)),
    }
