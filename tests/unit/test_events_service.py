"""EventIngestService on the real local adapters: storage, dead letters, effects, trigger."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from clarion.adapters.local.audience.endpoint_locator import DuckDBEndpointLocator
from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink
from clarion.adapters.local.events.event_sink import DuckDBEventStore
from clarion.domain.audience.endpoint import EndpointStatus, OptOut, validate_endpoint
from clarion.domain.events.effects import METRIC_PURCHASE_REVENUE, METRIC_PURCHASES, METRIC_SESSIONS
from clarion.domain.events.records import EventRecord
from clarion.services.events.ingest import EventIngestService, IngestSource, parse_text

EVENTS = Path(__file__).resolve().parents[1] / "events"


def fixture(path: str) -> Any:
    return json.loads((EVENTS / path).read_text())


class RecordingTrigger:
    def __init__(self) -> None:
        self.batches: list[list[EventRecord]] = []

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        self.batches.append(list(records))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def database(home: Path) -> LocalDatabase:
    return LocalDatabase(home)


@pytest.fixture
def profiles(database: LocalDatabase) -> DuckDBProfileStore:
    store = DuckDBProfileStore(database)
    store.put_endpoints(
        [
            validate_endpoint(
                {
                    "Id": "endpoint-ana",
                    "ChannelType": "EMAIL",
                    "Address": "ana@example.org",
                    "OptOut": "NONE",
                }
            ),
            validate_endpoint(
                {"Id": "endpoint-bo", "ChannelType": "EMAIL", "Address": "bo@example.org"}
            ),
            validate_endpoint({"Id": "sms-1", "ChannelType": "SMS", "Address": "+14255550156"}),
        ]
    )
    return store


@pytest.fixture
def trigger() -> RecordingTrigger:
    return RecordingTrigger()


@pytest.fixture
def service(
    database: LocalDatabase, profiles: DuckDBProfileStore, home: Path, trigger: RecordingTrigger
) -> EventIngestService:
    return EventIngestService(
        profiles,
        FileDeadLetterSink(home),
        trigger,
        sink=DuckDBEventStore(database),
        locator=DuckDBEndpointLocator(database),
        app_id="app",
    )


def test_complaint_opts_the_endpoint_out(
    service: EventIngestService, profiles: DuckDBProfileStore
) -> None:
    result = service.ingest_records(
        [(0, fixture("ses/complaint.json"))], IngestSource.SES, origin="t"
    )
    assert result.effects.opted_out == ["endpoint-ana"]
    endpoint = profiles.get_endpoint("endpoint-ana")
    assert endpoint is not None and endpoint.opt_out is OptOut.ALL
    assert endpoint.is_opted_out


def test_unsubscribe_all_opts_out_and_topic_only_does_not(
    service: EventIngestService, profiles: DuckDBProfileStore
) -> None:
    service.ingest_records(
        [(0, fixture("ses/subscription_topic_optout.json"))], IngestSource.SES, origin="t"
    )
    assert profiles.get_endpoint("endpoint-ana").opt_out is OptOut.NONE  # type: ignore[union-attr]
    result = service.ingest_records(
        [(0, fixture("ses/subscription_unsubscribe.json"))], IngestSource.SES, origin="t"
    )
    assert result.effects.opted_out == ["endpoint-ana"]
    assert profiles.get_endpoint("endpoint-ana").opt_out is OptOut.ALL  # type: ignore[union-attr]


def test_hard_bounce_makes_inactive_soft_does_not(
    service: EventIngestService, profiles: DuckDBProfileStore
) -> None:
    service.ingest_records(
        [(0, fixture("ses/bounce_transient.json"))], IngestSource.SES, origin="t"
    )
    assert profiles.get_endpoint("endpoint-ana").is_active  # type: ignore[union-attr]
    result = service.ingest_records(
        [(0, fixture("ses/bounce_permanent.json"))], IngestSource.SES, origin="t"
    )
    assert result.effects.inactivated == ["endpoint-ana"]
    endpoint = profiles.get_endpoint("endpoint-ana")
    assert endpoint is not None and endpoint.endpoint_status is EndpointStatus.INACTIVE


def test_sms_stop_reply_opts_out_by_phone_number(
    service: EventIngestService, profiles: DuckDBProfileStore
) -> None:
    records = [(0, fixture("sms_v2/text_delivered.json")), (1, fixture("sms_v2/inbound_stop.json"))]
    result = service.ingest_records(records, IngestSource.SMS_V2, origin="t")
    assert result.rejected == []
    assert result.accepted == 2
    assert result.effects.opted_out == ["sms-1"]
    assert profiles.get_endpoint("sms-1").opt_out is OptOut.ALL  # type: ignore[union-attr]


def test_session_and_purchase_update_metrics_and_recency_once(
    service: EventIngestService, profiles: DuckDBProfileStore, database: LocalDatabase
) -> None:
    for _ in range(2):  # the second time is a replay: nothing may change
        service.put_events(fixture("put_events/session_start.json"))
        result = service.put_events(fixture("put_events/purchase.json"))
    assert result.duplicates == 1 and result.stored == 0
    endpoint = profiles.get_endpoint("endpoint-ana")
    assert endpoint is not None and endpoint.metrics is not None
    assert endpoint.metrics[METRIC_SESSIONS] == 1.0
    assert endpoint.metrics[METRIC_PURCHASES] == 1.0
    assert endpoint.metrics[METRIC_PURCHASE_REVENUE] == pytest.approx(2 * 59.9)
    row = (
        database.cursor()
        .execute("SELECT last_active_ms FROM endpoints WHERE id = 'endpoint-ana'")
        .fetchone()
    )
    purchase_ms = 1772474742250  # 2026-03-02T18:05:42.250Z
    assert row is not None and row[0] >= purchase_ms


def test_bad_events_are_dead_lettered_and_good_ones_kept(
    service: EventIngestService, home: Path, trigger: RecordingTrigger
) -> None:
    result = service.put_events(fixture("put_events/limit_violations.json"), origin="limits")
    assert result.accepted == 1
    assert len(result.rejected) == 10
    items = result.rejected_items()
    assert {
        "index": 1,
        "record_id": "endpoint-ana/long-value",
        "source": "put_events",
        "field": "Attributes.query",
        "reason": "value is 201 characters; the limit is 200",
    } in items
    letters = FileDeadLetterSink(home).read_all()
    assert len(letters) == 10
    assert {entry["origin"] for entry in letters} == {"limits"}
    assert letters[0]["raw"]["EventType"] == "Search"
    assert result.dead_letters is not None and Path(result.dead_letters).exists()
    assert [r.event_type for r in trigger.batches[0]] == ["Checkout"]


def test_trigger_sees_only_new_records(
    service: EventIngestService, trigger: RecordingTrigger
) -> None:
    body = fixture("put_events/mixed_batch.json")
    service.put_events(body)
    service.put_events(copy.deepcopy(body))
    assert len(trigger.batches) == 1
    assert len(trigger.batches[0]) == 3


def test_effect_on_unknown_endpoint_is_reported(service: EventIngestService) -> None:
    record = fixture("ses/complaint_untagged.json")
    record["complaint"]["complainedRecipients"] = [{"emailAddress": "nobody@example.org"}]
    record["mail"]["destination"] = ["nobody@example.org"]
    result = service.ingest_records([(0, record)], IngestSource.SES, origin="t")
    assert result.effects.opted_out == []
    assert result.effects.unresolved[0]["address"] == "nobody@example.org"
    assert "no endpoint has address" in result.effects.unresolved[0]["reason"]


def test_json_lines_with_a_broken_line_reports_its_line(service: EventIngestService) -> None:
    good = json.dumps(fixture("ses/open.json"))
    text = f"{good}\n\n{{not json\n" + json.dumps({"eventType": "Nope", "mail": {}}) + "\n"
    result = service.ingest_text(text, IngestSource.SES, origin="file.jsonl")
    assert result.accepted == 1
    lines = {(item["line"], item["field"]) for item in result.rejected_items()}
    assert (3, "(line)") in lines
    assert (4, "eventType") in lines


def test_put_text_reads_pinpoint_json_lines(service: EventIngestService) -> None:
    record = {
        "event_type": "Custom",
        "event_timestamp": 1772442000000,
        "arrival_timestamp": 1772442000000,
        "application": {"app_id": "a"},
        "client": {"client_id": "endpoint-bo"},
    }
    text = json.dumps(record) + "\n" + json.dumps({**record, "event_timestamp": 12}) + "\n"
    result = service.put_text(text, origin="x")
    assert result.accepted == 1
    assert result.rejected_items()[0]["line"] == 2
    assert result.rejected_items()[0]["field"] == "event_timestamp"


def test_parse_text_forms() -> None:
    assert parse_text("[1, 2]", "s").items == [(0, 1), (1, 2)]
    assert parse_text('{"a": 1}', "s").items == [(0, {"a": 1})]
    parsed = parse_text('{"a": 1}\n{"b": 2}\n', "s")
    assert parsed.lines == [1, 2] and len(parsed.items) == 2


def test_put_text_refuses_reserved_system_events_per_line(service: EventIngestService) -> None:
    record = {
        "event_timestamp": 1772442000000,
        "arrival_timestamp": 1772442000000,
        "application": {"app_id": "a"},
        "client": {"client_id": "endpoint-bo"},
    }
    lines = [
        {**record, "event_type": "_SMS.OPTOUT"},
        {**record, "event_type": "Custom"},
        {**record, "event_type": "_email.complaint"},
    ]
    result = service.put_text("\n".join(json.dumps(x) for x in lines) + "\n", origin="x")
    assert result.accepted == 1
    refused = {(item["line"], item["field"]) for item in result.rejected_items()}
    assert refused == {(1, "event_type"), (3, "event_type")}
    assert all("reserved" in item["reason"] for item in result.rejected_items())
    assert result.effects.to_json()["opted_out"] == []
