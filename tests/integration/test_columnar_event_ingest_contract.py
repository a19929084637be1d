"""The ColumnarEventIngest contract, on its one backend: the local DuckDB event store.
On AWS events arrive one Kinesis record at a time and the stream consumer normalises
each (there are no files of a million lines to read), so there is no second backend.

A columnar ingestion must store every usable line as the event store keeps records (one
row per event id, the first copy winning), reject every other line with its position
and reason while the good ones beside it are stored, skip blank lines, and store
nothing twice when the same lines come again. tests/unit/test_columnar_ingest_differential.py
holds it to the per-record path on random input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events"
ARRIVAL = 1772500000000


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Any]:
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "home")
    yield database
    database.close()


@pytest.fixture
def ingest(database: Any) -> Any:
    from clarion.adapters.local.events.columnar_ingest import DuckDBColumnarEventIngest

    return DuckDBColumnarEventIngest(database, batch_size=2)


def _line(path: str) -> str:
    return json.dumps(json.loads((EVENTS / path).read_text()))


def _stored(database: Any) -> list[tuple[str, str | None]]:
    return (
        database.cursor()
        .execute("SELECT event_type, endpoint_id FROM events ORDER BY event_type")
        .fetchall()
    )


def test_good_lines_are_stored_and_bad_ones_rejected_with_their_line(
    ingest: Any, database: Any
) -> None:
    lines = [
        _line("ses/delivery.json"),
        "not json",
        "",
        _line("sms_v2/text_delivered.json"),
        json.dumps({"eventType": "Open", "mail": {}}),
        _line("put_events/session_start.json"),
    ]
    result = ingest.ingest_lines(lines, app_id="app-1", arrival_timestamp=ARRIVAL)

    assert [(r.index, r.problems[0].field) for r in result.rejects] == [
        (1, "(line)"),
        (4, "mail.messageId"),
    ]
    assert all(problem.reason for r in result.rejects for problem in r.problems)
    types = [event_type for event_type, _ in _stored(database)]
    assert "_email.delivered" in types and "_SMS.SUCCESS" in types
    assert "_session.start" in types  # the PutEvents body, by the per-record normaliser
    assert result.stored == result.accepted == len(types)
    assert result.lines == len(lines)


def test_the_same_lines_again_store_nothing(ingest: Any, database: Any) -> None:
    lines = [_line("ses/click.json"), _line("ses/click.json"), _line("sms_v2/text_sent.json")]
    first = ingest.ingest_lines(lines, app_id="app-1", arrival_timestamp=ARRIVAL)
    again = ingest.ingest_lines(lines, app_id="app-1", arrival_timestamp=ARRIVAL)

    assert (first.accepted, first.stored) == (3, 2)  # the repeated click is one event
    assert (again.accepted, again.stored) == (3, 0)
    assert len(_stored(database)) == 2
