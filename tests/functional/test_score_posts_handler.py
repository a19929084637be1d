"""The posts-stream scoring Lambda under moto, with Comprehend answered by FakeComprehend
(botocore validates each request against the real model) and delivery recorded."""

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
from fakes.comprehend import comprehend_client
from moto import mock_aws

from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore, endpoints_table_spec
from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
from clarion.adapters.aws.sentiment.social_store import SOCIAL_HANDLE_INDEX, social_table_spec
from clarion.bootstrap import Bootstrap
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from lambdas._runtime import LazyBootstrap

REGION = "us-east-1"
ENDPOINTS_TABLE = "test-endpoints"
DEFINITIONS_TABLE = "test-definitions"
SENDS_TABLE = "test-sends"
SOCIAL_TABLE = "test-social"
EVENTS_STREAM = "test-events"
BUCKET = "test-data"

NEGATIVE = "Worst service ever, my order arrived broken and support is useless. Awful!"
POSITIVE = "I love the new Acme Rocket, amazing battery, best gadget this year!"


class RecordingChannel:
    """Stands in for SES/End User Messaging; fails for addresses in ``fail_for``."""

    def __init__(self, fail_for: Sequence[str] = ()) -> None:
        self.sent: list[OutboundMessage] = []
        self.fail_for = set(fail_for)

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        for message in messages:
            if message.address in self.fail_for:
                raise ConnectionError("the provider is down")
        self.sent.extend(messages)
        return [DeliveryResult(m.message_id, DeliveryStatus.SUCCESSFUL) for m in messages]


@dataclass
class Deployment:
    handler: ModuleType
    dynamodb: Any
    kinesis: Any
    s3: Any
    comprehend: Any
    channel: RecordingChannel
    context: Any

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self.handler.handler({"Records": records}, self.context))

    def endpoint(self, endpoint_id: str) -> Any:
        return DynamoDBProfileStore(self.dynamodb, ENDPOINTS_TABLE).get_endpoint(endpoint_id)

    def stream_records(self) -> list[dict[str, Any]]:
        shard = self.kinesis.describe_stream(StreamName=EVENTS_STREAM)["StreamDescription"][
            "Shards"
        ][0]["ShardId"]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=EVENTS_STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = self.kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        return [json.loads(r["Data"]) for r in records]


CUSTOMERS = [
    {
        "Id": "e-ana",
        "ChannelType": "EMAIL",
        "Address": "ana@example.org",
        "User": {
            "UserId": "u-ana",
            "UserAttributes": {"FirstName": ["Ana"], "TwitterHandle": ["@ana_q"]},
        },
    },
    {
        "Id": "e-ben",
        "ChannelType": "EMAIL",
        "Address": "ben@example.org",
        "OptOut": "ALL",
        "User": {"UserId": "u-ben", "UserAttributes": {"TwitterHandle": ["ben_r"]}},
    },
]


@pytest.fixture
def deployment(
    monkeypatch: pytest.MonkeyPatch, lambda_environment: Callable[..., None], lambda_context: Any
) -> Iterator[Deployment]:
    lambda_environment(
        CLARION_ENDPOINTS_TABLE=ENDPOINTS_TABLE,
        CLARION_DEFINITIONS_TABLE=DEFINITIONS_TABLE,
        CLARION_SENDS_TABLE=SENDS_TABLE,
        CLARION_SOCIAL_TABLE=SOCIAL_TABLE,
        CLARION_EVENTS_STREAM=EVENTS_STREAM,
        CLARION_DATA_BUCKET=BUCKET,
        POWERTOOLS_SERVICE_NAME="clarion-social",
        POWERTOOLS_METRICS_NAMESPACE="Clarion",
    )
    # The demo's rules: no quiet time, so the test does not depend on the hour it runs.
    rules = Path(__file__).resolve().parents[2] / "demo" / "sentiment_rules.yaml"
    monkeypatch.setenv("CLARION_SENTIMENT_RULES", str(rules))
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        dynamodb.create_table(**sends_table_spec(SENDS_TABLE))
        dynamodb.create_table(**social_table_spec(SOCIAL_TABLE))
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName=EVENTS_STREAM, ShardCount=1)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        store = DynamoDBProfileStore(dynamodb, ENDPOINTS_TABLE)
        endpoints = [validate_endpoint(e) for e in CUSTOMERS]
        # The profile store writes SocialHandle itself (docs/sentiment.md).
        store.put_endpoints(endpoints)
        client, fake = comprehend_client()
        boot = Bootstrap(comprehend=client)
        channel = RecordingChannel()
        boot.adapters.__dict__["delivery_channel"] = channel
        for name, subject in (("social-apology", "Sorry"), ("social-influencer", "Thanks")):
            boot.template_service.create(
                {
                    "TemplateName": name,
                    "EmailTemplateRequest": {
                        "Subject": f"{subject} {{{{User.UserAttributes.FirstName}}}}",
                        "TextPart": "Code {{CouponCode}}",
                    },
                }
            )
        handler = importlib.import_module("lambdas.score_posts.handler")
        monkeypatch.setattr(handler, "bootstrap", LazyBootstrap(boot))
        yield Deployment(handler, dynamodb, kinesis, s3, fake, channel, lambda_context)


def post(post_id: str, handle: str, text: str, followers: int = 100) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "platform": "twitter",
        "author_handle": handle,
        "author_follower_count": followers,
        "text": text,
        "language": "en",
        "created_at": "2026-03-02T11:00:00Z",
    }


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
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/score-posts",
        "awsRegion": REGION,
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clarion-posts",
    }


def test_batch_scored_matched_and_applied(deployment: Deployment) -> None:
    records = [
        kinesis_record(post("1", "@Ana_Q", NEGATIVE), "101"),
        kinesis_record(post("1", "@Ana_Q", NEGATIVE), "102"),  # the same post again
        kinesis_record(b"not json", "103"),
        kinesis_record({"post_id": "x"}, "104"),
        kinesis_record(post("2", "ben_r", NEGATIVE), "105"),  # opted out
        kinesis_record(post("3", "bigvoice", POSITIVE, followers=90_000), "106"),  # prospect
    ]
    assert deployment.invoke(records) == {"batchItemFailures": []}
    assert [m.address for m in deployment.channel.sent] == ["ana@example.org"]
    ana = deployment.endpoint("e-ana")
    assert ana.attributes["SocialSentiment"] == ["NEGATIVE"]
    ben = deployment.endpoint("e-ben")
    assert ben.attributes["SocialSentiment"] == ["NEGATIVE"]
    lines = deployment.stream_records()
    posts = [r for r in lines if r["event_type"] == "_social.post"]
    assert sorted(r["attributes"]["post_id"] for r in posts) == ["1", "2", "3"]
    sends = {
        (r["client"]["client_id"], r["attributes"]["campaign_send_status"])
        for r in lines
        if r["event_type"] == "_campaign.send"
    }
    assert sends == {("e-ana", "SUCCESS"), ("e-ben", "OPT_OUT")}
    # one sentiment call for the three posts; entities for mentions
    assert deployment.comprehend.calls["BatchDetectSentiment"] == 1
    prospects = deployment.handler.bootstrap().adapters.social_author_store.prospects()
    assert [(p.handle, p.outreach) for p in prospects] == [("bigvoice", ("influencer-outreach",))]
    dead = deployment.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert len(dead) == 1


def test_replayed_batch_triggers_nothing_twice(deployment: Deployment) -> None:
    records = [kinesis_record(post("1", "ana_q", NEGATIVE), "201")]
    deployment.invoke(records)
    assert deployment.invoke(records) == {"batchItemFailures": []}
    assert len(deployment.channel.sent) == 1
    posts = [r for r in deployment.stream_records() if r["event_type"] == "_social.post"]
    assert len(posts) == 1


def test_a_failed_post_is_reported_and_retried_with_one_send(
    deployment: Deployment,
) -> None:
    # A raising channel delivered nothing (the DeliveryChannel contract), so the send is
    # recorded under its TraceId as not sent: the retry sends it, once; a further replay
    # is a duplicate.
    deployment.channel.fail_for = {"ana@example.org"}
    records = [
        kinesis_record(post("1", "ana_q", NEGATIVE), "301"),
        kinesis_record(post("3", "bigvoice", POSITIVE, followers=90_000), "302"),
    ]
    assert deployment.invoke(records) == {"batchItemFailures": [{"itemIdentifier": "301"}]}
    deployment.channel.fail_for = set()
    assert deployment.invoke(records) == {"batchItemFailures": []}
    assert [m.address for m in deployment.channel.sent] == ["ana@example.org"]
    posts = [r for r in deployment.stream_records() if r["event_type"] == "_social.post"]
    assert sorted(r["attributes"]["post_id"] for r in posts) == ["1", "3"]
    assert deployment.invoke(records) == {"batchItemFailures": []}  # now a duplicate
    assert len(deployment.channel.sent) == 1


def test_scoring_failure_fails_every_post(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyzer = deployment.handler.bootstrap().adapters.sentiment_analyzer

    def down(texts: Any) -> Any:
        raise ConnectionError("Comprehend unreachable")

    monkeypatch.setattr(analyzer, "analyze", down)
    records = [
        kinesis_record(post("1", "ana_q", NEGATIVE), "401"),
        kinesis_record(b"{", "402"),
    ]
    assert deployment.invoke(records) == {"batchItemFailures": [{"itemIdentifier": "401"}]}
    monkeypatch.undo()


def test_ingest_api_puts_valid_posts_on_the_stream(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment.kinesis.create_stream(StreamName="test-posts", ShardCount=1)
    monkeypatch.setenv("CLARION_POSTS_STREAM", "test-posts")
    ingest = importlib.import_module("lambdas.ingest_posts.handler")
    monkeypatch.setattr(ingest, "bootstrap", LazyBootstrap())
    body = {"Posts": [post("1", "ana_q", NEGATIVE), {"post_id": "2", "platform": "twitter"}]}
    response = ingest.handler({"body": json.dumps(body)}, deployment.context)
    results = json.loads(response["body"])["Results"]
    assert response["statusCode"] == 202
    assert [r["StatusCode"] for r in results] == [202, 400]
    assert {p["field"] for p in results[1]["Problems"]} >= {"author_handle", "text"}
    shard = deployment.kinesis.describe_stream(StreamName="test-posts")["StreamDescription"][
        "Shards"
    ][0]["ShardId"]
    iterator = deployment.kinesis.get_shard_iterator(
        StreamName="test-posts", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = deployment.kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [json.loads(r["Data"])["post_id"] for r in records] == ["1"]
    assert records[0]["PartitionKey"] == "twitter#1"
    # what the stream carries is what the scoring function reads
    replay = [kinesis_record(json.loads(records[0]["Data"]), "501")]
    assert deployment.invoke(replay) == {"batchItemFailures": []}
    assert [m.address for m in deployment.channel.sent] == ["ana@example.org"]
    too_many = ingest.handler({"body": json.dumps([post("1", "a", "x")] * 501)}, deployment.context)
    assert too_many["statusCode"] == 400
    assert ingest.handler({"body": "{"}, deployment.context)["statusCode"] == 400


def test_handle_index_survives_the_attribute_update(deployment: Deployment) -> None:
    # The service rewrites matched endpoints through the profile store (attributes), and
    # BatchWriteItem replaces whole items: the handle must still be indexed afterwards.
    assert deployment.invoke([kinesis_record(post("1", "ana_q", NEGATIVE), "601")]) == {
        "batchItemFailures": []
    }
    item = deployment.dynamodb.get_item(TableName=ENDPOINTS_TABLE, Key={"Id": {"S": "e-ana"}})
    assert item["Item"]["SocialHandle"] == {"S": "TwitterHandle#ana_q"}
    found = deployment.dynamodb.query(
        TableName=ENDPOINTS_TABLE,
        IndexName=SOCIAL_HANDLE_INDEX,
        KeyConditionExpression="SocialHandle = :h",
        ExpressionAttributeValues={":h": {"S": "TwitterHandle#ana_q"}},
    )["Items"]
    assert [row["Id"]["S"] for row in found] == ["e-ana"]
    assert deployment.invoke([kinesis_record(post("2", "@ANA_Q", NEGATIVE), "602")]) == {
        "batchItemFailures": []
    }
    assert deployment.endpoint("e-ana").metrics["NegativePosts30d"] == 2


def test_ingest_api_on_the_local_backend_scores_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Without a posts stream (locally) accepted posts are scored as they arrive.
    from clarion.bootstrap.settings import Settings

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    ingest = importlib.import_module("lambdas.ingest_posts.handler")
    monkeypatch.setattr(ingest, "bootstrap", LazyBootstrap(boot))
    body = [post("7", "bigvoice", POSITIVE, followers=90_000), {"post_id": "8"}]

    response = ingest.handler({"body": json.dumps(body)}, lambda_context)

    assert response["statusCode"] == 202
    assert [r["StatusCode"] for r in json.loads(response["body"])["Results"]] == [202, 400]
    # Scored and completed: the dedupe store lets nobody claim it again.
    assert boot.adapters.post_dedupe_store.claim(["twitter#7"], 0, 1000) == set()
    assert boot.adapters.post_dedupe_store.claim(["twitter#9"], 0, 1000) == {"twitter#9"}
