"""The events stream consumer on moto: effects on the DynamoDB endpoints table, dead
letters in S3, partial batch failures for records whose processing raises."""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore, endpoints_table_spec
from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink
from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
from clarion.domain.audience.endpoint import EndpointStatus, OptOut, validate_endpoint
from clarion.domain.events.effects import METRIC_SESSIONS
from clarion.domain.events.normalise.put_events import normalise_put_events
from clarion.domain.events.records import EventRecord
from clarion.domain.events.rows import stream_json
from lambdas._runtime import LazyBootstrap

EVENTS = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
ENDPOINTS_TABLE = "fn-endpoints"
DEFINITIONS_TABLE = "fn-definitions"
BUCKET = "fn-data"


class RecordingTrigger:
    def __init__(self, fail_for: str | None = None) -> None:
        self.seen: list[str] = []
        self.fail_for = fail_for

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        for record in records:
            if record.endpoint_id == self.fail_for:
                raise RuntimeError("the campaign engine is unavailable")
            self.seen.append(record.event_type)


@dataclass
class Deployment:
    handler: ModuleType
    s3: Any
    dynamodb: Any
    context: Any

    def profiles(self) -> DynamoDBProfileStore:
        return DynamoDBProfileStore(self.dynamodb, ENDPOINTS_TABLE)

    def dead_letters(self) -> list[dict[str, Any]]:
        return S3DeadLetterSink(self.s3, BUCKET).read_all()

    def use_trigger(self, trigger: RecordingTrigger) -> None:
        # Stands in for the campaign engine's trigger (the messaging feature's).
        self.handler.bootstrap().__dict__["event_campaign_trigger"] = trigger


@pytest.fixture
def deployment(
    monkeypatch: pytest.MonkeyPatch, lambda_environment: Callable[..., None], lambda_context: Any
) -> Iterator[Deployment]:
    lambda_environment(
        CLARION_ENDPOINTS_TABLE=ENDPOINTS_TABLE,
        CLARION_DEFINITIONS_TABLE=DEFINITIONS_TABLE,
        CLARION_DATA_BUCKET=BUCKET,
        CLARION_APP_ID="app-1",
        POWERTOOLS_SERVICE_NAME="clarion-events",
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        # Projects' event streams are looked up there (forwarding).
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        handler = importlib.import_module("lambdas.events_consumer.handler")
        monkeypatch.setattr(handler, "bootstrap", LazyBootstrap())
        deployment = Deployment(handler, s3, dynamodb, lambda_context)
        deployment.profiles().put_endpoints(
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
            ]
        )
        yield deployment


def kinesis_record(payload: Any, sequence: str) -> dict[str, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk",
            "sequenceNumber": sequence,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": 1772442903.125,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/consumer",
        "awsRegion": REGION,
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clarion-events",
    }


def fixture(path: str) -> Any:
    return json.loads((EVENTS / path).read_text())


def session_line() -> dict[str, Any]:
    """A session start as the ingest Lambda puts it on the stream."""
    records = normalise_put_events(fixture("put_events/session_start.json"), app_id="app-1")
    assert records.records
    return stream_json(records.records[0])


def test_effects_dead_letters_and_no_failures(deployment: Deployment) -> None:
    trigger = RecordingTrigger()
    deployment.use_trigger(trigger)
    event = {
        "Records": [
            kinesis_record(fixture("ses/complaint.json"), "1001"),  # opts endpoint-ana out
            kinesis_record({"hello": "world"}, "1002"),  # unknown shape
            kinesis_record(b"{not json", "1003"),
            kinesis_record(session_line(), "1004"),
        ]
    }
    response = deployment.handler.handler(event, deployment.context)

    assert response == {"batchItemFailures": []}
    ana = deployment.profiles().get_endpoint("endpoint-ana")
    assert ana is not None and ana.opt_out is OptOut.ALL
    assert ana.metrics is not None and ana.metrics[METRIC_SESSIONS] == 1.0
    letters = deployment.dead_letters()
    assert sorted(letter["record_id"] for letter in letters) == ["1002", "1003"]
    assert all(letter["problems"] and letter["problems"][0]["reason"] for letter in letters)
    assert trigger.seen == ["_email.complaint", "_session.start"]


def test_hard_bounce_inactivates_through_the_stream(deployment: Deployment) -> None:
    deployment.use_trigger(RecordingTrigger())
    event = {"Records": [kinesis_record(fixture("ses/bounce_permanent.json"), "2001")]}
    assert deployment.handler.handler(event, deployment.context) == {"batchItemFailures": []}
    ana = deployment.profiles().get_endpoint("endpoint-ana")
    assert ana is not None and ana.endpoint_status is EndpointStatus.INACTIVE


def test_a_record_whose_processing_raises_is_reported(deployment: Deployment) -> None:
    deployment.use_trigger(RecordingTrigger(fail_for="endpoint-bo"))
    bo_complaint = fixture("ses/complaint.json")
    for tag in ("clarion-endpoint-id",):
        bo_complaint["mail"]["tags"][tag] = ["endpoint-bo"]
    bo_complaint["mail"]["messageId"] = "another-message"
    event = {
        "Records": [
            kinesis_record(fixture("ses/complaint.json"), "3001"),
            kinesis_record(bo_complaint, "3002"),
            kinesis_record(session_line(), "3003"),
        ]
    }
    response = deployment.handler.handler(event, deployment.context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "3002"}]}
    # The records either side were processed; the failing one is left for the retry.
    ana = deployment.profiles().get_endpoint("endpoint-ana")
    assert ana is not None and ana.opt_out is OptOut.ALL
    assert ana.metrics is not None and ana.metrics[METRIC_SESSIONS] == 1.0


def test_records_are_forwarded_to_the_projects_event_stream(deployment: Deployment) -> None:
    """PutEventStream's destination gets every record of its project, written with the
    destination's role assumed (moto's STS and Kinesis)."""
    from clarion.adapters.aws.common.project_store import DynamoDBProjectStore

    deployment.use_trigger(RecordingTrigger())
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="users-own-stream", ShardCount=1)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName="pinpoint-events", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/users-own-stream"
    DynamoDBProjectStore(deployment.dynamodb, DEFINITIONS_TABLE).put_document(
        "app-1",
        "event-stream",
        "destination",
        {"ApplicationId": "app-1", "DestinationStreamArn": arn, "RoleArn": role},
    )
    event = {"Records": [kinesis_record(session_line(), "4001")]}
    assert deployment.handler.handler(event, deployment.context) == {"batchItemFailures": []}
    shard = kinesis.describe_stream(StreamName="users-own-stream")["StreamDescription"]["Shards"][0]
    iterator = kinesis.get_shard_iterator(
        StreamName="users-own-stream", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    forwarded = [
        json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]
    ]
    assert [r["event_type"] for r in forwarded] == ["_session.start"]
    assert forwarded[0]["application"]["app_id"] == "app-1"
