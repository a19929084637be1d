"""The local event store's column-by-column Arrow build against the row-by-row one."""

from __future__ import annotations

import json
from pathlib import Path

from clarion.adapters.local.events.event_sink import records_to_arrow, rows_to_arrow
from clarion.domain.events.normalise.kinesis import normalise_payload
from clarion.domain.events.records import EventRecord
from clarion.domain.events.rows import event_date, event_row

EVENTS = Path(__file__).resolve().parents[1] / "events"


def fixture_records() -> list[EventRecord]:
    records: list[EventRecord] = []
    for path in sorted([*EVENTS.glob("ses/*.json"), *EVENTS.glob("sms_v2/*.json")]):
        payload = json.loads(path.read_text())
        records.extend(
            normalise_payload(payload, app_id="app-1", arrival_timestamp=1772442001000).records
        )
    for path in sorted(EVENTS.glob("put_events/*.json")):
        payload = json.loads(path.read_text())
        records.extend(
            normalise_payload(payload, app_id="app-1", arrival_timestamp=1772442001000).records
        )
    return records


def rich_record() -> EventRecord:
    return EventRecord.from_json(
        {
            "event_type": "_session.stop",
            "event_timestamp": 1772442000000,
            "arrival_timestamp": 1772442000500,
            "application": {
                "app_id": "app-1",
                "package_name": "com.example",
                "title": "Example",
                "version_name": "1.2",
                "version_code": "12",
                "sdk": {"name": "aws-amplify", "version": "6"},
            },
            "client": {"client_id": "c-1", "cognito_id": "cog-1"},
            "device": {
                "locale": {"code": "fr_FR", "country": "FR", "language": "fr"},
                "make": "Apple",
                "model": "iPhone",
                "platform": {"name": "ios", "version": "18"},
            },
            "session": {
                "session_id": "s-1",
                "start_timestamp": 1772441000000,
                "stop_timestamp": 1772442000000,
                "duration": 1000000,
            },
            "attributes": {"screen": "home", "note": "café"},
            "metrics": {"n": 2, "price": 9.99},
            "endpoint": {"Id": "ep-9", "Address": "x"},
            "awsAccountId": "123456789012",
            "facets": {"b": {"z": 1, "a": [1, 2]}, "a": "é"},
        }
    )


def test_the_column_build_is_the_row_build():
    records = [*fixture_records(), rich_record()]
    assert len(records) > 20
    built = records_to_arrow(records)
    assert built.equals(rows_to_arrow([event_row(r) for r in records]))
    assert built.to_pylist()[-1]["device"]["locale"] == {
        "code": "fr_FR",
        "country": "FR",
        "language": "fr",
    }


def test_event_dates_around_midnight_utc():
    from datetime import UTC, datetime

    for ms in (0, 86_399_999, 86_400_000, 1772409599999, 1772409600000, -1):
        expected = datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")
        assert event_date(ms) == expected
