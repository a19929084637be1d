"""Backends for the contract suites: each port's suite runs once per backend.

``local`` is the DuckDB adapter on a fresh database in ``tmp_path``; ``aws`` is the boto3
adapter on moto, with the tables created as the CDK stack creates them. Each harness
also knows how to read what the port itself cannot show (last-activity times, imported
members), so the suites can assert on it. Athena adapters run on moto with every query
answered by DuckDB over a stand-in lake (``athena_lake``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import sqlglot
from moto import mock_aws

from clarion.domain.audience.endpoint import Endpoint, validate_endpoint
from clarion.ports.audience import ProfileStore
from clarion.ports.segments import SegmentRepository

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
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec

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
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase

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
    from clarion.adapters.aws.audience.profile_store import (
        DynamoDBProfileStore,
        endpoints_table_spec,
    )

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
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository

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
    from clarion.adapters.aws.segments.segment_repository import imported_members_prefix

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
    from clarion.adapters.aws.segments.segment_repository import (
        DynamoDBSegmentRepository,
        definitions_table_spec,
    )

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


# -- Athena over the lake: moto's Athena answered by DuckDB ------------------------------

ATHENA_RESULTS_API = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
ATHENA_WORKGROUP = "clarion"
ATHENA_DATABASE = "clarion_db"
# GetQueryResults returns at most this many rows a call.
ATHENA_PAGE_ROWS = 1000

_ATHENA_TYPES = {
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",  # DuckDB's sum(bigint); Trino's is bigint
    "FLOAT": "real",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


def athena_type(duckdb_type: str) -> str:
    """The type name Athena's ColumnInfo gives for a column of this DuckDB type."""
    if duckdb_type.startswith("DECIMAL"):
        return "decimal"
    return _ATHENA_TYPES.get(duckdb_type, "varchar")


def athena_text(value: Any) -> str | None:
    """A value as Athena's result set writes it (``VarCharValue``; None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def queue_athena_result(
    columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str | None]]
) -> None:
    """Hand moto's Athena the result of the next query started: ``columns`` as (name,
    Athena type), then ``rows`` of text values. The header row Athena puts first on a
    SELECT's first page is added here."""
    header = [name for name, _ in columns]
    body: dict[str, Any] = {
        "region": REGION,
        "results": [
            {
                "rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in [header, *rows]
                ],
                "column_info": [{"Name": name, "Type": kind} for name, kind in columns],
            }
        ],
    }
    response = requests.post(ATHENA_RESULTS_API, json=body, timeout=5)
    assert response.status_code == 201, response.text


def paginate_athena_results(monkeypatch: pytest.MonkeyPatch, page_rows: int) -> list[int]:
    """Make moto's GetQueryResults return pages of at most ``page_rows`` rows with a
    NextToken, as Athena does (moto returns every row at once). Returns the list the
    MaxResults of each call are appended to."""
    from moto.athena.responses import AthenaResponse

    asked: list[int] = []

    def paged(self: AthenaResponse) -> str:
        query_id = self._get_param("QueryExecutionId")
        start = int(self._get_param("NextToken") or 0)
        max_results = int(self._get_param("MaxResults") or ATHENA_PAGE_ROWS)
        asked.append(max_results)
        result = self.athena_backend.get_query_results(query_id).to_dict()
        rows = result["ResultSet"]["Rows"]
        end = start + min(max_results, page_rows)
        result["ResultSet"]["Rows"] = rows[start:end]
        if end < len(rows):
            result["NextToken"] = str(end)
        return json.dumps(result)

    monkeypatch.setattr(AthenaResponse, "get_query_results", paged)
    return asked


@dataclass
class AthenaLake:
    """moto's Athena, answering every query by running its SQL on ``database``.

    moto's Athena runs nothing; here each StartQueryExecution's SQL (Trino, as sent) is
    run on a DuckDB database that stands in for the lake (the same relations:
    ``endpoints``, ``imported_segment_members``, ``events``, filled by the local
    adapters), and its rows are handed to moto as the query's result, with the column
    types Athena would report and values in Athena's text form. So an Athena adapter is
    exercised end to end (the SQL it sends, polling, paging, the header row, typing) on
    real results. ``queries`` holds every SQL text sent, in order.
    """

    client: Any
    database: Any
    queries: list[str]
    workgroup: str = ATHENA_WORKGROUP
    database_name: str = ATHENA_DATABASE


def _answer_from(database: Any, queries: list[str]) -> Callable[..., None]:
    def answer(params: dict[str, Any], **_: Any) -> None:
        sql = params["QueryString"]
        queries.append(sql)
        (statement,) = sqlglot.transpile(sql, read="trino", write="duckdb")
        cursor = database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        relation = cursor.sql(statement)
        columns = [
            (name, athena_type(str(kind)))
            for name, kind in zip(relation.columns, relation.types, strict=True)
        ]
        rows = [[athena_text(v) for v in row] for row in relation.fetchall()]
        queue_athena_result(columns, rows)

    return answer


@pytest.fixture
def athena_lake(
    tmp_path: Path, mocked_aws: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AthenaLake]:
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "lake")
    client = boto3.client("athena", region_name=REGION)
    client.create_work_group(Name=ATHENA_WORKGROUP, Configuration={})
    queries: list[str] = []
    client.meta.events.register(
        "before-parameter-build.athena.StartQueryExecution", _answer_from(database, queries)
    )
    paginate_athena_results(monkeypatch, ATHENA_PAGE_ROWS)
    yield AthenaLake(client, database, queries)
    database.close()


@pytest.fixture
def athena_result_queue(mocked_aws: None) -> Callable[..., None]:
    """:func:`queue_athena_result`, for suites that hand moto's Athena results themselves."""
    return queue_athena_result


@pytest.fixture
def athena_paging(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """:func:`paginate_athena_results` with this test's monkeypatch."""
    return lambda page_rows: paginate_athena_results(monkeypatch, page_rows)
