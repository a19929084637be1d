"""The endpoint change feed on moto: DynamoDB stream records in, rows in S3 through a
DirectPut Firehose stream (moto delivers at once, as JSON lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from clarion.adapters.aws.audience.endpoint_change_feed import (
    MAX_PUT_ATTEMPTS,
    FirehoseEndpointChangeFeed,
)
from clarion.domain.audience.rows import COLUMN_NAMES
from clarion.services.audience import EndpointChangeFeedService
from lambdas._runtime import LazyBootstrap
from lambdas.endpoint_change_feed import handler as change_feed_handler
from lambdas.endpoint_change_feed.handler import process_stream_event

EVENTS = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
BUCKET = "changes-test-bucket"
STREAM = "test-endpoint-changes"
CHANGE_COLUMNS = {*COLUMN_NAMES, "change_sequence", "changed_at_ms", "deleted"}


def stream_event(*names: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    for name in names:
        records += json.loads((EVENTS / f"dynamodb_stream_{name}.json").read_text())["Records"]
    return {"Records": records}


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[SimpleNamespace]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        firehose = boto3.client("firehose", region_name=REGION)
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": "endpoint-changes/",
            },
        )
        yield SimpleNamespace(s3=s3, firehose=firehose)


def delivered_rows(s3: Any) -> list[dict[str, Any]]:
    rows = []
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        rows += [json.loads(line) for line in body.splitlines() if line.strip()]
    return sorted(rows, key=lambda row: row["change_sequence"])


def no_sleep(_: float) -> None:
    return None


def change_feed(firehose: Any, stream_name: str, **options: Any) -> EndpointChangeFeedService:
    """The change feed service on a Firehose client (moto's, or a wrapper of it)."""
    return EndpointChangeFeedService(FirehoseEndpointChangeFeed(firehose, stream_name, **options))


def test_insert_modify_and_remove_become_rows_and_a_tombstone(aws: SimpleNamespace) -> None:
    feed = change_feed(aws.firehose, STREAM, sleep=no_sleep)

    response = process_stream_event(stream_event("insert", "modify", "remove"), None, feed)

    assert response == {"batchItemFailures": []}
    rows = delivered_rows(aws.s3)
    assert [(r["id"], r["deleted"]) for r in rows] == [
        ("e-ana", False),
        ("e-bo", False),
        ("e-ana", False),
        ("e-bo", True),
    ]
    assert all(set(row) == CHANGE_COLUMNS for row in rows)
    first_ana, _, second_ana, tombstone = rows
    assert first_ana["change_sequence"] == "0" * 19 + "100000000000000000101"
    assert len(first_ana["change_sequence"]) == 40
    assert first_ana["changed_at_ms"] == 1767261600000
    assert first_ana["attributes"] == {"Plan": ["Gold"], "Interests": ["bikes", "hiking"]}
    assert first_ana["user_attributes"] == {"FirstName": ["Ana"]}
    assert first_ana["metrics"] == {"Visits": 3.0}
    assert first_ana["user_id"] == "u-ana"
    assert first_ana["location_latitude"] == 45.76
    assert first_ana["demographic_timezone"] == "Europe/Paris"
    # The later of LastActiveMs and EffectiveDate.
    assert first_ana["last_active_ms"] == 1767268800000
    assert json.loads(first_ana["document"])["Address"] == "ana@example.com"
    assert second_ana["opt_out"] == "ALL"
    assert second_ana["attributes"]["Plan"] == ["Platinum"]
    assert second_ana["metrics"] == {"Visits": 4.5}
    assert tombstone["change_sequence"] > second_ana["change_sequence"]
    assert tombstone["changed_at_ms"] == 1767434400000
    assert {k for k, v in tombstone.items() if v is not None} == {
        "id",
        "change_sequence",
        "changed_at_ms",
        "deleted",
    }


def test_the_attribute_name_registry_is_skipped(aws: SimpleNamespace) -> None:
    feed = change_feed(aws.firehose, STREAM, sleep=no_sleep)

    response = process_stream_event(stream_event("registry", "remove"), None, feed)

    assert response == {"batchItemFailures": []}
    assert [row["id"] for row in delivered_rows(aws.s3)] == ["e-bo"]


class RefusingFirehose:
    """Moto's Firehose, except that records mentioning ``refused_id`` always fail."""

    def __init__(self, firehose: Any, refused_id: str) -> None:
        self._firehose = firehose
        self._refused = f'"id":"{refused_id}"'.encode()
        self.calls = 0

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> Any:
        self.calls += 1
        accepted = [r for r in Records if self._refused not in r["Data"]]
        if accepted:
            self._firehose.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=accepted)
        results = [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"}
            if self._refused in r["Data"]
            else {"RecordId": "ok"}
            for r in Records
        ]
        return {"FailedPutCount": len(Records) - len(accepted), "RequestResponses": results}


def test_records_firehose_keeps_refusing_are_reported_as_batch_item_failures(
    aws: SimpleNamespace,
) -> None:
    refusing = RefusingFirehose(aws.firehose, refused_id="e-bo")
    feed = change_feed(refusing, STREAM, sleep=no_sleep)

    response = process_stream_event(stream_event("insert", "modify"), None, feed)

    assert response == {"batchItemFailures": [{"itemIdentifier": "100000000000000000102"}]}
    # Retried alone after the first call, up to the attempt limit.
    assert refusing.calls == MAX_PUT_ATTEMPTS
    assert [row["id"] for row in delivered_rows(aws.s3)] == ["e-ana", "e-ana"]


def test_a_record_that_is_not_an_endpoint_fails_alone(aws: SimpleNamespace) -> None:
    event = stream_event("insert", "modify")
    event["Records"][1]["dynamodb"]["NewImage"]["Document"]["S"] = '{"Id": "e-bo", "Bogus": 1}'
    feed = change_feed(aws.firehose, STREAM, sleep=no_sleep)

    response = process_stream_event(event, None, feed)

    assert response == {"batchItemFailures": [{"itemIdentifier": "100000000000000000102"}]}
    assert [row["id"] for row in delivered_rows(aws.s3)] == ["e-ana", "e-ana"]


def test_a_batch_where_every_record_fails_raises_for_a_retry(aws: SimpleNamespace) -> None:
    feed = change_feed(RefusingFirehose(aws.firehose, refused_id="e-bo"), STREAM, sleep=no_sleep)

    with pytest.raises(BatchProcessingError):
        process_stream_event(stream_event("remove"), None, feed)


def test_large_batches_are_put_in_chunks_of_at_most_500(aws: SimpleNamespace) -> None:
    template = stream_event("insert")["Records"][0]
    records = []
    for n in range(1201):
        record = json.loads(json.dumps(template))
        record["dynamodb"]["SequenceNumber"] = str(200000000000000000000 + n)
        records.append(record)

    class Counting:
        sizes: list[int] = []

        def put_record_batch(self, **kwargs: Any) -> Any:
            self.sizes.append(len(kwargs["Records"]))
            return aws.firehose.put_record_batch(**kwargs)

    counting = Counting()
    response = process_stream_event(
        {"Records": records}, None, change_feed(counting, STREAM, sleep=no_sleep)
    )

    assert response == {"batchItemFailures": []}
    assert counting.sizes == [500, 500, 201]
    assert len(delivered_rows(aws.s3)) == 1201


def test_the_lambda_handler_reads_the_stream_name_from_the_environment(
    aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_BACKEND", "aws")
    monkeypatch.setenv("CLARION_ENDPOINT_CHANGES_STREAM", STREAM)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # A fresh container: the composition root is made from this test's environment.
    monkeypatch.setattr(change_feed_handler, "bootstrap", LazyBootstrap())
    context = SimpleNamespace(
        function_name="endpoint_change_feed",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:feed",
        aws_request_id="req-1",
    )

    response = change_feed_handler.handler(stream_event("insert"), context)

    assert response == {"batchItemFailures": []}
    assert [row["id"] for row in delivered_rows(aws.s3)] == ["e-ana", "e-bo"]
