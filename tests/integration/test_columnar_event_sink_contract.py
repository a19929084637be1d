"""The ColumnarEventSink contract, on its one backend: the local DuckDB churn data,
which writes simulated events as columns. Simulated history is demo data of the local
backend only (on AWS there is no simulator and no columnar sink), so there is no second
backend.

A columnar sink must store the events the columns describe, as the records the event
store would keep, under ids ``<id_prefix><first_index + k>``, and store an event id only
once (writing the same run twice adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DAY_MS = 86_400_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
EVENT_TYPES = ("_session.start", "_monetization.purchase", "_email.unsubscribe")
ENDPOINT_IDS = ["ep-a", "ep-b", "ep-c"]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Any]:
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "home")
    yield database
    database.close()


@pytest.fixture
def sink(database: Any) -> Any:
    from clarion.adapters.local.churn.columnar import DuckDBChurnData

    return DuckDBChurnData(database)


def _columns(n: int) -> dict[str, np.ndarray]:
    k = np.arange(n)
    return {
        "customer": (k % 3).astype(np.int32),
        "timestamp_ms": (START_MS + k * (DAY_MS // 4)).astype(np.int64),
        "code": (k % 3).astype(np.int8),
        "price": np.where(k % 3 == 1, 9.5, 0.0).astype(np.float32),
    }


def _put(sink: Any, n: int, first_index: int = 0, prefix: str = "run-1-") -> int:
    columns = _columns(n)
    stored: int = sink.put_event_columns(
        columns["customer"],
        columns["timestamp_ms"],
        columns["code"],
        columns["price"],
        event_types=EVENT_TYPES,
        endpoint_ids=ENDPOINT_IDS,
        app_id="app-1",
        id_prefix=prefix,
        first_index=first_index,
    )
    return stored


def _stored(database: Any) -> list[dict[str, Any]]:
    from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery

    return DuckDBAnalyticsQuery(database).rows(
        "SELECT event_id, event_type, endpoint_id, event_timestamp, application.app_id AS app, "
        "element_at(metrics, '_item_price') AS price, "
        "element_at(attributes, 'unsubscribe_all') AS unsubscribe_all "
        "FROM events ORDER BY event_timestamp"
    )


def test_the_columns_are_stored_as_events(sink: Any, database: Any) -> None:
    assert _put(sink, 6, first_index=10) == 6

    stored = _stored(database)

    assert [r["event_id"] for r in stored] == [f"run-1-{10 + k}" for k in range(6)]
    assert [r["event_type"] for r in stored] == [EVENT_TYPES[k % 3] for k in range(6)]
    assert [r["endpoint_id"] for r in stored] == [ENDPOINT_IDS[k % 3] for k in range(6)]
    assert [r["event_timestamp"] for r in stored] == [START_MS + k * DAY_MS // 4 for k in range(6)]
    assert {r["app"] for r in stored} == {"app-1"}
    # Purchases carry their price; unsubscribes say they are from everything.
    assert [r["price"] for r in stored] == [None, 9.5, None, None, 9.5, None]
    assert [r["unsubscribe_all"] for r in stored] == [None, None, "true", None, None, "true"]


def test_the_stored_events_are_the_records_the_event_store_keeps(
    sink: Any, database: Any, tmp_path: Path
) -> None:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.event_sink import DuckDBEventStore
    from clarion.domain.events.records import EventRecord

    _put(sink, 6)
    other = LocalDatabase(tmp_path / "other")
    columns = _columns(6)
    records = []
    for k in range(6):
        kind = EVENT_TYPES[int(columns["code"][k])]
        stamp = int(columns["timestamp_ms"][k])
        purchase = kind == "_monetization.purchase"
        records.append(
            EventRecord.model_validate(
                {
                    "event_type": kind,
                    "event_timestamp": stamp,
                    "arrival_timestamp": stamp,
                    "application": {"app_id": "app-1"},
                    "client": {"client_id": ENDPOINT_IDS[int(columns["customer"][k])]},
                    "attributes": (
                        {"_currency": "USD", "_product_id": "sku-1"}
                        if purchase
                        else {"unsubscribe_all": "true"}
                        if kind == "_email.unsubscribe"
                        else {}
                    ),
                    "metrics": {"_quantity": 1.0, "_item_price": 9.5} if purchase else {},
                    "event_id": f"run-1-{k}",
                }
            )
        )
    DuckDBEventStore(other).put_records(records)
    try:
        assert _stored(database) == _stored(other)
    finally:
        other.close()


def test_writing_the_same_run_again_stores_nothing_new(sink: Any, database: Any) -> None:
    assert _put(sink, 6) == 6
    assert _put(sink, 6) == 0
    # A longer write of the same run stores only the events it adds.
    assert _put(sink, 9) == 3
    assert len(_stored(database)) == 9


def test_no_columns_store_nothing(sink: Any, database: Any) -> None:
    assert _put(sink, 0) == 0
    assert _stored(database) == []
