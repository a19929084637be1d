"""Versioned JSON documents in DuckDB, the local side of the definitions table: one row
per version of a segment or a campaign, ``(id, version, document)``; the latest version
is the highest one saved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.common.errors import NotFoundError


def dumps(value: Mapping[str, Any]) -> str:
    """Compact JSON of a document, as the ``document`` column holds it."""
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


def create_versions_table(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        "id VARCHAR NOT NULL, version INTEGER NOT NULL, document VARCHAR NOT NULL, "
        "PRIMARY KEY (id, version))"
    )


class VersionedDocuments:
    """The versions of one kind of document (``kind`` names it in NotFoundError) in
    ``table`` (created with :func:`create_versions_table`)."""

    def __init__(self, database: LocalDatabase, table: str, kind: str) -> None:
        self._database = database
        self._table = table
        self._kind = kind

    def save(self, document_id: str, version: int, document: Mapping[str, Any]) -> None:
        self._database.cursor().execute(
            f"INSERT INTO {self._table} VALUES (?, ?, ?) "
            "ON CONFLICT (id, version) DO UPDATE SET document = excluded.document",
            [document_id, version, dumps(document)],
        )

    def get(self, document_id: str, version: int | None = None) -> dict[str, Any]:
        """One version, or the latest. Raises NotFoundError."""
        cursor = self._database.cursor()
        if version is None:
            row = cursor.execute(
                f"SELECT document FROM {self._table} WHERE id = ? ORDER BY version DESC LIMIT 1",
                [document_id],
            ).fetchone()
        else:
            row = cursor.execute(
                f"SELECT document FROM {self._table} WHERE id = ? AND version = ?",
                [document_id, version],
            ).fetchone()
        if row is None:
            key = document_id if version is None else f"{document_id} version {version}"
            raise NotFoundError(self._kind, key)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_latest(self) -> list[dict[str, Any]]:
        """The latest version of every document, ordered by id."""
        rows = (
            self._database.cursor()
            .execute(
                f"SELECT document FROM {self._table} "
                "QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1 "
                "ORDER BY id"
            )
            .fetchall()
        )
        return [json.loads(document) for (document,) in rows]

    def versions(self, document_id: str) -> list[dict[str, Any]]:
        """Every version of one document, oldest first. Raises NotFoundError."""
        rows = (
            self._database.cursor()
            .execute(
                f"SELECT document FROM {self._table} WHERE id = ? ORDER BY version",
                [document_id],
            )
            .fetchall()
        )
        if not rows:
            raise NotFoundError(self._kind, document_id)
        return [json.loads(document) for (document,) in rows]

    def delete(self, document_id: str) -> None:
        """Remove every version of one document. Raises NotFoundError."""
        rows = (
            self._database.cursor()
            .execute(f"DELETE FROM {self._table} WHERE id = ? RETURNING id", [document_id])
            .fetchall()
        )
        if not rows:
            raise NotFoundError(self._kind, document_id)
