"""The AnalyticsQuery contract, on both backends: analytics SQL (Trino) over ``events``,
named parameters bound as SQL literals, rows as dicts of typed values.

``local`` is the DuckDB adapter on a database in ``tmp_path``. ``aws`` is the Athena
adapter on moto, whose queries are answered by DuckDB over a stand-in lake holding the
same ``events`` relation (``athena_lake`` in conftest.py), with the column types Athena
reports and values in Athena's text form, so the adapter's binding, paging and typing
run for real. Both harnesses store events through the local event store, as Firehose
fills the lake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.events.records import EventRecord
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.events import EventSink
from clarion.services.analytics.service import event_counts_sql

# The ``athena_lake`` fixture (tests/integration/conftest.py) is an AthenaLake.
AthenaLake = Any

# 2025-03-12T10:00:00Z and the next day, in epoch milliseconds.
MARCH_12 = 1_741_773_600_000
MARCH_13 = MARCH_12 + 86_400_000


@dataclass
class AnalyticsBackend:
    """An AnalyticsQuery and the store of the events it reads; ``sent`` lists the SQL the
    Athena adapter started (None locally, where nothing is sent)."""

    name: str
    query: AnalyticsQuery
    events: EventSink
    sent: list[str] | None


def _local(tmp_path: Path) -> Iterator[AnalyticsBackend]:
    from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    database = LocalDatabase(tmp_path / "home")
    yield AnalyticsBackend(
        "local", DuckDBAnalyticsQuery(database), DuckDBEventStore(database), None
    )
    database.close()


def _aws(lake: AthenaLake) -> AnalyticsBackend:
    from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    query = AthenaAnalyticsQuery(
        lake.client, lake.workgroup, lake.database_name, sleep=lambda _: None
    )
    return AnalyticsBackend("aws", query, DuckDBEventStore(lake.database), lake.queries)


@pytest.fixture(params=["local", "aws"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnalyticsBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield _aws(request.getfixturevalue("athena_lake"))


def _event(
    event_id: str,
    event_type: str,
    endpoint_id: str,
    at_ms: int = MARCH_12,
    **attributes: str,
) -> EventRecord:
    return EventRecord.model_validate(
        {
            "event_id": event_id,
            "event_type": event_type,
            "event_timestamp": at_ms,
            "arrival_timestamp": at_ms + 1000,
            "application": {"app_id": "clarion"},
            "client": {"client_id": endpoint_id},
            "attributes": attributes,
        }
    )


@pytest.fixture
def stored(backend: AnalyticsBackend) -> list[EventRecord]:
    records = [
        _event("open-1", "_email.open", "e-1", campaign_id="c1"),
        _event("open-2", "_email.open", "e-2", campaign_id="c1"),
        _event("open-3", "_email.open", "e-1", MARCH_13, campaign_id="c1"),
        _event("click-1", "_email.click", "e-1", campaign_id="c1"),
        _event("send-1", "_campaign.send", "e-3", campaign_id="c2"),
    ]
    backend.events.put_records(records)
    return records


ValueCheck = Callable[[Any], bool]


# -- rows and types --------------------------------------------------------------------


def test_rows_are_dicts_by_column_name_in_the_query_order(
    backend: AnalyticsBackend, stored: list[EventRecord]
) -> None:
    rows = backend.query.rows(
        "SELECT event_type, count(DISTINCT event_id) AS events, "
        "count(DISTINCT endpoint_id) AS endpoints FROM events "
        "GROUP BY event_type ORDER BY events DESC, event_type"
    )

    assert rows == [
        {"event_type": "_email.open", "events": 3, "endpoints": 2},
        {"event_type": "_campaign.send", "events": 1, "endpoints": 1},
        {"event_type": "_email.click", "events": 1, "endpoints": 1},
    ]
    assert all(type(row["events"]) is int for row in rows)


def test_values_are_int_float_str_or_none(backend: AnalyticsBackend) -> None:
    (row,) = backend.query.rows(
        "SELECT 1 AS small, CAST(7 AS bigint) AS big, CAST(0.25 AS double) AS ratio, "
        "CAST(2.5 AS decimal(4, 2)) AS price, 'Zoë' AS label, CAST(NULL AS varchar) AS missing, "
        "true AS yes, false AS no"
    )

    assert row == {
        "small": 1,
        "big": 7,
        "ratio": 0.25,
        "price": 2.5,
        "label": "Zoë",
        "missing": None,
        "yes": True,
        "no": False,
    }
    kinds = {name: type(value) for name, value in row.items()}
    assert kinds == {
        "small": int,
        "big": int,
        "ratio": float,
        "price": float,
        "label": str,
        "missing": type(None),
        "yes": bool,
        "no": bool,
    }


def test_dates_and_times_come_back_as_text(backend: AnalyticsBackend) -> None:
    (row,) = backend.query.rows(
        "SELECT DATE '2025-03-12' AS day, TIMESTAMP '2025-03-12 10:00:00.250' AS moment"
    )

    assert row == {"day": "2025-03-12", "moment": "2025-03-12 10:00:00.250"}


def test_an_empty_result(backend: AnalyticsBackend, stored: list[EventRecord]) -> None:
    assert backend.query.rows("SELECT event_id FROM events WHERE event_type = 'none'") == []


def test_events_carry_their_partition_date(
    backend: AnalyticsBackend, stored: list[EventRecord]
) -> None:
    rows = backend.query.rows(
        "SELECT event_id, dt FROM events WHERE event_type = '_email.open' ORDER BY event_id"
    )

    assert rows == [
        {"event_id": "open-1", "dt": "2025-03-12"},
        {"event_id": "open-2", "dt": "2025-03-12"},
        {"event_id": "open-3", "dt": "2025-03-13"},
    ]


def test_the_event_counts_query_runs(backend: AnalyticsBackend, stored: list[EventRecord]) -> None:
    sql = event_counts_sql(with_type=True, with_since=True, with_until=False)

    rows = backend.query.rows(sql, {"event_type": "_email.open", "since": "2025-03-12"})

    assert rows == [
        {"day": "2025-03-12", "event_type": "_email.open", "events": 2, "endpoints": 2},
        {"day": "2025-03-13", "event_type": "_email.open", "events": 1, "endpoints": 1},
    ]


# -- parameters ------------------------------------------------------------------------


def test_parameters_are_bound_as_literals(backend: AnalyticsBackend) -> None:
    awkward = "O'Brien\\'); DROP TABLE events; --"

    (row,) = backend.query.rows(
        "SELECT :name AS name, :count AS count, :ratio AS ratio",
        {"name": awkward, "count": 3, "ratio": 0.5},
    )

    assert row == {"name": awkward, "count": 3, "ratio": 0.5}
    if backend.sent is not None:
        (sent,) = backend.sent
        assert ":name" not in sent and ":count" not in sent
        assert "'O''Brien" in sent


def test_a_parameter_cannot_change_the_statement(
    backend: AnalyticsBackend, stored: list[EventRecord]
) -> None:
    sql = (
        "SELECT event_id FROM events WHERE element_at(attributes, 'campaign_id') = :campaign_id "
        "ORDER BY event_id"
    )

    assert backend.query.rows(sql, {"campaign_id": "c2"}) == [{"event_id": "send-1"}]
    assert backend.query.rows(sql, {"campaign_id": "c2' OR '1' = '1"}) == []


def test_a_parameter_may_be_used_twice_and_extra_ones_are_ignored(
    backend: AnalyticsBackend, stored: list[EventRecord]
) -> None:
    rows = backend.query.rows(
        "SELECT count(*) AS n FROM events WHERE dt >= :day AND dt <= :day",
        {"day": "2025-03-13", "unused": "x"},
    )

    assert rows == [{"n": 1}]


def test_a_none_parameter_is_null(backend: AnalyticsBackend) -> None:
    (row,) = backend.query.rows("SELECT :missing IS NULL AS is_null", {"missing": None})

    assert row == {"is_null": True}


def test_a_placeholder_without_a_value_is_refused(backend: AnalyticsBackend) -> None:
    sql = "SELECT event_id FROM events WHERE event_type = :event_type"

    with pytest.raises(ValueError, match="event_type"):
        backend.query.rows(sql, {"other": "x"})
    with pytest.raises(ValueError, match="parameter"):
        backend.query.rows(sql)
    if backend.sent is not None:
        assert backend.sent == []  # refused before anything reached Athena
