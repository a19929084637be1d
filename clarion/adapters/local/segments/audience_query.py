"""Segment SQL on DuckDB: the local AudienceQuery.

Segment SQL is written in Trino's dialect (what Athena runs); sqlglot transpiles it to
DuckDB once per distinct query text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

import duckdb
import sqlglot

# The tables segment SQL reads exist even before anything was written to them.
from clarion.adapters.local.audience import profile_store as _profiles  # noqa: F401
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments import segment_repository as _segments  # noqa: F401
from clarion.domain.segments.sql import tally_sql

# Rows fetched at a time when streaming members: bounded memory for any audience size.
FETCH_ROWS = 10_000


@lru_cache(maxsize=256)
def to_duckdb(sql: str) -> str:
    """Transpile one Trino-dialect statement to DuckDB (cached by text)."""
    statements = sqlglot.transpile(sql, read="trino", write="duckdb")
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


class DuckDBAudienceQuery:
    """AudienceQuery on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self._database.cursor()
        # Naive timestamps in attribute values are UTC, as in Athena's default session.
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def count(self, sql: str) -> int:
        row = (
            self._cursor()
            .execute(f"SELECT count(*) FROM ({to_duckdb(sql)}) AS audience")
            .fetchone()
        )
        return int(row[0]) if row else 0

    def endpoint_ids(self, sql: str) -> Iterator[str]:
        cursor = self._cursor()
        cursor.execute(to_duckdb(sql))
        while rows := cursor.fetchmany(FETCH_ROWS):
            for (endpoint_id,) in rows:
                yield endpoint_id

    def scope(self, sql: str) -> str:
        """Unchanged: each project has its own database."""
        return sql

    def tally(self, sql: str, conditions: Sequence[str]) -> tuple[int, list[int]]:
        row = self._cursor().execute(to_duckdb(tally_sql(sql, conditions))).fetchone()
        if row is None:  # pragma: no cover - an aggregate always returns its row
            return 0, [0] * len(conditions)
        return int(row[0]), [int(value or 0) for value in row[1:]]
