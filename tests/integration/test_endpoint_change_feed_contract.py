"""The EndpointChangeFeed contract. Only the AWS backend has one (locally segments query
the endpoints table itself): a DirectPut Firehose stream on moto, which writes what it
is given to S3 at once, read back as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.ports.audience import EndpointChangeFeed

REGION = "us-east-1"
BUCKET = "contract-changes"
STREAM = "contract-endpoint-changes"


@dataclass
class FeedBackend:
    name: str
    feed: EndpointChangeFeed
    delivered: Callable[[], list[dict[str, Any]]]
    refuse: Callable[[str], None]


class _Refusing:
    """A Firehose client that refuses, every time, the records mentioning an id."""

    def __init__(self, firehose: Any) -> None:
        self._firehose = firehose
        self.refused: set[str] = set()

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> Any:
        def refused(record: dict[str, bytes]) -> bool:
            return json.loads(record["Data"])["id"] in self.refused

        accepted = [r for r in Records if not refused(r)]
        if accepted:
            self._firehose.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=accepted)
        return {
            "FailedPutCount": len(Records) - len(accepted),
            "RequestResponses": [
                {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"}
                if refused(r)
                else {"RecordId": "ok"}
                for r in Records
            ],
        }


def _aws() -> Iterator[FeedBackend]:
    from clarion.adapters.aws.audience.endpoint_change_feed import FirehoseEndpointChangeFeed

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
        client = _Refusing(firehose)

        def delivered() -> list[dict[str, Any]]:
            rows = []
            for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
                rows += [json.loads(line) for line in body.splitlines() if line.strip()]
            return rows

        yield FeedBackend(
            "aws",
            FirehoseEndpointChangeFeed(client, STREAM, sleep=lambda _: None),
            delivered,
            client.refused.add,
        )


@pytest.fixture(params=["aws"])
def backend(request: pytest.FixtureRequest, aws_credentials: None) -> Iterator[FeedBackend]:
    yield from _aws()


def row(endpoint_id: str, sequence: int, **values: Any) -> dict[str, Any]:
    return {"id": endpoint_id, "change_sequence": f"{sequence:040d}", "deleted": False, **values}


def test_rows_are_delivered_as_given(backend: FeedBackend) -> None:
    rows = {
        "101": row("e-1", 101, attributes={"Plan": ["Gold"]}, address="zoë@example.com"),
        "102": row("e-2", 102, metrics={"Visits": 4.5}),
        "103": {**row("e-1", 103), "deleted": True},
    }

    assert backend.feed.put_rows(rows) == {}
    assert sorted(backend.delivered(), key=lambda r: r["change_sequence"]) == list(rows.values())


def test_nothing_to_deliver_is_nothing_refused(backend: FeedBackend) -> None:
    assert backend.feed.put_rows({}) == {}
    assert backend.delivered() == []


def test_rows_still_refused_are_returned_with_the_reason(backend: FeedBackend) -> None:
    backend.refuse("e-2")

    refused = backend.feed.put_rows({"201": row("e-1", 201), "202": row("e-2", 202)})

    assert list(refused) == ["202"]
    assert "ServiceUnavailableException" in refused["202"]
    assert [r["id"] for r in backend.delivered()] == ["e-1"]


def test_large_deliveries_arrive_whole(backend: FeedBackend) -> None:
    rows = {str(n): row(f"e-{n}", n) for n in range(1, 1202)}

    assert backend.feed.put_rows(rows) == {}
    assert len(backend.delivered()) == 1201
