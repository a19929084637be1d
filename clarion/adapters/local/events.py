"""Events in DuckDB: the local EventSink, and the AnalyticsQuery over the ``events`` table.

The table has the columns of ``clarion/sql/events_columns.json`` (the Glue table's) plus
``dt``, the UTC event date the lake is partitioned by, so the analytics SQL that Athena
runs over the lake runs here unchanged after transpiling. ``event_id`` is the primary
key: a record stored twice (a replayed SES record) is kept once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from clarion.adapters.local import profiles as _profiles  # noqa: F401  (creates `endpoints`)
from clarion.adapters.local.database import LocalDatabase, schema
from clarion.domain.endpoint import ChannelType
from clarion.domain.event_rows import PARTITION_KEY, event_columns, event_row
from clarion.domain.events import EventRecord

_SCALARS_DUCKDB = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE"}
_SCALARS_ARROW = {"string": pa.string(), "bigint": pa.int64(), "double": pa.float64()}


def _split_top(text: str) -> list[str]:
    """Split on commas not nested in ``<...>``."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


_GENERIC = re.compile(r"^(struct|map)<(.*)>$", re.DOTALL)


def duckdb_type(hive: str) -> str:
    """A Hive/Glue type (``struct<a:string>``, ``map<string,double>``) as DuckDB's."""
    hive = hive.strip()
    if hive in _SCALARS_DUCKDB:
        return _SCALARS_DUCKDB[hive]
    match = _GENERIC.match(hive)
    if not match:
        raise ValueError(f"unsupported column type {hive!r}")
    kind, body = match.groups()
    if kind == "map":
        key, value = _split_top(body)
        return f"MAP({duckdb_type(key)}, {duckdb_type(value)})"
    fields = [part.split(":", 1) for part in _split_top(body)]
    return "STRUCT(" + ", ".join(f"{name} {duckdb_type(t)}" for name, t in fields) + ")"


def arrow_type(hive: str) -> pa.DataType:
    """A Hive/Glue type as the Arrow type Parquet stores it with."""
    hive = hive.strip()
    if hive in _SCALARS_ARROW:
        return _SCALARS_ARROW[hive]
    match = _GENERIC.match(hive)
    if not match:
        raise ValueError(f"unsupported column type {hive!r}")
    kind, body = match.groups()
    if kind == "map":
        key, value = _split_top(body)
        return pa.map_(arrow_type(key), arrow_type(value))
    fields = [part.split(":", 1) for part in _split_top(body)]
    return pa.struct([(name, arrow_type(t)) for name, t in fields])


ARROW_SCHEMA = pa.schema(
    [(name, arrow_type(kind)) for name, kind in event_columns()] + [(PARTITION_KEY, pa.string())]
)
COLUMNS = tuple(ARROW_SCHEMA.names)


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(
        f"{name} {duckdb_type(kind)}{' PRIMARY KEY' if name == 'event_id' else ''}"
        for name, kind in event_columns()
    )
    connection.execute(f"CREATE TABLE IF NOT EXISTS events ({columns}, {PARTITION_KEY} VARCHAR)")


def rows_to_arrow(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Event rows (:func:`event_row` output) as an Arrow table in column order."""
    return pa.Table.from_pylist(
        [
            {
                **row,
                "attributes": list(row["attributes"].items()),
                "metrics": list(row["metrics"].items()),
            }
            for row in rows
        ],
        schema=ARROW_SCHEMA,
    )


def records_to_arrow(records: Sequence[EventRecord]) -> pa.Table:
    return rows_to_arrow([event_row(record) for record in records])


class DuckDBEventStore:
    """EventSink on the embedded database: one ``events`` row per distinct event id."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def put_records(self, records: Sequence[EventRecord]) -> set[str]:
        if not records:
            return set()
        # Within one batch the first copy wins; DuckDB refuses a key twice in one insert.
        unique = list({record.event_id: record for record in reversed(records)}.values())
        unique.reverse()
        batch = records_to_arrow(unique)
        cursor = self._database.cursor()
        cursor.register("incoming_events", batch)
        try:
            rows = cursor.execute(
                "INSERT INTO events SELECT * FROM incoming_events "
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
            ).fetchall()
        finally:
            cursor.unregister("incoming_events")
        return {event_id for (event_id,) in rows}

    def count(self) -> int:
        row = self._database.cursor().execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def export_parquet(self, folder: Path) -> Path:
        """Write the table as Parquet partitioned like the lake (``dt=YYYY-MM-DD/``)."""
        folder.mkdir(parents=True, exist_ok=True)
        self._database.cursor().execute(
            f"COPY events TO '{_sql_path(folder)}' "
            f"(FORMAT parquet, PARTITION_BY ({PARTITION_KEY}), OVERWRITE_OR_IGNORE true)"
        )
        return folder


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def bind(sql: str, parameters: Mapping[str, Any] | None) -> exp.Expr:
    """Parse Trino SQL and replace ``:name`` placeholders with literals of the values."""
    tree = sqlglot.parse_one(sql, read="trino")
    if parameters:
        missing = {node.name for node in tree.find_all(exp.Placeholder) if node.name} - set(
            parameters
        )
        if missing:
            raise ValueError(f"no value for SQL parameter(s): {', '.join(sorted(missing))}")
        tree = exp.replace_placeholders(tree, **parameters)
    elif any(tree.find_all(exp.Placeholder)):
        raise ValueError("the SQL has placeholders but no parameters were given")
    return tree


class DuckDBAnalyticsQuery:
    """AnalyticsQuery on the embedded database (Trino SQL transpiled by sqlglot)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        text = bind(sql, parameters).sql("duckdb")
        cursor = self._database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute(text)
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class DuckDBEndpointLocator:
    """EndpointLocator on the local ``endpoints`` table (by channel and address)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def endpoint_ids_by_address(
        self, addresses: Sequence[tuple[ChannelType, str]]
    ) -> dict[tuple[ChannelType, str], list[str]]:
        if not addresses:
            return {}
        table = pa.table(
            {
                "channel_type": [str(channel) for channel, _ in addresses],
                "address": [address for _, address in addresses],
            }
        )
        cursor = self._database.cursor()
        cursor.register("wanted_addresses", table)
        try:
            rows = cursor.execute(
                "SELECT DISTINCT w.channel_type, w.address, e.id FROM wanted_addresses w "
                "JOIN endpoints e ON e.channel_type = w.channel_type AND e.address = w.address "
                "ORDER BY e.id"
            ).fetchall()
        finally:
            cursor.unregister("wanted_addresses")
        found: dict[tuple[ChannelType, str], list[str]] = {}
        for channel, address, endpoint_id in rows:
            found.setdefault((ChannelType(channel), address), []).append(endpoint_id)
        return found
