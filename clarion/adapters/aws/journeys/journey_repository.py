"""Journeys, their runs and control records in the DynamoDB definitions table (the
``aws`` JourneyRepository).

Items (``Pk``/``Sk`` strings, the definitions table's key schema):

- a journey: ``Pk = "journey#<id>"``, ``Sk = "journey"``, ``Document`` (S, the
  JourneyResponse JSON); another project's keys start with its prefix
  (``"app#<app id>#journey#<id>"``), as its campaigns' do;
- a run: ``Pk = "journey#<id>"``, ``Sk = "run#<RunId>"``, ``Document``;
- the control record: ``Pk = "journey#<id>"``, ``Sk = "control"``, ``Document``.

Listing journeys is a Scan filtered on ``Sk = "journey"``: definitions number in the
hundreds, as for segments and campaigns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clarion.adapters.aws.common.dynamo import dumps
from clarion.domain.common.errors import NotFoundError

JOURNEY_PREFIX = "journey#"
JOURNEY_SK = "journey"
CONTROL_SK = "control"
RUN_PREFIX = "run#"


def _required(document: Mapping[str, Any], name: str, what: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} {name}: is required (a non-empty string)")
    return value


class DynamoDBJourneyRepository:
    """JourneyRepository on the definitions table (module docstring)."""

    def __init__(
        self, dynamodb_client: Any, definitions_table: str, *, key_prefix: str = ""
    ) -> None:
        self._dynamodb = dynamodb_client
        self._table = definitions_table
        # Another project's journeys are keyed with its prefix (``app#<id>#journey#``).
        self._journey_prefix = key_prefix + JOURNEY_PREFIX

    def _put(self, journey_id: str, sort_key: str, document: Mapping[str, Any]) -> None:
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "Pk": {"S": self._journey_prefix + journey_id},
                "Sk": {"S": sort_key},
                "Document": {"S": dumps(document)},
            },
        )

    def _get(self, journey_id: str, sort_key: str) -> dict[str, Any] | None:
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"Pk": {"S": self._journey_prefix + journey_id}, "Sk": {"S": sort_key}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        document: dict[str, Any] = json.loads(item["Document"]["S"])
        return document

    def _items(self, journey_id: str) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="Pk = :pk",
            ExpressionAttributeValues={":pk": {"S": self._journey_prefix + journey_id}},
            ConsistentRead=True,
        )
        return [item for page in pages for item in page.get("Items", [])]

    def save_journey(self, journey: Mapping[str, Any]) -> None:
        self._put(_required(journey, "Id", "journey"), JOURNEY_SK, journey)

    def get_journey(self, journey_id: str) -> dict[str, Any]:
        document = self._get(journey_id, JOURNEY_SK)
        if document is None:
            raise NotFoundError("journey", journey_id)
        return document

    def list_journeys(self) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="Sk = :sk AND begins_with(Pk, :prefix)",
            ExpressionAttributeValues={
                ":sk": {"S": JOURNEY_SK},
                ":prefix": {"S": self._journey_prefix},
            },
            ConsistentRead=True,
        )
        documents = [
            json.loads(item["Document"]["S"]) for page in pages for item in page.get("Items", [])
        ]
        return sorted(documents, key=lambda document: str(document.get("Id")))

    def delete_journey(self, journey_id: str) -> None:
        for item in self._items(journey_id):
            self._dynamodb.delete_item(
                TableName=self._table, Key={"Pk": item["Pk"], "Sk": item["Sk"]}
            )

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id = _required(run, "RunId", "journey run")
        journey_id = _required(run, "JourneyId", f"journey run {run_id!r}")
        self._put(journey_id, RUN_PREFIX + run_id, run)

    def get_run(self, journey_id: str, run_id: str) -> dict[str, Any]:
        document = self._get(journey_id, RUN_PREFIX + run_id)
        if document is None:
            raise NotFoundError("journey run", run_id)
        return document

    def list_runs(self, journey_id: str) -> list[dict[str, Any]]:
        runs = [
            json.loads(item["Document"]["S"])
            for item in self._items(journey_id)
            if item["Sk"]["S"].startswith(RUN_PREFIX)
        ]
        return sorted(runs, key=lambda run: (str(run.get("CreationTime") or ""), run["RunId"]))

    def save_control(self, journey_id: str, control: Mapping[str, Any]) -> None:
        self._put(journey_id, CONTROL_SK, control)

    def get_control(self, journey_id: str) -> dict[str, Any]:
        return self._get(journey_id, CONTROL_SK) or {}
