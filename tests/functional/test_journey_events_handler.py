"""The journeys' consumer of the events stream on moto: every new record goes to the
journey trigger only (the events consumer applies the effects), unreadable records are
dead-lettered, and a record whose processing raises is reported for the retry."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from test_events_consumer_handler import (
    BUCKET,
    DEFINITIONS_TABLE,
    ENDPOINTS_TABLE,
    REGION,
    fixture,
    kinesis_record,
    session_line,
)

from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore, endpoints_table_spec
from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink
from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
from clarion.domain.audience.endpoint import OptOut, validate_endpoint
from clarion.domain.events.records import EventRecord
from lambdas._runtime import LazyBootstrap


class RecordingTrigger:
    def __init__(self, fail_for: str | None = None) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.fail_for = fail_for

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        for record in records:
            if record.endpoint_id == self.fail_for:
                raise RuntimeError("the journeys table is unavailable")
            self.seen.append((record.event_type, record.endpoint_id))


@dataclass
class Deployment:
    handler: ModuleType
    s3: Any
    dynamodb: Any
    context: Any

    def use_trigger(self, trigger: RecordingTrigger) -> None:
        self.handler.bootstrap().__dict__["journey_event_trigger"] = trigger


@pytest.fixture
def deployment(
    monkeypatch: pytest.MonkeyPatch, lambda_environment: Callable[..., None], lambda_context: Any
) -> Iterator[Deployment]:
    lambda_environment(
        CLARION_ENDPOINTS_TABLE=ENDPOINTS_TABLE,
        CLARION_DEFINITIONS_TABLE=DEFINITIONS_TABLE,
        CLARION_DATA_BUCKET=BUCKET,
        CLARION_APP_ID="app-1",
        POWERTOOLS_SERVICE_NAME="clarion-journeys",
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        handler = importlib.import_module("lambdas.journey_events.handler")
        monkeypatch.setattr(handler, "bootstrap", LazyBootstrap())
        DynamoDBProfileStore(dynamodb, ENDPOINTS_TABLE).put_endpoints(
            [
                validate_endpoint(
                    {"Id": "endpoint-ana", "ChannelType": "EMAIL", "Address": "ana@example.org"}
                ),
                validate_endpoint(
                    {"Id": "endpoint-bo", "ChannelType": "EMAIL", "Address": "bo@example.org"}
                ),
            ]
        )
        yield Deployment(handler, s3, dynamodb, lambda_context)


def test_records_reach_the_journey_trigger_only(deployment: Deployment) -> None:
    trigger = RecordingTrigger()
    deployment.use_trigger(trigger)
    event = {
        "Records": [
            kinesis_record(fixture("ses/complaint.json"), "1001"),
            kinesis_record(b"{not json", "1002"),
            kinesis_record(session_line(), "1003"),
        ]
    }

    response = deployment.handler.handler(event, deployment.context)

    assert response == {"batchItemFailures": []}
    assert [event_type for event_type, _ in trigger.seen] == ["_email.complaint", "_session.start"]
    # The complaint's opt-out is the events consumer's to apply, not this one's.
    ana = DynamoDBProfileStore(deployment.dynamodb, ENDPOINTS_TABLE).get_endpoint("endpoint-ana")
    assert ana is not None and ana.opt_out is not OptOut.ALL
    letters = S3DeadLetterSink(deployment.s3, BUCKET).read_all()
    assert [letter["record_id"] for letter in letters] == ["1002"]


def test_a_record_whose_journey_processing_raises_is_reported(deployment: Deployment) -> None:
    deployment.use_trigger(RecordingTrigger(fail_for="endpoint-bo"))
    bo = fixture("ses/complaint.json")
    bo["mail"]["tags"]["clarion-endpoint-id"] = ["endpoint-bo"]
    bo["mail"]["messageId"] = "another-message"
    event = {
        "Records": [
            kinesis_record(fixture("ses/complaint.json"), "2001"),
            kinesis_record(bo, "2002"),
        ]
    }

    response = deployment.handler.handler(event, deployment.context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "2002"}]}
