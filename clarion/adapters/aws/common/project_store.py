"""Projects and their small documents in the definitions table: the ``aws``
ProjectStore.

Items (the definitions table's ``Pk``/``Sk``):

- a project: ``Pk = "project"``, ``Sk = <app id>``, ``Document`` (the
  ApplicationResponse JSON); listing is one Query of ``Pk = "project"``;
- a document: ``Pk = "project#<app id>"``, ``Sk = "<kind>#<key>"``, ``Document``;
  a kind's documents are one Query with ``begins_with(Sk, "<kind>#")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from clarion.adapters.aws.common.dynamo import dumps

PROJECTS_PK = "project"
DOCUMENTS_PREFIX = "project#"


class DynamoDBProjectStore:
    """ProjectStore on the definitions table (module docstring)."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name

    def _query(self, pk: str, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = "Pk = :pk" + (" AND begins_with(Sk, :prefix)" if prefix else "")
        values: dict[str, Any] = {":pk": {"S": pk}}
        if prefix:
            values[":prefix"] = {"S": prefix}
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        )
        for page in pages:
            yield from page.get("Items", [])

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"Pk": {"S": pk}, "Sk": {"S": sk}},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else dict(json.loads(item["Document"]["S"]))

    def put_project(self, project: Mapping[str, Any]) -> None:
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "Pk": {"S": PROJECTS_PK},
                "Sk": {"S": str(project["Id"])},
                "Document": {"S": dumps(project)},
            },
        )

    def get_project(self, app_id: str) -> dict[str, Any] | None:
        return self._get(PROJECTS_PK, app_id)

    def list_projects(self) -> list[dict[str, Any]]:
        return [json.loads(item["Document"]["S"]) for item in self._query(PROJECTS_PK)]

    def delete_project(self, app_id: str) -> None:
        for item in list(self._query(DOCUMENTS_PREFIX + app_id)):
            self._dynamodb.delete_item(
                TableName=self._table, Key={"Pk": item["Pk"], "Sk": item["Sk"]}
            )
        self._dynamodb.delete_item(
            TableName=self._table, Key={"Pk": {"S": PROJECTS_PK}, "Sk": {"S": app_id}}
        )

    def put_document(self, app_id: str, kind: str, key: str, document: Mapping[str, Any]) -> None:
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "Pk": {"S": DOCUMENTS_PREFIX + app_id},
                "Sk": {"S": f"{kind}#{key}"},
                "Document": {"S": dumps(document)},
            },
        )

    def get_document(self, app_id: str, kind: str, key: str) -> dict[str, Any] | None:
        return self._get(DOCUMENTS_PREFIX + app_id, f"{kind}#{key}")

    def list_documents(self, app_id: str, kind: str) -> dict[str, dict[str, Any]]:
        prefix = f"{kind}#"
        return {
            item["Sk"]["S"][len(prefix) :]: json.loads(item["Document"]["S"])
            for item in self._query(DOCUMENTS_PREFIX + app_id, prefix)
        }

    def delete_document(self, app_id: str, kind: str, key: str) -> bool:
        response = self._dynamodb.delete_item(
            TableName=self._table,
            Key={"Pk": {"S": DOCUMENTS_PREFIX + app_id}, "Sk": {"S": f"{kind}#{key}"}},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in response
