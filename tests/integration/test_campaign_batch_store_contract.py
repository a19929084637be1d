"""The CampaignBatchStore contract. Only the AWS backend has one (locally a resume runs
in process): S3 on moto, the object read back as the state machine's Map reads the
audience CSV (header row, then one item per row)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import InvalidRecordError
from clarion.ports.campaigns import BatchObject, CampaignBatchStore

REGION = "us-east-1"
BUCKET = "contract-data"


@dataclass
class BatchBackend:
    name: str
    store: CampaignBatchStore
    read: Callable[[BatchObject], str | None]
    unconfigured: Callable[[], CampaignBatchStore]


def _aws() -> Iterator[BatchBackend]:
    from clarion.adapters.aws.campaigns.campaign_batch_store import S3CampaignBatchStore

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)

        def read(location: BatchObject) -> str | None:
            listing = s3.list_objects_v2(Bucket=location.bucket, Prefix=location.key)
            if not listing.get("Contents"):
                return None
            body = s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
            return str(body.decode("utf-8"))

        yield BatchBackend(
            "aws", S3CampaignBatchStore(s3, BUCKET), read, lambda: S3CampaignBatchStore(s3, "")
        )


def batch_ids(text: str | None) -> list[list[str]]:
    """The ids of each row of a batch file, as the send-batch step decodes them."""
    return [json.loads(row["ids"]) for row in csv.DictReader(io.StringIO(text or ""))]


@pytest.fixture(params=["aws"])
def backend(request: pytest.FixtureRequest, aws_credentials: None) -> Iterator[BatchBackend]:
    yield from _aws()


def test_batches_are_written_in_the_audience_query_shape(backend: BatchBackend) -> None:
    location = backend.store.put_batches("run-1", 1767225600000, [["e1", "e2"], ['e"3', "é,4"]])

    text = backend.read(location)
    assert text is not None
    assert text.splitlines()[0] == '"batch","ids"'
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["batch"] for row in rows] == ["0", "1"]
    assert [json.loads(row["ids"]) for row in rows] == [["e1", "e2"], ['e"3', "é,4"]]


def test_each_pass_has_its_own_place(backend: BatchBackend) -> None:
    first = backend.store.put_batches("run-1", 1000, [["e1"]])
    later = backend.store.put_batches("run-1", 2000, [["e2"]])
    other = backend.store.put_batches("run-2", 1000, [["e3"]])

    assert len({first, later, other}) == 3
    assert "run-1" in first.key and first.key.endswith(".csv")
    assert batch_ids(backend.read(first)) == [["e1"]]
    assert batch_ids(backend.read(later)) == [["e2"]]


def test_an_empty_pass_writes_nothing_but_says_where(backend: BatchBackend) -> None:
    location = backend.store.put_batches("run-1", 3000, [])

    assert location.bucket == BUCKET and location.key
    assert backend.read(location) is None


def test_without_a_bucket_the_pass_is_refused(backend: BatchBackend) -> None:
    with pytest.raises(InvalidRecordError, match="CLARION_DATA_BUCKET"):
        backend.unconfigured().put_batches("run-1", 4000, [["e1"]])
