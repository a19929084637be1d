"""The ingest Lambda on moto: PutEvents over API Gateway, and SES/SMS records from SNS and
EventBridge, normalised onto the Kinesis stream; rejects dead-lettered in S3."""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink
from clarion.domain.events.rows import from_stream_json
from lambdas._runtime import LazyBootstrap

EVENTS = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
STREAM = "fn-events"
BUCKET = "fn-data"


@dataclass
class Deployment:
    handler: ModuleType
    kinesis: Any
    s3: Any
    context: Any

    def stream_lines(self) -> list[dict[str, Any]]:
        shard = self.kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"][0]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        return [json.loads(r["Data"]) for r in records]


@pytest.fixture
def deployment(
    monkeypatch: pytest.MonkeyPatch, lambda_environment: Callable[..., None], lambda_context: Any
) -> Iterator[Deployment]:
    lambda_environment(
        CLARION_DATA_BUCKET=BUCKET,
        CLARION_EVENTS_STREAM=STREAM,
        CLARION_APP_ID="app-default",
        POWERTOOLS_SERVICE_NAME="clarion-events",
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        handler = importlib.import_module("lambdas.ingest_events.handler")
        monkeypatch.setattr(handler, "bootstrap", LazyBootstrap())
        yield Deployment(handler, kinesis, s3, lambda_context)


def fixture(path: str) -> Any:
    return json.loads((EVENTS / path).read_text())


def api_event(body: Any, app_id: str = "app-9") -> dict[str, Any]:
    return {
        "resource": "/v1/apps/{application-id}/events",
        "path": f"/v1/apps/{app_id}/events",
        "httpMethod": "POST",
        "pathParameters": {"application-id": app_id},
        "requestContext": {"stage": "v1"},
        "isBase64Encoded": False,
        "body": body if isinstance(body, str) else json.dumps(body),
    }


def test_put_events_accepts_and_streams(deployment: Deployment) -> None:
    response = deployment.handler.handler(
        api_event(fixture("put_events/mixed_batch.json")), deployment.context
    )
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    # The response is Pinpoint's EventsResponse, as the botocore model defines it.
    model = botocore.session.get_session().get_service_model("pinpoint")
    shape = model.shape_for("EventsResponse")
    assert not ParamValidator().validate(body, shape).has_errors()
    ana = body["Results"]["endpoint-ana"]
    assert ana["EndpointItemResponse"] == {"StatusCode": 202, "Message": "Accepted"}
    assert all(item["StatusCode"] == 202 for item in ana["EventsItemResponse"].values())
    lines = deployment.stream_lines()
    assert sorted(line["event_type"] for line in lines) == ["AddToCart", "SignUp", "ViewProduct"]
    assert {line["application"]["app_id"] for line in lines} == {"app-9"}
    assert all(line["endpoint_id"] and line["event_id"] for line in lines)
    # Each line reads back as the record it came from.
    assert from_stream_json(lines[0]).event_id == lines[0]["event_id"]


def test_put_events_reports_each_bad_event(deployment: Deployment) -> None:
    response = deployment.handler.handler(
        api_event(fixture("put_events/limit_violations.json")), deployment.context
    )
    assert response["statusCode"] == 202
    items = json.loads(response["body"])["Results"]["endpoint-ana"]["EventsItemResponse"]
    assert items["ok"] == {"StatusCode": 202, "Message": "Accepted"}
    assert items["long-value"]["StatusCode"] == 400
    assert "Attributes.query" in items["long-value"]["Message"]
    assert [line["event_type"] for line in deployment.stream_lines()] == ["Checkout"]
    assert len(S3DeadLetterSink(deployment.s3, BUCKET).read_all()) == 10


def test_request_over_the_limit_is_refused_whole(deployment: Deployment) -> None:
    events = {
        f"e{i}": {"EventType": "Tap", "Timestamp": "2026-03-02T10:00:00Z"} for i in range(101)
    }
    body = {"BatchItem": {"endpoint-ana": {"Endpoint": {}, "Events": events}}}
    response = deployment.handler.handler(api_event(body), deployment.context)
    assert response["statusCode"] == 400
    problems = json.loads(response["body"])["Problems"]
    assert problems == [
        {"field": "BatchItem", "reason": "request has 101 events; the limit is 100"}
    ]
    assert deployment.stream_lines() == []
    assert len(S3DeadLetterSink(deployment.s3, BUCKET).read_all()) == 101


def test_body_that_is_not_json(deployment: Deployment) -> None:
    response = deployment.handler.handler(api_event("{oops"), deployment.context)
    assert response["statusCode"] == 400
    letters = S3DeadLetterSink(deployment.s3, BUCKET).read_all()
    assert letters[0]["raw"] == "{oops"


def test_sns_and_eventbridge_delivery_records_are_forwarded(deployment: Deployment) -> None:
    sns = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "MessageId": "sns-1",
                    "Type": "Notification",
                    "Message": json.dumps(fixture(f"sms_v2/{n}")),
                },
            }
            for n in ("text_delivered.json", "inbound_stop.json")
        ]
        + [{"EventSource": "aws:sns", "Sns": {"MessageId": "sns-bad", "Message": "{}"}}]
    }
    assert deployment.handler.handler(sns, deployment.context) == {"accepted": 2, "rejected": 1}
    bridge = {
        "version": "0",
        "id": "eb-1",
        "detail-type": "Email Opened",
        "source": "aws.ses",
        "detail": fixture("ses/open.json"),
    }
    assert deployment.handler.handler(bridge, deployment.context) == {"accepted": 1, "rejected": 0}
    kinds = sorted(line["event_type"] for line in deployment.stream_lines())
    assert kinds == ["_SMS.OPTOUT", "_SMS.SUCCESS", "_email.open"]
    letters = S3DeadLetterSink(deployment.s3, BUCKET).read_all()
    assert [letter["record_id"] for letter in letters] == ["sns-bad"]


def test_a_body_that_is_not_utf8_or_nests_too_deep_is_refused_with_the_reason(
    deployment: Deployment,
) -> None:
    binary = {
        **api_event("{}"),
        "isBase64Encoded": True,
        "body": base64.b64encode(b'{"BatchItem": "\xff\xfe"}').decode(),
    }
    deep = api_event("[" * 10_000 + "]" * 10_000)
    reasons = []
    for event in (binary, deep):
        response = deployment.handler.handler(event, deployment.context)
        assert response["statusCode"] == 400
        reasons += [p["reason"] for p in json.loads(response["body"])["Problems"]]
    assert "not UTF-8" in reasons[0]
    assert "deeper than" in reasons[1]
    assert deployment.stream_lines() == []
