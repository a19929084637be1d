"""Message templates in DuckDB: the local TemplateRepository.

One row per template (type, name) holding ``MessageTemplate.to_record()`` JSON, all
versions included.
"""

from __future__ import annotations

import json

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.common.errors import NotFoundError
from clarion.domain.templates.model import MessageTemplate, TemplateType


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS message_templates ("
        "template_type VARCHAR NOT NULL, name VARCHAR NOT NULL, record VARCHAR NOT NULL, "
        "PRIMARY KEY (template_type, name))"
    )


class DuckDBTemplateRepository:
    """TemplateRepository on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def save_template(self, template: MessageTemplate) -> None:
        record = json.dumps(template.to_record(), separators=(",", ":"), ensure_ascii=False)
        self._database.cursor().execute(
            "INSERT INTO message_templates VALUES (?, ?, ?) "
            "ON CONFLICT (template_type, name) DO UPDATE SET record = excluded.record",
            [template.template_type.value, template.template_name, record],
        )

    def get_template(self, template_type: TemplateType, name: str) -> MessageTemplate:
        row = (
            self._database.cursor()
            .execute(
                "SELECT record FROM message_templates WHERE template_type = ? AND name = ?",
                [TemplateType(template_type).value, name],
            )
            .fetchone()
        )
        if row is None:
            raise NotFoundError("template", f"{name} ({template_type})")
        return MessageTemplate.from_record(json.loads(row[0]))

    def list_templates(self) -> list[MessageTemplate]:
        rows = (
            self._database.cursor()
            .execute("SELECT record FROM message_templates ORDER BY name, template_type")
            .fetchall()
        )
        return [MessageTemplate.from_record(json.loads(record)) for (record,) in rows]

    def delete_template(self, template_type: TemplateType, name: str) -> None:
        self.get_template(template_type, name)
        self._database.cursor().execute(
            "DELETE FROM message_templates WHERE template_type = ? AND name = ?",
            [TemplateType(template_type).value, name],
        )
