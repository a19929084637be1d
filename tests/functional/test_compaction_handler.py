"""Endpoint compaction: the statement the stack configures, run on (moto) Athena."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from clarion.adapters.aws.audience.endpoint_compactor import (
    AthenaEndpointCompactor,
    compaction_statement,
)
from clarion.adapters.aws.segments.audience_query import AthenaQueryError
from clarion.services.audience import CompactionResult, EndpointCompactionService
from infra.sql_files import render_sql
from lambdas._runtime import LazyBootstrap
from lambdas.compact_endpoints import handler as compaction_handler

REGION = "us-east-1"
WORKGROUP = "clarion-test"
DATABASE = "clarion_test"
SNAPSHOT_MS = 1767225600000


@pytest.fixture
def athena(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("athena", region_name=REGION)
        client.create_work_group(
            Name=WORKGROUP,
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/athena/"}},
        )
        yield client


def compact(runner: AthenaEndpointCompactor, snapshot_ms: int) -> CompactionResult:
    """One compaction at ``snapshot_ms`` through the service, on ``runner``."""
    return EndpointCompactionService(runner).compact(snapshot_ms=snapshot_ms)


def started_queries(client: Any) -> list[dict[str, Any]]:
    ids = client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def test_the_configured_statement_writes_a_snapshot_partition_of_the_live_endpoints() -> None:
    statement = compaction_statement(render_sql("compact_endpoints.sql"), SNAPSHOT_MS)

    assert statement.startswith("INSERT INTO endpoint_snapshot")
    assert f"deleted, {SNAPSHOT_MS}" in statement
    assert "FROM endpoint_latest" in statement
    assert "WHERE NOT deleted" in statement
    assert "{" not in statement


def test_compaction_starts_the_query_in_the_workgroup_and_database(athena: Any) -> None:
    runner = AthenaEndpointCompactor(
        athena, render_sql("compact_endpoints.sql"), workgroup=WORKGROUP, database=DATABASE
    )

    result = compact(runner, SNAPSHOT_MS)

    (query,) = started_queries(athena)
    assert query["QueryExecutionId"] == result.query_execution_id
    assert result.snapshot_ms == SNAPSHOT_MS
    assert query["Query"].startswith("INSERT INTO endpoint_snapshot")
    assert str(SNAPSHOT_MS) in query["Query"]
    assert query["QueryExecutionContext"]["Database"] == DATABASE
    assert query["WorkGroup"] == WORKGROUP


def test_a_failed_query_raises_with_athenas_reason() -> None:
    client = boto3.client(
        "athena",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    runner = AthenaEndpointCompactor(
        client,
        render_sql("compact_endpoints.sql"),
        workgroup=WORKGROUP,
        database=DATABASE,
        sleep=lambda _: None,
    )
    with Stubber(client) as stubber:
        stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        stubber.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Status": {
                        "State": "FAILED",
                        "StateChangeReason": "HIVE_PARTITION_SCHEMA_MISMATCH: bad partition",
                    },
                }
            },
        )
        with pytest.raises(AthenaQueryError) as failure:
            compact(runner, SNAPSHOT_MS)

    assert failure.value.query_execution_id == "q-1"
    assert failure.value.state == "FAILED"
    assert "HIVE_PARTITION_SCHEMA_MISMATCH" in str(failure.value)


def test_a_statement_without_the_snapshot_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="snapshot_ms"):
        compaction_statement("INSERT INTO endpoint_snapshot SELECT 1", SNAPSHOT_MS)


def test_the_lambda_handler_uses_the_environment(
    athena: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_BACKEND", "aws")
    monkeypatch.setenv("CLARION_ATHENA_WORKGROUP", WORKGROUP)
    monkeypatch.setenv("CLARION_GLUE_DATABASE", DATABASE)
    monkeypatch.setenv("CLARION_COMPACTION_SQL", render_sql("compact_endpoints.sql"))
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # A fresh container: the composition root is made from this test's environment.
    monkeypatch.setattr(compaction_handler, "bootstrap", LazyBootstrap())
    context = SimpleNamespace(
        function_name="compact_endpoints",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:compact",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: 900_000,
    )

    result = compaction_handler.handler({"source": "aws.events"}, context)

    (query,) = started_queries(athena)
    assert result["query_execution_id"] == query["QueryExecutionId"]
    assert str(result["snapshot_ms"]) in query["Query"]
