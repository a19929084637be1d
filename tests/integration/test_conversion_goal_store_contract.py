"""The ConversionGoalStore contract on both backends: goal documents versioned per scope
(a DuckDB table locally, the DynamoDB definitions table on AWS, on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from clarion.domain.common.errors import NotFoundError
from clarion.ports.analytics import ConversionGoalStore

REGION = "us-east-1"
TABLE = "test-definitions"


@pytest.fixture(params=["local", "aws"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversionGoalStore]:
    if request.param == "local":
        from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore
        from clarion.adapters.local.common.database import LocalDatabase

        database = LocalDatabase(tmp_path / "home")
        yield DuckDBConversionGoalStore(database)
        database.close()
        return
    request.getfixturevalue("mocked_aws")
    from clarion.adapters.aws.analytics.goal_store import DynamoDBConversionGoalStore
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(**definitions_table_spec(TABLE))
    yield DynamoDBConversionGoalStore(client, TABLE)


def _goals(scope: str, version: int, name: str = "purchase") -> dict[str, Any]:
    return {
        "Scope": scope,
        "Version": version,
        "Goals": [
            {
                "Name": name,
                "EventFilter": {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {"EventType": {"Values": ["app.install"]}},
                },
            }
        ],
    }


def test_versions_per_scope_and_the_latest(store: ConversionGoalStore):
    store.save_goals(_goals("campaign:c1", 1))
    store.save_goals(_goals("campaign:c1", 12, "installs"))
    store.save_goals(_goals("campaign:c1", 2, "late"))  # a late write of an older version
    store.save_goals(_goals("project", 1, "Zoë's"))

    assert store.get_goals("campaign:c1")["Goals"][0]["Name"] == "installs"
    assert store.get_goals("campaign:c1", 2)["Goals"][0]["Name"] == "late"
    assert store.get_goals("project")["Goals"][0]["Name"] == "Zoë's"
    assert [(d["Scope"], d["Version"]) for d in store.list_goals()] == [
        ("campaign:c1", 12),
        ("project", 1),
    ]


def test_missing_goals_are_not_found(store: ConversionGoalStore):
    store.save_goals(_goals("campaign:c1", 1))

    with pytest.raises(NotFoundError, match="conversion goals 'campaign:c2'"):
        store.get_goals("campaign:c2")
    with pytest.raises(NotFoundError):
        store.get_goals("campaign:c1", 3)
    assert [d["Scope"] for d in store.list_goals()] == ["campaign:c1"]


def test_a_bad_identity_is_refused(store: ConversionGoalStore):
    with pytest.raises(ValueError, match="Version"):
        store.save_goals(_goals("project", 0))
    with pytest.raises(ValueError, match="not a goals scope"):
        store.save_goals(_goals("segment:s1", 1))
    with pytest.raises(ValueError, match="Scope"):
        store.save_goals({"Version": 1, "Goals": []})
    assert store.list_goals() == []
