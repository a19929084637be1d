"""The CampaignAudienceQuery contract, on its one backend: Athena (moto). Locally a run
queries its audience in process (the AudienceQuery suite); only the campaign state
machine starts a query and polls it.

A starter must start the SQL exactly as written (a segment's SQL is up to 200,000 bytes:
nothing parses or rewrites it), in its workgroup and database, with the result location
it was given, and return the execution id at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
BUCKET = "test-campaign-audiences"
WORKGROUP = "campaign-wg"
DATABASE = "campaign_db"
OUTPUT = f"s3://{BUCKET}/athena-results/"


@pytest.fixture
def athena(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        client = boto3.client("athena", region_name=REGION)
        client.create_work_group(Name=WORKGROUP)
        yield client


def test_the_sql_starts_as_written_where_the_run_reads_it(athena: Any) -> None:
    from clarion.adapters.aws.campaigns import AthenaCampaignAudienceQuery

    sql = "SELECT id FROM endpoints WHERE channel_type IN ('EMAIL', 'it''s :x ?')" + (
        " OR id = 'x'" * 10_000
    )
    starter = AthenaCampaignAudienceQuery(athena, WORKGROUP, DATABASE, OUTPUT)

    query_id = starter.start(sql, "a" * 64)

    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Query"] == sql
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["QueryExecutionContext"]["Database"] == DATABASE
    assert execution["ResultConfiguration"]["OutputLocation"].startswith(OUTPUT)


def test_each_start_is_its_own_query(athena: Any) -> None:
    from clarion.adapters.aws.campaigns import AthenaCampaignAudienceQuery

    starter = AthenaCampaignAudienceQuery(athena, WORKGROUP, DATABASE, OUTPUT)

    first = starter.start("SELECT 1", "a" * 64)
    second = starter.start("SELECT 2", "b" * 64)

    assert first != second
