"""Message templates in the DynamoDB definitions table: the ``aws`` TemplateRepository.

One item per template: ``Pk = "template#<TYPE>#<name>"``, ``Sk = "template"``,
``Document`` (S) the ``MessageTemplate.to_record()`` JSON with every version, or, when
that JSON is over :data:`COMPRESS_OVER_BYTES`, ``DocumentGzip`` (B) the same JSON
gzipped instead (a DynamoDB item holds at most 400 KB, and a large email with a few
versions passes that; HTML compresses several times over).
``list_templates`` is a Scan filtered on the ``template#`` prefix (templates number in
the hundreds).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from clarion.domain.common.errors import NotFoundError
from clarion.domain.templates.model import MessageTemplate, TemplateType

TEMPLATE_PREFIX = "template#"
TEMPLATE_SK = "template"
COMPRESS_OVER_BYTES = 64 * 1024


def _key(template_type: TemplateType, name: str) -> dict[str, Any]:
    return {
        "Pk": {"S": f"{TEMPLATE_PREFIX}{TemplateType(template_type).value}#{name}"},
        "Sk": {"S": TEMPLATE_SK},
    }


def _document_attributes(template: MessageTemplate) -> dict[str, Any]:
    document = json.dumps(template.to_record(), separators=(",", ":"), ensure_ascii=False)
    encoded = document.encode("utf-8")
    if len(encoded) > COMPRESS_OVER_BYTES:
        return {"DocumentGzip": {"B": gzip.compress(encoded, mtime=0)}}
    return {"Document": {"S": document}}


def _template_of(item: dict[str, Any]) -> MessageTemplate:
    if "DocumentGzip" in item:
        text = gzip.decompress(item["DocumentGzip"]["B"]).decode("utf-8")
    else:
        text = item["Document"]["S"]
    return MessageTemplate.from_record(json.loads(text))


class DynamoDBTemplateRepository:
    """TemplateRepository on the definitions table (module docstring)."""

    def __init__(self, dynamodb_client: Any, definitions_table: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = definitions_table

    def save_template(self, template: MessageTemplate) -> None:
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                **_key(template.template_type, template.template_name),
                **_document_attributes(template),
            },
        )

    def get_template(self, template_type: TemplateType, name: str) -> MessageTemplate:
        item = self._dynamodb.get_item(
            TableName=self._table, Key=_key(template_type, name), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError("template", f"{name} ({TemplateType(template_type).value})")
        return _template_of(item)

    def list_templates(self) -> list[MessageTemplate]:
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="begins_with(Pk, :prefix) AND Sk = :sk",
            ExpressionAttributeValues={
                ":prefix": {"S": TEMPLATE_PREFIX},
                ":sk": {"S": TEMPLATE_SK},
            },
            ConsistentRead=True,
        )
        templates = [_template_of(item) for page in pages for item in page.get("Items", [])]
        return sorted(templates, key=lambda t: (t.template_name, t.template_type.value))

    def delete_template(self, template_type: TemplateType, name: str) -> None:
        self.get_template(template_type, name)
        self._dynamodb.delete_item(TableName=self._table, Key=_key(template_type, name))
