"""What the DynamoDB adapters share: ``Pk``/``Sk`` table specs and versioned JSON
documents in the definitions table.

A versioned document (a segment, a campaign) is stored as one item per version,
``Pk = "<prefix><id>"``, ``Sk = "v#<version>"`` with the version zero-padded to 10
digits (so versions sort as strings), ``Version`` (N) and ``Document`` (S, the JSON);
and one ``latest`` item (``Sk = "latest"``) with the same attributes as the highest
version saved, written conditionally so that saves arriving out of order never move it
back. Listing is a Scan filtered on ``Sk = "latest"`` and ``begins_with(Pk, prefix)``:
definitions number in the hundreds, not millions, so a filtered Scan is cheaper than an
index to maintain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from clarion.domain.common.errors import NotFoundError

LATEST = "latest"


def pk_sk_table_spec(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for an on-demand table keyed by ``Pk`` (S) and ``Sk`` (S)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": "Pk", "AttributeType": "S"},
            {"AttributeName": "Sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "Pk", "KeyType": "HASH"},
            {"AttributeName": "Sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def version_key(version: int) -> str:
    """The sort key of one version."""
    return f"v#{version:010d}"


def dumps(value: Mapping[str, Any]) -> str:
    """Compact JSON of a document, as the ``Document`` attribute holds it."""
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


def conditional_check_failed(exc: ClientError) -> bool:
    return bool(exc.response["Error"]["Code"] == "ConditionalCheckFailedException")


class VersionedDocuments:
    """Versioned JSON documents of one kind in the definitions table (module docstring).

    Parameters
    ----------
    dynamodb_client
        A boto3 low-level DynamoDB client.
    table_name
        The definitions table.
    prefix
        The partition key prefix of this kind (``"segment#"``).
    kind
        The name NotFoundError gives (``"segment"``).
    """

    def __init__(self, dynamodb_client: Any, table_name: str, prefix: str, kind: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name
        self._prefix = prefix
        self._kind = kind

    def save(self, document_id: str, version: int, document: Mapping[str, Any]) -> None:
        """Store one version, and make it the latest unless a higher version exists."""
        attributes = {
            "Pk": {"S": self._prefix + document_id},
            "Version": {"N": str(version)},
            "Document": {"S": dumps(document)},
        }
        self._dynamodb.put_item(
            TableName=self._table, Item={**attributes, "Sk": {"S": version_key(version)}}
        )
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={**attributes, "Sk": {"S": LATEST}},
                ConditionExpression="attribute_not_exists(Pk) OR Version <= :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as exc:
            if not conditional_check_failed(exc):
                raise

    def get(self, document_id: str, version: int | None = None) -> dict[str, Any]:
        """One version, or the latest. Raises NotFoundError."""
        sort_key = LATEST if version is None else version_key(version)
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"Pk": {"S": self._prefix + document_id}, "Sk": {"S": sort_key}},
            ProjectionExpression="#doc",
            ExpressionAttributeNames={"#doc": "Document"},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            key = document_id if version is None else f"{document_id} version {version}"
            raise NotFoundError(self._kind, key)
        document: dict[str, Any] = json.loads(item["Document"]["S"])
        return document

    def list_latest(self) -> list[dict[str, Any]]:
        """The latest version of every document of this kind, ordered by ``Id``."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="Sk = :latest AND begins_with(Pk, :prefix)",
            ProjectionExpression="#doc",
            ExpressionAttributeNames={"#doc": "Document"},
            ExpressionAttributeValues={":latest": {"S": LATEST}, ":prefix": {"S": self._prefix}},
            ConsistentRead=True,
        )
        documents = [
            json.loads(item["Document"]["S"]) for page in pages for item in page.get("Items", [])
        ]
        return sorted(documents, key=lambda document: str(document.get("Id")))

    def _version_items(self, document_id: str) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="Pk = :pk AND begins_with(Sk, :v)",
            ExpressionAttributeValues={
                ":pk": {"S": self._prefix + document_id},
                ":v": {"S": "v#"},
            },
            ConsistentRead=True,
        )
        return [item for page in pages for item in page.get("Items", [])]

    def versions(self, document_id: str) -> list[dict[str, Any]]:
        """Every version of one document, oldest first. Raises NotFoundError."""
        items = self._version_items(document_id)
        if not items:
            raise NotFoundError(self._kind, document_id)
        return [json.loads(item["Document"]["S"]) for item in items]

    def delete(self, document_id: str) -> None:
        """Remove every version and the latest item. Raises NotFoundError."""
        items = self._version_items(document_id)
        if not items:
            raise NotFoundError(self._kind, document_id)
        keys = [item["Sk"]["S"] for item in items] + [LATEST]
        for sort_key in keys:
            self._dynamodb.delete_item(
                TableName=self._table,
                Key={"Pk": {"S": self._prefix + document_id}, "Sk": {"S": sort_key}},
            )
