"""The ChurnQueryStarter contract, on its one backend: Athena (moto). Locally nothing
starts a query without waiting: the features SQL runs in process on DuckDB (the
ColumnarAnalytics suite).

A query starter must start the SQL with its parameters bound as literals, in its
workgroup and database, return at once with the execution id, and say where the
finished query's CSV result is: where the configured output location, else the
workgroup's, puts ``<id>.csv``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"
BUCKET = "test-churn-queries"
WORKGROUP = "churn-wg"
DATABASE = "churn_db"
WORKGROUP_RESULTS = f"s3://{BUCKET}/workgroup-results/"


@pytest.fixture
def clients(aws_credentials: None) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        athena = boto3.client("athena", region_name=REGION)
        athena.create_work_group(
            Name=WORKGROUP,
            Configuration={"ResultConfiguration": {"OutputLocation": WORKGROUP_RESULTS}},
        )
        yield {"athena": athena, "s3": s3}


def _starter(clients: dict[str, Any], output: str | None = None) -> Any:
    from clarion.adapters.aws.churn.query_starter import AthenaQueryStarter

    return AthenaQueryStarter(clients["athena"], WORKGROUP, DATABASE, output)


def test_the_sql_starts_with_its_parameters_bound(clients: dict[str, Any]) -> None:
    starter = _starter(clients)

    query_id = starter.start(
        "SELECT :cutoff_ms AS cutoff, :name AS name", {"cutoff_ms": 1700000000000, "name": "O'B"}
    )

    execution = clients["athena"].get_query_execution(QueryExecutionId=query_id)
    execution = execution["QueryExecution"]
    assert execution["Query"] == "SELECT 1700000000000 AS cutoff, 'O''B' AS name"
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["QueryExecutionContext"] == {"Database": DATABASE}


def test_the_result_is_in_the_workgroup_location_by_default(clients: dict[str, Any]) -> None:
    starter = _starter(clients)
    query_id = starter.start("SELECT 1", {})

    assert starter.output_location(query_id) == f"{WORKGROUP_RESULTS}{query_id}.csv"


def test_a_configured_output_location_wins(clients: dict[str, Any]) -> None:
    starter = _starter(clients, f"s3://{BUCKET}/churn-results/")
    query_id = starter.start("SELECT 1", {})

    assert starter.output_location(query_id) == f"s3://{BUCKET}/churn-results/{query_id}.csv"


def test_the_result_location_holds_the_query_csv(clients: dict[str, Any]) -> None:
    from clarion.adapters.aws.churn.files import S3ChurnFiles

    rows = [["id", "split"], ["ep-1", "score"]]
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={
            "account_id": DEFAULT_ACCOUNT_ID,
            "region": REGION,
            "results": [
                {
                    "rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
                    "column_info": [{"Name": c, "Type": "varchar"} for c in rows[0]],
                }
            ],
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    # moto writes the result object only where the start request names a location
    # (Athena writes it to the workgroup's location too).
    starter = _starter(clients, f"s3://{BUCKET}/churn-results/")
    query_id = starter.start("SELECT id, split FROM features", {})

    text = S3ChurnFiles(clients["s3"], BUCKET).get_text(starter.output_location(query_id))

    assert [line.replace('"', "").split(",") for line in text.splitlines()] == rows
