"""Events in DuckDB: the local EventSink (the ``events`` table).

The table has the columns of ``resources/contracts/events_columns.json`` (the Glue
table's) plus ``dt``, the UTC event date the lake is partitioned by, so the analytics SQL
that Athena runs over the lake runs here unchanged after transpiling. ``event_id`` is the
primary key: a record stored twice (a replayed SES record) is kept once."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from clarion.adapters.local.analytics.analytics_query import _sql_path
from clarion.adapters.local.audience import profile_store as _profiles  # noqa: F401  (creates `endpoints`)
from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.events.records import EventRecord
from clarion.domain.events.rows import (
    PARTITION_KEY,
    compact_json,
    event_columns,
    event_date,
)

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


def _struct_of(
    kind: pa.DataType, children: dict[str, pa.Array], mask: pa.Array | None = None
) -> pa.Array:
    fields = [kind.field(i) for i in range(kind.num_fields)]
    return pa.StructArray.from_arrays([children[f.name] for f in fields], fields=fields, mask=mask)


def _strings(values: list[Any]) -> pa.Array:
    return pa.array(values, type=pa.string())


def records_to_arrow(records: Sequence[EventRecord]) -> pa.Table:
    """Records as the Arrow table :func:`rows_to_arrow` makes of their :func:`event_row`
    rows, built column by column (flat lists, not a dict a row)."""
    if not records:
        return rows_to_arrow([])
    apps = [r.application for r in records]
    devices = [r.device for r in records]
    sessions = [r.session for r in records]
    locales = [d.locale for d in devices]
    platforms = [d.platform for d in devices]
    sdks = [a.sdk for a in apps]
    types = {name: ARROW_SCHEMA.field(name).type for name in COLUMNS}
    device_type = types["device"]
    locale_mask = pa.array([locale is None for locale in locales], type=pa.bool_())
    columns: dict[str, pa.Array] = {
        "event_id": _strings([r.event_id for r in records]),
        "event_type": _strings([r.event_type for r in records]),
        "event_timestamp": pa.array([r.event_timestamp for r in records], type=pa.int64()),
        "arrival_timestamp": pa.array([r.arrival_timestamp for r in records], type=pa.int64()),
        "event_version": _strings([r.event_version for r in records]),
        "application": _struct_of(
            types["application"],
            {
                "app_id": _strings([a.app_id for a in apps]),
                "package_name": _strings([a.package_name for a in apps]),
                "title": _strings([a.title for a in apps]),
                "version_name": _strings([a.version_name for a in apps]),
                "version_code": _strings([a.version_code for a in apps]),
                "sdk": _struct_of(
                    types["application"].field("sdk").type,
                    {
                        "name": _strings([s.name for s in sdks]),
                        "version": _strings([s.version for s in sdks]),
                    },
                ),
            },
        ),
        "client": _struct_of(
            types["client"],
            {
                "client_id": _strings([r.client.client_id for r in records]),
                "cognito_id": _strings([r.client.cognito_id for r in records]),
            },
        ),
        "device": _struct_of(
            types["device"],
            {
                "locale": _struct_of(
                    device_type.field("locale").type,
                    {
                        "code": _strings([lo.code if lo else None for lo in locales]),
                        "country": _strings([lo.country if lo else None for lo in locales]),
                        "language": _strings([lo.language if lo else None for lo in locales]),
                    },
                    locale_mask,
                ),
                "make": _strings([d.make for d in devices]),
                "model": _strings([d.model for d in devices]),
                "platform": _struct_of(
                    device_type.field("platform").type,
                    {
                        "name": _strings([p.name for p in platforms]),
                        "version": _strings([p.version for p in platforms]),
                    },
                ),
            },
        ),
        "session": _struct_of(
            types["session"],
            {
                "session_id": _strings([s.session_id for s in sessions]),
                "start_timestamp": pa.array([s.start_timestamp for s in sessions], pa.int64()),
                "stop_timestamp": pa.array([s.stop_timestamp for s in sessions], pa.int64()),
                "duration": pa.array([s.duration for s in sessions], pa.int64()),
            },
        ),
        "attributes": pa.array(
            [list(r.attributes.items()) for r in records], type=types["attributes"]
        ),
        "metrics": pa.array(
            [[(k, float(v)) for k, v in r.metrics.items()] for r in records],
            type=types["metrics"],
        ),
        "awsaccountid": _strings([r.aws_account_id for r in records]),
        "endpoint_id": _strings([r.endpoint_id for r in records]),
        "endpoint_json": _strings([compact_json(r.endpoint) for r in records]),
        "facets_json": _strings([compact_json(r.facets) for r in records]),
        PARTITION_KEY: _strings([event_date(r.event_timestamp) for r in records]),
    }
    return pa.Table.from_arrays([columns[name] for name in COLUMNS], schema=ARROW_SCHEMA)


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
