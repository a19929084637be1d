"""Backends for the contract suites: each port's suite runs once per backend.

``local`` is the DuckDB adapter on a fresh database in ``tmp_path``; ``aws`` is the boto3
adapter on moto, with the tables created as the CDK stack creates them. Each harness
also knows how to read what the port itself cannot show (last-activity times, imported
members), so the suites can assert on it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.endpoint import Endpoint, validate_endpoint
from clarion.ports import ProfileStore, SegmentRepository

BACKENDS = ["local", "aws"]
REGION = "us-east-1"
ENDPOINTS_TABLE = "test-endpoints"
DEFINITIONS_TABLE = "test-definitions"
DATA_BUCKET = "test-data-bucket"


@pytest.fixture
def mocked_aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def endpoints_table(mocked_aws: None) -> tuple[Any, str]:
    """A moto DynamoDB client and the name of an endpoints table created in it."""
    from clarion.adapters.aws.profiles import endpoints_table_spec

    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
    return client, ENDPOINTS_TABLE


@pytest.fixture
def make_endpoint() -> Callable[..., Endpoint]:
    """Build a valid endpoint: ``make_endpoint("e1", user_id="u1", Attributes={...})``.

    Keyword arguments in PascalCase are Pinpoint fields added to (or replacing) the
    defaults; the result is validated, so a test cannot use an impossible endpoint.
    """

    def build(endpoint_id: str, *, user_id: str | None = None, **fields: Any) -> Endpoint:
        data: dict[str, Any] = {
            "Id": endpoint_id,
            "ChannelType": "EMAIL",
            "Address": f"{endpoint_id}@example.com",
        }
        if user_id is not None:
            data["User"] = {"UserId": user_id}
        data.update(fields)
        return validate_endpoint(data)

    return build


# -- profile stores -------------------------------------------------------------------


@dataclass
class ProfileBackend:
    """A ProfileStore under test, and what the suite needs beside it."""

    name: str
    store: ProfileStore
    new_store: Callable[[], ProfileStore]
    last_active_ms: Callable[[str], int | None]


def _local_profiles(tmp_path: Path) -> Iterator[ProfileBackend]:
    from clarion.adapters.local.database import LocalDatabase
    from clarion.adapters.local.profiles import DuckDBProfileStore

    database = LocalDatabase(tmp_path / "home")

    def last_active_ms(endpoint_id: str) -> int | None:
        row = (
            database.cursor()
            .execute("SELECT last_active_ms FROM endpoints WHERE id = ?", [endpoint_id])
            .fetchone()
        )
        return None if row is None else row[0]

    yield ProfileBackend(
        "local", DuckDBProfileStore(database), lambda: DuckDBProfileStore(database), last_active_ms
    )
    database.close()


def _aws_profiles() -> Iterator[ProfileBackend]:
    from clarion.adapters.aws.profiles import DynamoDBProfileStore, endpoints_table_spec

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))

        def last_active_ms(endpoint_id: str) -> int | None:
            item = client.get_item(TableName=ENDPOINTS_TABLE, Key={"Id": {"S": endpoint_id}})
            value = item.get("Item", {}).get("LastActiveMs")
            return None if value is None else int(value["N"])

        yield ProfileBackend(
            "aws",
            DynamoDBProfileStore(client, ENDPOINTS_TABLE),
            lambda: DynamoDBProfileStore(client, ENDPOINTS_TABLE),
            last_active_ms,
        )


@pytest.fixture(params=BACKENDS)
def profiles(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[ProfileBackend]:
    if request.param == "local":
        yield from _local_profiles(tmp_path)
    else:
        yield from _aws_profiles()


# -- segment repositories -------------------------------------------------------------


@dataclass
class SegmentBackend:
    """A SegmentRepository under test, and a reader of imported members as the audience
    query sees them (the DuckDB table locally, the CSV objects in S3 on AWS)."""

    name: str
    repository: SegmentRepository
    imported_members: Callable[[str], list[str]]


def _local_segments(tmp_path: Path) -> Iterator[SegmentBackend]:
    from clarion.adapters.local.database import LocalDatabase
    from clarion.adapters.local.segments import DuckDBSegmentRepository

    database = LocalDatabase(tmp_path / "home")

    def imported_members(segment_id: str) -> list[str]:
        rows = (
            database.cursor()
            .execute(
                "SELECT endpoint_id FROM imported_segment_members WHERE segment_id = ?",
                [segment_id],
            )
            .fetchall()
        )
        return sorted(endpoint_id for (endpoint_id,) in rows)

    yield SegmentBackend("local", DuckDBSegmentRepository(database), imported_members)
    database.close()


def read_imported_members_from_s3(s3: Any, bucket: str, segment_id: str) -> list[str]:
    """Every endpoint id in the segment's CSV objects, sorted (as Athena would read the
    ``imported_segment_members`` partition)."""
    from clarion.adapters.aws.segments import imported_members_prefix

    members: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=imported_members_prefix(segment_id) + "/"
    )
    for page in pages:
        for summary in page.get("Contents", []):
            assert summary["Key"].endswith(".csv"), summary["Key"]
            body = s3.get_object(Bucket=bucket, Key=summary["Key"])["Body"].read().decode()
            members.extend(row[0] for row in csv.reader(io.StringIO(body)))
    return sorted(members)


def _aws_segments() -> Iterator[SegmentBackend]:
    from clarion.adapters.aws.segments import DynamoDBSegmentRepository, definitions_table_spec

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=DATA_BUCKET)
        yield SegmentBackend(
            "aws",
            DynamoDBSegmentRepository(dynamodb, DEFINITIONS_TABLE, s3, DATA_BUCKET),
            lambda segment_id: read_imported_members_from_s3(s3, DATA_BUCKET, segment_id),
        )


@pytest.fixture(params=BACKENDS)
def segments(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[SegmentBackend]:
    if request.param == "local":
        yield from _local_segments(tmp_path)
    else:
        yield from _aws_segments()
