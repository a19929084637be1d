"""The ColumnarAnalytics contract, on its one backend: the local DuckDB churn data. It
is a local capability (the features of a million endpoints as Arrow columns rather
than a dict per row); on AWS Athena writes the features query's result as CSV for
SageMaker, so there is no second backend.

A columnar source must give, for the same Trino SQL and parameters, exactly the rows the
analytics query gives, as columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.events.records import EventRecord

HOUR_MS = 3_600_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Any]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    database = LocalDatabase(tmp_path / "home")
    DuckDBEventStore(database).put_records(
        [
            EventRecord.model_validate(
                {
                    "event_type": kind,
                    "event_timestamp": START_MS + k * HOUR_MS,
                    "arrival_timestamp": START_MS + k * HOUR_MS,
                    "application": {"app_id": "app"},
                    "client": {"client_id": f"ep-{k % 3}"},
                    "attributes": {"campaign_id": "c-1"} if k % 2 else {},
                    "event_id": f"e-{k}",
                }
            )
            for k, kind in enumerate(["_session.start", "_email.open"] * 5)
        ]
    )
    yield database
    database.close()


@pytest.fixture
def source(database: Any) -> Any:
    from clarion.adapters.local.churn.columnar import DuckDBChurnData

    return DuckDBChurnData(database)


@pytest.fixture
def rows(database: Any) -> Any:
    from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery

    return DuckDBAnalyticsQuery(database).rows


QUERY = (
    "SELECT endpoint_id, count(*) AS events, "
    "count_if(element_at(attributes, 'campaign_id') = :campaign) AS in_campaign, "
    "max(event_timestamp) AS last_ms "
    "FROM events WHERE event_timestamp >= :since_ms GROUP BY endpoint_id ORDER BY endpoint_id"
)


def test_columns_hold_the_rows_the_analytics_query_gives(source: Any, rows: Any) -> None:
    parameters = {"campaign": "c-1", "since_ms": START_MS + 2 * HOUR_MS}

    table = source.arrow(QUERY, parameters)

    assert table.column_names == ["endpoint_id", "events", "in_campaign", "last_ms"]
    assert table.to_pylist() == rows(QUERY, parameters)
    assert table.num_rows == 3
    # Hours 2 to 9: ep-0 has 3, 6, 9; ep-1 has 4, 7; ep-2 has 2, 5, 8.
    assert table.column("events").to_pylist() == [3, 2, 3]


def test_parameters_are_bound_where_the_sql_names_them(source: Any) -> None:
    table = source.arrow(QUERY, {"campaign": "none", "since_ms": START_MS + 9 * HOUR_MS})

    assert table.to_pylist() == [
        {"endpoint_id": "ep-0", "events": 1, "in_campaign": 0, "last_ms": START_MS + 9 * HOUR_MS}
    ]


def test_an_empty_result_keeps_its_columns(source: Any) -> None:
    table = source.arrow(QUERY, {"campaign": "c-1", "since_ms": START_MS + 100 * HOUR_MS})

    assert table.num_rows == 0
    assert table.column_names == ["endpoint_id", "events", "in_campaign", "last_ms"]


def test_a_missing_parameter_is_refused(source: Any) -> None:
    with pytest.raises(ValueError, match="since_ms"):
        source.arrow(QUERY, {"campaign": "c-1"})


def test_batches_stream_the_same_rows(source: Any, rows: Any) -> None:
    parameters = {"campaign": "c-1", "since_ms": START_MS}

    batches = list(source.batches(QUERY, parameters, rows=2))

    assert [b.num_rows for b in batches] == [2, 1]
    assert [r for b in batches for r in b.to_pylist()] == rows(QUERY, parameters)
