"""The LakeRewriter contract. Only the AWS backend has one: locally the eraser rewrites
the Parquet files itself, with pyarrow, inside the erase call. On moto: a versioned
bucket, Athena results queued through moto's results API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from clarion.ports.audience import LakeRewriter

REGION = "us-east-1"
BUCKET = "contract-lake"
KEY = "events/dt=2026-11-02/part-1.parquet"
STAGING = "erase-staging/exec-1/events/0/"


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[tuple[LakeRewriter, Any, Any]]:
    from clarion.adapters.aws.audience.lake_rewriter import S3LakeRewriter

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        athena = boto3.client("athena", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        athena.create_work_group(
            Name="wg",
            Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/results/"}},
        )
        yield S3LakeRewriter(s3, athena, BUCKET), s3, athena


def _versions(s3: Any, key: str) -> list[dict[str, Any]]:
    answer = s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [
        v for v in answer.get("Versions", []) + answer.get("DeleteMarkers", []) if v["Key"] == key
    ]


def test_found_objects_are_the_datasets_keys_of_this_bucket(aws: tuple[Any, Any, Any]) -> None:
    rewriter, _, athena = aws
    urls = [
        f"s3://{BUCKET}/{KEY}",
        f"s3://{BUCKET}/events/dt=2026-11-01/a.parquet",
        f"s3://{BUCKET}/{KEY}",  # listed twice
        f"s3://{BUCKET}/endpoint-changes/dt=2026-11-01/b.parquet",  # another dataset
        f"s3://other-bucket/{KEY}",  # another bucket
        f"s3://{BUCKET}/events/../imports/x.csv",
    ]
    rows = [{"Data": [{"VarCharValue": "path"}]}] + [
        {"Data": [{"VarCharValue": url}]} for url in urls
    ]
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={"results": [{"rows": rows, "column_info": [{"Name": "path", "Type": "varchar"}]}]},
        timeout=10,
    )
    assert response.status_code == 201
    query = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="wg")

    found = rewriter.found_objects(query["QueryExecutionId"], "events/")

    assert found == ["events/dt=2026-11-01/a.parquet", KEY]
    assert rewriter.bucket == BUCKET


def test_the_staged_file_replaces_the_object_and_its_history(aws: tuple[Any, Any, Any]) -> None:
    rewriter, s3, _ = aws
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old 1")
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old 2")
    s3.put_object(Bucket=BUCKET, Key=f"{STAGING}0000_part", Body=b"new")
    s3.put_object(Bucket=BUCKET, Key="events/dt=2026-11-02/other.parquet", Body=b"keep")

    item = rewriter.replace_object(KEY, STAGING)

    assert (item.store, item.location, item.action, item.count) == ("s3", KEY, "rewritten", 1)
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"new"
    assert len(_versions(s3, KEY)) == 1
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="erase-staging/").get("KeyCount") == 0
    assert _versions(s3, f"{STAGING}0000_part") == []
    assert s3.get_object(Bucket=BUCKET, Key="events/dt=2026-11-02/other.parquet")[
        "Body"
    ].read() == (b"keep")


def test_extra_staged_files_go_beside_the_object(aws: tuple[Any, Any, Any]) -> None:
    rewriter, s3, _ = aws
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old")
    s3.put_object(Bucket=BUCKET, Key=f"{STAGING}0000_a", Body=b"new a")
    s3.put_object(Bucket=BUCKET, Key=f"{STAGING}0001_b", Body=b"new b")

    item = rewriter.replace_object(KEY, STAGING)

    assert (item.action, item.count) == ("rewritten", 2)
    beside = "events/dt=2026-11-02/part-1-erase-1.parquet"
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"new a"
    assert s3.get_object(Bucket=BUCKET, Key=beside)["Body"].read() == b"new b"


def test_nothing_staged_means_the_object_was_only_the_person(aws: tuple[Any, Any, Any]) -> None:
    rewriter, s3, _ = aws
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old 1")
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"old 2")

    item = rewriter.replace_object(KEY, STAGING)

    assert (item.action, item.count) == ("deleted", 1)
    assert _versions(s3, KEY) == []  # no version and no delete marker left
