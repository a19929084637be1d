"""The view and compaction SQL, executed: the same statements run on DuckDB (through
sqlglot, as the local backend does) over small change and snapshot tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from infra.schema import ENDPOINT_CHANGE_COLUMNS
from infra.sql_files import render_sql

ENDPOINT_COLUMNS_JSON = (
    Path(__file__).resolve().parents[2]
    / "clarion"
    / "resources"
    / "contracts"
    / "endpoint_columns.json"
)

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "map<string,array<string>>": "MAP(VARCHAR, VARCHAR[])",
    "map<string,double>": "MAP(VARCHAR, DOUBLE)",
}
DAY_MS = 86_400_000


def duckdb_sql(trino_sql: str) -> str:
    return sqlglot.transpile(trino_sql, read="trino", write="duckdb")[0]


@pytest.fixture
def lake() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    columns = ", ".join(f"{n} {DUCKDB_TYPES[k]}" for n, k in ENDPOINT_CHANGE_COLUMNS)
    connection.execute(f"CREATE TABLE endpoint_changes ({columns})")
    connection.execute(f"CREATE TABLE endpoint_snapshot ({columns}, snapshot_ms BIGINT)")
    connection.execute(
        "CREATE VIEW endpoint_latest AS " + duckdb_sql(render_sql("endpoint_latest_view.sql"))
    )
    connection.execute("CREATE VIEW endpoints AS " + duckdb_sql(render_sql("endpoints_view.sql")))
    return connection


def change(
    endpoint_id: str, sequence: int, at_ms: int, *, deleted: bool = False, address: str = ""
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(name for name, _ in ENDPOINT_CHANGE_COLUMNS)
    row.update(
        id=endpoint_id,
        change_sequence=str(sequence).zfill(40),
        changed_at_ms=at_ms,
        deleted=deleted,
    )
    if not deleted:
        row.update(address=address or f"{endpoint_id}@example.com", channel_type="EMAIL")
        row["attributes"] = {"Plan": ["Gold"]}
    return row


def insert(connection: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    names = [name for name, _ in ENDPOINT_CHANGE_COLUMNS]
    for row in rows:
        extra = ", ?" if table == "endpoint_snapshot" else ""
        values = [row[n] for n in names] + ([row["snapshot_ms"]] if extra else [])
        placeholders = ", ".join("?" for _ in names) + extra
        connection.execute(f"INSERT INTO {table} VALUES ({placeholders})", values)


def endpoints(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(connection.execute("SELECT id, address FROM endpoints ORDER BY id").fetchall())


def test_without_a_snapshot_the_view_is_the_latest_change_of_each_endpoint(lake: Any) -> None:
    insert(
        lake,
        "endpoint_changes",
        [
            change("e-1", 1, 1000, address="old@example.com"),
            change("e-1", 3, 3000, address="new@example.com"),
            change("e-2", 2, 2000),
            change("e-2", 4, 4000, deleted=True),
            change("e-3", 5, 5000),
        ],
    )

    assert endpoints(lake) == {"e-1": "new@example.com", "e-3": "e-3@example.com"}


def test_the_view_exposes_exactly_the_endpoint_columns(lake: Any) -> None:
    names = [d[0] for d in lake.execute("SELECT * FROM endpoints LIMIT 0").description]
    declared = json.loads(ENDPOINT_COLUMNS_JSON.read_text(encoding="utf-8"))["columns"]
    assert names == [column["name"] for column in declared]


def test_the_newest_snapshot_plus_later_changes_make_the_view(lake: Any) -> None:
    snapshot_ms = 10 * DAY_MS
    old_snapshot = [{**change("e-gone", 1, 1000), "snapshot_ms": 5 * DAY_MS}]
    snapshot = [
        {
            **change("e-1", 10, snapshot_ms - DAY_MS, address="snap@example.com"),
            "snapshot_ms": snapshot_ms,
        },
        {**change("e-2", 11, snapshot_ms - DAY_MS), "snapshot_ms": snapshot_ms},
    ]
    insert(lake, "endpoint_snapshot", old_snapshot + snapshot)
    insert(
        lake,
        "endpoint_changes",
        [
            # Long before the snapshot: already in it, must not be read again.
            change("e-old", 2, snapshot_ms - 5 * DAY_MS),
            # Inside the overlap window and older than the snapshot's version: ignored.
            change("e-1", 9, snapshot_ms - DAY_MS - 1, address="stale@example.com"),
            # After the snapshot: newer versions and a deletion win.
            change("e-1", 20, snapshot_ms + 1000, address="after@example.com"),
            change("e-2", 21, snapshot_ms + 2000, deleted=True),
            change("e-4", 22, snapshot_ms + 3000),
        ],
    )

    assert endpoints(lake) == {"e-1": "after@example.com", "e-4": "e-4@example.com"}


def test_compaction_writes_the_live_endpoints_as_the_newest_snapshot(lake: Any) -> None:
    insert(
        lake,
        "endpoint_changes",
        [change("e-1", 1, 1000), change("e-2", 2, 2000), change("e-2", 3, 3000, deleted=True)],
    )
    before = endpoints(lake)
    statement = render_sql("compact_endpoints.sql").replace("{snapshot_ms}", str(4000))

    lake.execute(duckdb_sql(statement))

    rows = lake.execute("SELECT id, snapshot_ms, deleted FROM endpoint_snapshot").fetchall()
    assert rows == [("e-1", 4000, False)]
    assert endpoints(lake) == before
    attributes = lake.execute("SELECT attributes FROM endpoint_snapshot").fetchone()
    assert json.loads(json.dumps(attributes[0])) == {"Plan": ["Gold"]}
