"""Churn features as Arrow columns from DuckDB, and a bulk loader that writes
simulated events as columns (the local ColumnarAnalytics and ColumnarEventSink)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery, bind
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.event_sink import ARROW_SCHEMA as EVENTS_SCHEMA
from clarion.domain.churn.model import DAY_MS

# -- columnar access for the churn pipeline --------------------------------------------


class DuckDBChurnData:
    """The churn pipeline's columnar access to the embedded database.

    * :meth:`arrow`: the features SQL (Trino, transpiled like :class:`DuckDBAnalyticsQuery`
      does) fetched as an Arrow table, so a million feature rows are a few hundred MB of
      columns, not a list of dicts; :meth:`batches` streams it.
    * :meth:`put_event_columns`: simulated events written column-wise (no
      ``EventRecord`` per event), deduplicated on ``event_id`` like the event store.

    It is also an ``AnalyticsQuery`` (:meth:`rows`), so the service can take it as its
    analytics adapter.
    """

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return DuckDBAnalyticsQuery(self._database).rows(sql, parameters)

    def _execute(self, sql: str, parameters: Mapping[str, Any] | None) -> Any:
        text = bind(sql, parameters).sql("duckdb")
        cursor = self._database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor.sql(text)

    def arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> pa.Table:
        """The result as an Arrow table (columns typed as DuckDB returns them)."""
        table: pa.Table = self._execute(sql, parameters).to_arrow_table()
        return table

    def batches(
        self, sql: str, parameters: Mapping[str, Any] | None = None, rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        """The result as Arrow record batches of up to ``rows`` rows."""
        reader = self._execute(sql, parameters).to_arrow_reader(rows)
        yield from reader

    def put_event_columns(
        self,
        customer: np.ndarray,
        timestamp_ms: np.ndarray,
        code: np.ndarray,
        price: np.ndarray,
        *,
        event_types: Sequence[str],
        endpoint_ids: pa.Array,
        app_id: str,
        id_prefix: str,
        first_index: int = 0,
    ) -> int:
        """Insert events given as columns; returns how many were new (event ids already
        stored are left alone)."""
        table = event_columns_table(
            customer,
            timestamp_ms,
            code,
            price,
            event_types=event_types,
            endpoint_ids=endpoint_ids,
            app_id=app_id,
            id_prefix=id_prefix,
            first_index=first_index,
        )
        if table.num_rows == 0:
            return 0
        cursor = self._database.cursor()
        before = _count(cursor)
        cursor.register("incoming_simulated", table)
        try:
            try:
                # A plain insert is several times faster than one checking conflicts
                # row by row; it fails as a whole when a run is written again.
                cursor.execute("INSERT INTO events SELECT * FROM incoming_simulated")
            except duckdb.ConstraintException:
                cursor.execute(
                    "INSERT INTO events SELECT * FROM incoming_simulated "
                    "ON CONFLICT (event_id) DO NOTHING"
                )
        finally:
            cursor.unregister("incoming_simulated")
        return _count(cursor) - before


def _count(cursor: Any) -> int:
    ((count,),) = cursor.execute("SELECT count(*) FROM events").fetchall()
    return int(count)


def _entries(
    kind: pa.DataType, rows: Sequence[tuple[np.ndarray, Sequence[tuple[str, Any]]]], n: int
) -> pa.Array:
    """A map column of ``n`` rows: the rows where each mask holds get its fixed entries
    (masks do not overlap); the others are empty maps. A value given as an array holds
    one value per selected row."""
    sizes = np.zeros(n, dtype=np.int32)
    for mask, entries in rows:
        sizes[mask] = len(entries)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    total = int(offsets[-1])
    value_type = kind.item_type
    keys = np.empty(total, dtype=object)
    values = np.empty(total, dtype=np.float64 if pa.types.is_floating(value_type) else object)
    for mask, entries in rows:
        starts = offsets[:-1][mask]
        for j, (key, value) in enumerate(entries):
            keys[starts + j] = key
            values[starts + j] = value
    return pa.MapArray.from_arrays(
        pa.array(offsets), pa.array(keys, pa.string()), pa.array(values, value_type)
    ).cast(kind)


def _null_struct(kind: pa.DataType, n: int, children: Mapping[str, pa.Array]) -> pa.Array:
    """A struct column whose fields are null (struct fields recursively) except those
    given."""
    arrays = []
    for field in list(kind):
        if field.name in children:
            arrays.append(children[field.name])
        elif pa.types.is_struct(field.type):
            arrays.append(_null_struct(field.type, n, {}))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.StructArray.from_arrays(arrays, fields=list(kind))


def _constant_or_coded(codes: np.ndarray, values: Sequence[str]) -> pa.Array:
    """Strings given as codes into ``values`` (cheap for few distinct values)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes), pa.array(list(values), pa.string())
    ).cast(pa.string())


def event_columns_table(
    customer: np.ndarray,
    timestamp_ms: np.ndarray,
    code: np.ndarray,
    price: np.ndarray,
    *,
    event_types: Sequence[str],
    endpoint_ids: pa.Array,
    app_id: str,
    id_prefix: str,
    first_index: int = 0,
) -> pa.Table:
    """Simulated events as an ``events`` table (:data:`EVENTS_SCHEMA`), column by column:
    the rows :func:`clarion_devkit.samples.churn_history.event_records` makes, event ids
    ``<id_prefix><first_index + k>``. ``endpoint_ids[i]`` is customer ``i``'s id."""
    n = int(customer.shape[0])
    kinds = {name: EVENTS_SCHEMA.field(name).type for name in EVENTS_SCHEMA.names}
    names = list(event_types)
    types = _constant_or_coded(code.astype(np.int32), names)
    eids = pa.DictionaryArray.from_arrays(pa.array(customer.astype(np.int32)), endpoint_ids).cast(
        pa.string()
    )
    index = pa.array(np.arange(first_index, first_index + n, dtype=np.int64))
    ids = pc.binary_join_element_wise(pa.scalar(id_prefix), pc.cast(index, pa.string()), "")
    stamps = pa.array(timestamp_ms.astype(np.int64))
    day = timestamp_ms // DAY_MS
    first = int(day.min()) if n else 0
    span = np.arange(first, (int(day.max()) + 1) if n else first)
    days = _constant_or_coded(
        (day - first).astype(np.int32), span.astype("datetime64[D]").astype(str).tolist()
    )
    purchase = code == names.index("_monetization.purchase")
    unsubscribe = code == names.index("_email.unsubscribe")
    # float32 prices, as event_records gives them (float(np.float32)).
    prices = price[purchase].astype(np.float32).astype(np.float64)
    attributes = _entries(
        kinds["attributes"],
        [
            (purchase, [("_currency", "USD"), ("_product_id", "sku-1")]),
            (unsubscribe, [("unsubscribe_all", "true")]),
        ],
        n,
    )
    metrics = _entries(
        kinds["metrics"], [(purchase, [("_quantity", 1.0), ("_item_price", prices)])], n
    )
    app = _constant_or_coded(np.zeros(n, dtype=np.int32), [app_id])
    device = _null_struct(kinds["device"], n, {})
    locale_type = kinds["device"].field("locale").type
    locale = pa.StructArray.from_arrays(
        [pa.nulls(n, f.type) for f in list(locale_type)],
        fields=list(locale_type),
        mask=pa.array(np.ones(n, dtype=bool)),
    )
    device = _null_struct(kinds["device"], n, {"locale": locale})
    columns: dict[str, pa.Array] = {
        "event_id": ids,
        "event_type": types,
        "event_timestamp": stamps,
        "arrival_timestamp": stamps,
        "event_version": _constant_or_coded(np.zeros(n, dtype=np.int32), ["3.1"]),
        "application": _null_struct(kinds["application"], n, {"app_id": app}),
        "client": _null_struct(kinds["client"], n, {"client_id": eids}),
        "device": device,
        "session": _null_struct(kinds["session"], n, {}),
        "attributes": attributes,
        "metrics": metrics,
        "endpoint_id": eids,
        "dt": days,
    }
    arrays = [columns.get(name, pa.nulls(n, kinds[name])) for name in EVENTS_SCHEMA.names]
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)
