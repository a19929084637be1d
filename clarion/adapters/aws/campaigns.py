"""Campaigns and campaign runs in the DynamoDB definitions table (the ``aws``
CampaignRepository), and the Step Functions run starter.

Items (same table and key schema as segments, ``Pk``/``Sk`` strings):

- a campaign version: ``Pk = "campaign#<id>"``, ``Sk = "v#<version, 10 digits>"``,
  ``Version`` (N), ``Document`` (S, the CampaignResponse JSON); and a ``latest`` item
  (``Sk = "latest"``) written conditionally so it never moves back;
- a run: ``Pk = "campaign#<id>"``, ``Sk = "run#<StartTime>#<RunId>"``, ``Document``;
  plus a pointer ``Pk = "run#<RunId>"``, ``Sk = "run"`` holding the same document, so a
  run reads by its id alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from clarion.domain.errors import NotFoundError

CAMPAIGN_PREFIX = "campaign#"
RUN_PREFIX = "run#"
LATEST = "latest"


def _version_key(version: int) -> str:
    return f"v#{version:010d}"


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


class DynamoDBCampaignRepository:
    """CampaignRepository on the definitions table (module docstring)."""

    def __init__(self, dynamodb_client: Any, definitions_table: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = definitions_table

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        campaign_id, version = campaign.get("Id"), campaign.get("Version")
        if not isinstance(campaign_id, str) or not campaign_id:
            raise ValueError("campaign Id: is required (a non-empty string)")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"campaign {campaign_id!r} Version: must be a positive integer")
        attributes = {
            "Pk": {"S": CAMPAIGN_PREFIX + campaign_id},
            "Version": {"N": str(version)},
            "Document": {"S": _dumps(campaign)},
        }
        self._dynamodb.put_item(
            TableName=self._table, Item={**attributes, "Sk": {"S": _version_key(version)}}
        )
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={**attributes, "Sk": {"S": LATEST}},
                ConditionExpression="attribute_not_exists(Pk) OR Version <= :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        sort_key = LATEST if version is None else _version_key(version)
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"Pk": {"S": CAMPAIGN_PREFIX + campaign_id}, "Sk": {"S": sort_key}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            key = campaign_id if version is None else f"{campaign_id} version {version}"
            raise NotFoundError("campaign", key)
        document: dict[str, Any] = json.loads(item["Document"]["S"])
        return document

    def list_campaigns(self) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="Sk = :latest AND begins_with(Pk, :prefix)",
            ExpressionAttributeValues={
                ":latest": {"S": LATEST},
                ":prefix": {"S": CAMPAIGN_PREFIX},
            },
            ConsistentRead=True,
        )
        campaigns = [
            json.loads(item["Document"]["S"]) for page in pages for item in page.get("Items", [])
        ]
        return sorted(campaigns, key=lambda c: str(c.get("Id")))

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id, campaign_id = run.get("RunId"), run.get("CampaignId")
        if not isinstance(run_id, str) or not run_id:
            raise ValueError("run RunId: is required (a non-empty string)")
        if not isinstance(campaign_id, str) or not campaign_id:
            raise ValueError(f"run {run_id!r} CampaignId: is required (a non-empty string)")
        document = {"S": _dumps(run)}
        self._dynamodb.put_item(
            TableName=self._table,
            Item={"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": "run"}, "Document": document},
        )
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "Pk": {"S": CAMPAIGN_PREFIX + campaign_id},
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
                ":pk": {"S": CAMPAIGN_PREFIX + campaign_id},
                ":run": {"S": "run#"},
            },
            ConsistentRead=True,
        )
        return [json.loads(item["Document"]["S"]) for page in pages for item in page["Items"]]


class StepFunctionsRunStarter:
    """Starts the campaign-run state machine for a planned run.

    The execution input is ``{"RunId": ..., "CampaignId": ...}``; the execution name is
    the run id, so starting the same run twice is refused by Step Functions rather than
    run twice.
    """

    def __init__(self, stepfunctions_client: Any, state_machine_arn: str) -> None:
        if not state_machine_arn:
            raise ValueError(
                "the campaign state machine ARN is not set (CLARION_CAMPAIGN_STATE_MACHINE_ARN)"
            )
        self._sfn = stepfunctions_client
        self._arn = state_machine_arn

    def start_run(self, run: Mapping[str, Any]) -> str:
        response = self._sfn.start_execution(
            stateMachineArn=self._arn,
            name=str(run["RunId"])[:80],
            input=json.dumps({"RunId": run["RunId"], "CampaignId": run["CampaignId"]}),
        )
        return str(response["executionArn"])
