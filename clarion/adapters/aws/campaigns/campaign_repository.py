"""Campaigns and campaign runs in the DynamoDB definitions table (the ``aws``
CampaignRepository).

Items (same table and key schema as segments, ``Pk``/``Sk`` strings):

- a campaign version: ``Pk = "campaign#<id>"``, ``Sk = "v#<version, 10 digits>"``,
  ``Version`` (N), ``Document`` (S, the CampaignResponse JSON); and a ``latest`` item
  (``Sk = "latest"``) written conditionally so it never moves back;
- a run: ``Pk = "campaign#<id>"``, ``Sk = "run#<StartTime>#<RunId>"``, ``Document``;
  plus a pointer ``Pk = "run#<RunId>"``, ``Sk = "run"`` holding the same document, so a
  run reads by its id alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clarion.adapters.aws.common.dynamo import VersionedDocuments, dumps
from clarion.domain.common.errors import NotFoundError
from clarion.domain.common.stored import run_identity, version_identity

CAMPAIGN_PREFIX = "campaign#"
RUN_PREFIX = "run#"


class DynamoDBCampaignRepository:
    """CampaignRepository on the definitions table (module docstring)."""

    def __init__(
        self, dynamodb_client: Any, definitions_table: str, *, key_prefix: str = ""
    ) -> None:
        self._dynamodb = dynamodb_client
        self._table = definitions_table
        # A project other than the default one keeps its campaigns under its own prefix.
        self._campaign_prefix = key_prefix + CAMPAIGN_PREFIX
        self._documents = VersionedDocuments(
            dynamodb_client, definitions_table, self._campaign_prefix, "campaign"
        )

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        self._documents.save(*version_identity("campaign", campaign), campaign)

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        return self._documents.get(campaign_id, version)

    def list_campaign_versions(self, campaign_id: str) -> list[dict[str, Any]]:
        return self._documents.versions(campaign_id)

    def delete_campaign(self, campaign_id: str) -> None:
        self._documents.delete(campaign_id)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._documents.list_latest()

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id, campaign_id = run_identity(run)
        document = {"S": dumps(run)}
        self._dynamodb.put_item(
            TableName=self._table,
            Item={"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": "run"}, "Document": document},
        )
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "Pk": {"S": self._campaign_prefix + campaign_id},
                "Sk": {"S": f"run#{run.get('StartTime') or ''}#{run_id}"},
                "Document": document,
            },
        )

    def get_run(self, run_id: str) -> dict[str, Any]:
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": "run"}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            raise NotFoundError("campaign run", run_id)
        document: dict[str, Any] = json.loads(item["Document"]["S"])
        return document

    def list_runs(self, campaign_id: str) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="Pk = :pk AND begins_with(Sk, :run)",
            ExpressionAttributeValues={
                ":pk": {"S": self._campaign_prefix + campaign_id},
                ":run": {"S": "run#"},
            },
            ConsistentRead=True,
        )
        return [json.loads(item["Document"]["S"]) for page in pages for item in page["Items"]]
