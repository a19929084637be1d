"""Endpoints in DuckDB: the local ProfileStore, and the ``endpoints`` relation that
segment SQL reads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.arrow import map_array
from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.audience.endpoint import Endpoint, checked_metric_updates
from clarion.domain.audience.rows import (
    COLUMN_NAMES,
    ENDPOINT_COLUMNS,
    endpoint_document,
    last_active,
)

_DUCKDB_TYPES = {
    "varchar": "VARCHAR",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "map(varchar, array(varchar))": "MAP(VARCHAR, VARCHAR[])",
    "map(varchar, double)": "MAP(VARCHAR, DOUBLE)",
}
_ARROW_TYPES = {
    "varchar": pa.string(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "map(varchar, array(varchar))": pa.map_(pa.string(), pa.list_(pa.string())),
    "map(varchar, double)": pa.map_(pa.string(), pa.float64()),
}
ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in ENDPOINT_COLUMNS])


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    # The key serves single-endpoint reads and small upserts (the API's writes); bulk
    # writers replace the stored rows of their ids and insert, in one transaction.
    columns = ", ".join(
        f"{name} {_DUCKDB_TYPES[kind]}{' PRIMARY KEY' if name == 'id' else ''}"
        for name, kind in ENDPOINT_COLUMNS
    )
    connection.execute(f"CREATE TABLE IF NOT EXISTS endpoints ({columns})")
    connection.execute("CREATE INDEX IF NOT EXISTS endpoints_user_id ON endpoints (user_id)")


def rows_to_arrow(rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """Endpoint rows (``endpoint_row`` output) as an Arrow table in column order."""
    return pa.table(
        {
            name: pa.array([row[name] for row in rows], type=ARROW_SCHEMA.field(name).type)
            for name in COLUMN_NAMES
        },
        schema=ARROW_SCHEMA,
    )


_DEMOGRAPHIC_FIELDS = tuple(
    (name, name.removeprefix("demographic_"))
    for name in COLUMN_NAMES
    if name.startswith("demographic_")
)
_LOCATION_FIELDS = tuple(
    (name, name.removeprefix("location_")) for name in COLUMN_NAMES if name.startswith("location_")
)


def endpoints_to_arrow(endpoints: Sequence[Endpoint]) -> pa.Table:
    """``rows_to_arrow([endpoint_row(e) for e in endpoints])``, built column by column
    (no row dictionaries, maps from flat keys and values)."""
    columns: dict[str, list[object]] = {name: [] for name in COLUMN_NAMES}
    ids, channels, addresses = columns["id"], columns["channel_type"], columns["address"]
    statuses, opt_outs = columns["endpoint_status"], columns["opt_out"]
    effective, created = columns["effective_date"], columns["creation_date"]
    users, cohorts = columns["user_id"], columns["cohort_id"]
    activity, documents = columns["last_active_ms"], columns["document"]
    attributes: list[Mapping[str, object]] = []
    user_attributes: list[Mapping[str, object]] = []
    metrics: list[Mapping[str, object]] = []
    demographic_columns = [(columns[column], field) for column, field in _DEMOGRAPHIC_FIELDS]
    location_columns = [(columns[column], field) for column, field in _LOCATION_FIELDS]
    for endpoint in endpoints:
        ids.append(endpoint.id)
        channel = endpoint.channel_type
        channels.append(channel.value if channel else None)
        addresses.append(endpoint.address)
        statuses.append(str(endpoint.endpoint_status or "ACTIVE"))
        opt_outs.append(str(endpoint.opt_out or "NONE"))
        effective.append(endpoint.effective_date)
        created.append(endpoint.creation_date)
        user = endpoint.user
        users.append(user.user_id if user else None)
        cohorts.append(endpoint.cohort_id)
        attributes.append(endpoint.attributes or {})
        user_attributes.append((user.user_attributes or {}) if user else {})
        metrics.append(
            {k: float(v) for k, v in endpoint.metrics.items()} if endpoint.metrics else {}
        )
        demographic = endpoint.demographic
        for values, field in demographic_columns:
            values.append(getattr(demographic, field) if demographic else None)
        location = endpoint.location
        for values, field in location_columns:
            values.append(getattr(location, field) if location else None)
        activity.append(last_active(endpoint))
        documents.append(endpoint_document(endpoint))
    maps = {"attributes": attributes, "user_attributes": user_attributes, "metrics": metrics}
    arrays = [
        map_array(maps[name], ARROW_SCHEMA.field(name).type)
        if name in maps
        else pa.array(columns[name], type=ARROW_SCHEMA.field(name).type)
        for name in COLUMN_NAMES
    ]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


# Up to this many endpoints a write goes through one ``INSERT ... ON CONFLICT`` (about a
# millisecond a row); more go through the batch path (a fixed cost, cheap per row).
SMALL_WRITE = 16
_UPSERT = (
    "INSERT INTO endpoints SELECT * FROM incoming_endpoints ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(
        "last_active_ms = greatest(endpoints.last_active_ms, excluded.last_active_ms)"
        if name == "last_active_ms"
        else f"{name} = excluded.{name}"
        for name in COLUMN_NAMES
        if name != "id"
    )
)
_MERGED_METRIC_ROWS = (
    "CREATE OR REPLACE TEMP TABLE merged_metric_rows AS SELECT e.* REPLACE ("
    "map_concat(e.metrics, i.metrics) AS metrics, "
    "json_merge_patch(e.document, i.patch)::VARCHAR AS document) "
    "FROM endpoints e JOIN incoming_metrics i ON e.id = i.id"
)
# How long the attribute names in use are believed before they are read again (another
# process may add names; this one keeps its own writes and deletes in step).
NAMES_SECONDS = 2.0


class _AttributeNames:
    """The attribute names in use, read from the table at most every few seconds."""

    def __init__(self) -> None:
        self.names: set[str] | None = None
        self.read_at = 0.0

    def fresh(self) -> set[str] | None:
        if self.names is None or time.monotonic() - self.read_at > NAMES_SECONDS:
            return None
        return set(self.names)

    def remember(self, names: set[str]) -> None:
        self.names, self.read_at = set(names), time.monotonic()

    def extend(self, endpoints: Iterable[Endpoint]) -> None:
        if self.names is not None:
            for endpoint in endpoints:
                self.names |= attribute_names_of(endpoint)

    def forget(self) -> None:
        self.names = None


def attribute_names_of(endpoint: Endpoint) -> set[str]:
    """The dotted attribute names an endpoint uses, as the per-project limit counts them."""
    user_attributes = (endpoint.user.user_attributes or {}) if endpoint.user else {}
    return {
        *(f"Attributes.{name}" for name in endpoint.attributes or {}),
        *(f"User.UserAttributes.{name}" for name in user_attributes),
        *(f"Metrics.{name}" for name in endpoint.metrics or {}),
    }


class DuckDBProfileStore:
    """ProfileStore on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database
        self._names = _AttributeNames()

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        if not endpoints:
            return
        # Last write wins within a batch, as with sequential writes.
        latest = {endpoint.id: endpoint for endpoint in endpoints}
        batch = endpoints_to_arrow(list(latest.values()))
        cursor = self._database.cursor()
        cursor.register("incoming_endpoints", batch)
        self._names.extend(latest.values())
        if len(latest) <= SMALL_WRITE:
            # A few rows (an API write): one upsert is far cheaper than the batch path's
            # transaction and temporary table.
            try:
                cursor.execute(_UPSERT)
            finally:
                cursor.unregister("incoming_endpoints")
            return
        try:
            # In one transaction: the stored rows of the batch's ids are replaced (delete,
            # then insert), keeping the later last_active_ms, and new ids are inserted.
            self._write(cursor)
        finally:
            cursor.unregister("incoming_endpoints")

    def _write(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._database.writing():
            cursor.execute("BEGIN TRANSACTION")
            try:
                cursor.execute(
                    "CREATE OR REPLACE TEMP TABLE stored_endpoint_activity AS "
                    "SELECT id, last_active_ms FROM endpoints "
                    "WHERE id IN (SELECT id FROM incoming_endpoints)"
                )
                (stored,) = cursor.execute(
                    "SELECT count(*) FROM stored_endpoint_activity"
                ).fetchone() or (0,)
                if stored:
                    cursor.execute(
                        "DELETE FROM endpoints "
                        "WHERE id IN (SELECT id FROM stored_endpoint_activity)"
                    )
                    selected = ", ".join(
                        "greatest(s.last_active_ms, i.last_active_ms)"
                        if name == "last_active_ms"
                        else f"i.{name}"
                        for name in COLUMN_NAMES
                    )
                    cursor.execute(
                        f"INSERT INTO endpoints SELECT {selected} FROM incoming_endpoints i "
                        "LEFT JOIN stored_endpoint_activity s ON s.id = i.id"
                    )
                else:
                    cursor.execute("INSERT INTO endpoints SELECT * FROM incoming_endpoints")
                cursor.execute("DROP TABLE stored_endpoint_activity")
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise

    def set_metrics(self, metrics: Mapping[str, Mapping[str, float]]) -> int:
        """Set metrics on many endpoints in one transaction, all in SQL.

        The updates go in as an Arrow table (id, a map of the metrics, the same map as
        JSON); one statement joins the stored rows and merges the map into the
        ``metrics`` column and the JSON into the stored document (``json_merge_patch``
        under ``Metrics``); the merged rows then replace the stored ones (delete, insert),
        as the batch path of ``put_endpoints`` does. No endpoint is read into Python and
        every other column is kept. Rows are replaced rather than updated in place
        (``UPDATE ... SET metrics``) or upserted (``INSERT OR REPLACE``): DuckDB rewrites
        an updated map column row by row, several times slower.
        """
        checked = checked_metric_updates(metrics)
        if not checked:
            return 0
        kind = ARROW_SCHEMA.field("metrics").type
        table = pa.table(
            {
                "id": pa.array(list(checked), type=pa.string()),
                "metrics": map_array(list(checked.values()), kind),
                "patch": pa.array(
                    [json.dumps({"Metrics": values}) for values in checked.values()],
                    type=pa.string(),
                ),
            }
        )
        cursor = self._database.cursor()
        cursor.register("incoming_metrics", table)
        try:
            with self._database.writing():
                cursor.execute("BEGIN TRANSACTION")
                try:
                    cursor.execute(_MERGED_METRIC_ROWS)
                    (written,) = cursor.execute(
                        "SELECT count(*) FROM merged_metric_rows"
                    ).fetchone() or (0,)
                    cursor.execute(
                        "DELETE FROM endpoints WHERE id IN (SELECT id FROM merged_metric_rows)"
                    )
                    cursor.execute("INSERT INTO endpoints SELECT * FROM merged_metric_rows")
                    cursor.execute("DROP TABLE merged_metric_rows")
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
        finally:
            cursor.unregister("incoming_metrics")
        if self._names.names is not None:
            self._names.names |= {f"Metrics.{n}" for values in checked.values() for n in values}
        return int(written)

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        if not endpoint_ids:
            return {}
        cursor = self._database.cursor()
        if len(endpoint_ids) == 1:
            # One id: a key lookup, not a join with a list.
            rows = cursor.execute(
                "SELECT document FROM endpoints WHERE id = ?", [endpoint_ids[0]]
            ).fetchall()
            found = (Endpoint.model_validate(json.loads(document)) for (document,) in rows)
            return {endpoint.id: endpoint for endpoint in found}
        rows = cursor.execute(
            "SELECT document FROM endpoints WHERE id IN (SELECT unnest(?))",
            [list(endpoint_ids)],
        ).fetchall()
        found = (Endpoint.model_validate(json.loads(document)) for (document,) in rows)
        return {endpoint.id: endpoint for endpoint in found}

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        return self.get_endpoints([endpoint_id]).get(endpoint_id)

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]:
        rows = (
            self._database.cursor()
            .execute("SELECT document FROM endpoints WHERE user_id = ? ORDER BY id", [user_id])
            .fetchall()
        )
        return [Endpoint.model_validate(json.loads(document)) for (document,) in rows]

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        if not user_ids:
            return {}
        rows = (
            self._database.cursor()
            .execute(
                "SELECT user_id, id FROM endpoints WHERE user_id IN (SELECT unnest(?))",
                [list(user_ids)],
            )
            .fetchall()
        )
        found: dict[str, set[str]] = {user_id: set() for user_id in user_ids}
        for user_id, endpoint_id in rows:
            found[user_id].add(endpoint_id)
        return found

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        self._names.forget()
        if endpoint_ids:
            self._database.cursor().execute(
                "DELETE FROM endpoints WHERE id IN (SELECT unnest(?))", [list(endpoint_ids)]
            )

    def forget_attribute_names(self) -> None:
        """Read the attribute names in use again next time (another writer, such as
        the columnar import, wrote endpoints to the table)."""
        self._names.forget()

    def attribute_names(self) -> set[str]:
        cached = self._names.fresh()
        if cached is not None:
            return cached
        rows = (
            self._database.cursor()
            .execute(
                "SELECT DISTINCT 'Attributes.' || unnest(map_keys(attributes)) FROM endpoints "
                "UNION SELECT DISTINCT 'User.UserAttributes.' || unnest(map_keys(user_attributes))"
                " FROM endpoints "
                "UNION SELECT DISTINCT 'Metrics.' || unnest(map_keys(metrics)) FROM endpoints"
            )
            .fetchall()
        )
        names = {name for (name,) in rows if name is not None}
        self._names.remember(names)
        return names

    def record_activity(self, activity_ms: Mapping[str, int]) -> None:
        if not activity_ms:
            return
        table = pa.table(
            {"id": list(activity_ms), "active_ms": [int(v) for v in activity_ms.values()]}
        )
        cursor = self._database.cursor()
        cursor.register("incoming_activity", table)
        try:
            cursor.execute(
                "UPDATE endpoints SET last_active_ms = greatest(coalesce(endpoints.last_active_ms,"
                " 0), a.active_ms) FROM incoming_activity a WHERE endpoints.id = a.id"
            )
        finally:
            cursor.unregister("incoming_activity")
