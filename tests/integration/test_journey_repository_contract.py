"""The JourneyRepository contract: journeys, runs and control records behave the same
in DuckDB and in the DynamoDB definitions table (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import NotFoundError
from clarion.ports.journeys import JourneyRepository

REGION = "us-east-1"
TABLE = "test-definitions"


@pytest.fixture(params=["local", "aws"])
def repository(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[JourneyRepository]:
    if request.param == "local":
        from clarion.adapters.local.common.database import LocalDatabase
        from clarion.adapters.local.journeys import DuckDBJourneyRepository

        database = LocalDatabase(tmp_path / "home")
        yield DuckDBJourneyRepository(database)
        database.close()
        return
    from clarion.adapters.aws.journeys import DynamoDBJourneyRepository
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**definitions_table_spec(TABLE))
        # A campaign in the same table must not be listed as a journey.
        client.put_item(
            TableName=TABLE,
            Item={"Pk": {"S": "campaign#c1"}, "Sk": {"S": "latest"}, "Document": {"S": "{}"}},
        )
        yield DynamoDBJourneyRepository(client, TABLE)


def test_journeys_are_saved_replaced_listed_and_deleted(repository: JourneyRepository):
    repository.save_journey({"Id": "j2", "Name": "two", "ApplicationId": "a"})
    repository.save_journey({"Id": "j1", "Name": "one", "ApplicationId": "a"})
    repository.save_journey({"Id": "j1", "Name": "Zoë", "ApplicationId": "a", "State": "ACTIVE"})

    assert repository.get_journey("j1")["Name"] == "Zoë"
    assert [j["Id"] for j in repository.list_journeys()] == ["j1", "j2"]

    repository.save_run(
        {"JourneyId": "j1", "RunId": "r1", "CreationTime": "2025-01-01T00:00:00.000Z"}
    )
    repository.save_control("j1", {"Pauses": [[1, 2]]})
    repository.delete_journey("j1")

    with pytest.raises(NotFoundError):
        repository.get_journey("j1")
    assert repository.list_runs("j1") == []
    assert repository.get_control("j1") == {}
    assert [j["Id"] for j in repository.list_journeys()] == ["j2"]
    repository.delete_journey("nope")  # no error


def test_runs_are_kept_per_journey_oldest_first(repository: JourneyRepository):
    repository.save_run(
        {
            "JourneyId": "j1",
            "RunId": "b",
            "CreationTime": "2025-02-01T00:00:00.000Z",
            "Status": "RUNNING",
        }
    )
    repository.save_run(
        {"JourneyId": "j1", "RunId": "a", "CreationTime": "2025-03-01T00:00:00.000Z"}
    )
    repository.save_run(
        {"JourneyId": "j2", "RunId": "c", "CreationTime": "2025-01-01T00:00:00.000Z"}
    )
    repository.save_run(
        {
            "JourneyId": "j1",
            "RunId": "b",
            "CreationTime": "2025-02-01T00:00:00.000Z",
            "Status": "COMPLETED",
        }
    )

    assert [r["RunId"] for r in repository.list_runs("j1")] == ["b", "a"]
    assert repository.get_run("j1", "b")["Status"] == "COMPLETED"
    with pytest.raises(NotFoundError):
        repository.get_run("j2", "b")


def test_the_control_record(repository: JourneyRepository):
    assert repository.get_control("j1") == {}
    repository.save_control("j1", {"Pauses": [[1, 2]], "PausedAt": None})
    assert repository.get_control("j1") == {"Pauses": [[1, 2]], "PausedAt": None}


@pytest.mark.parametrize(
    "document",
    [{"Name": "no id"}, {"Id": "", "Name": "empty"}],
)
def test_a_journey_without_an_id_is_refused(
    repository: JourneyRepository, document: dict[str, str]
):
    with pytest.raises(ValueError, match="Id"):
        repository.save_journey(document)


def test_a_run_without_its_ids_is_refused(repository: JourneyRepository):
    with pytest.raises(ValueError, match="JourneyId"):
        repository.save_run({"RunId": "r1"})
