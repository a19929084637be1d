"""Conversion goal documents in DuckDB: the local ConversionGoalStore (one row per scope
and version, as segments and campaigns are kept)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import VersionedDocuments, create_versions_table
from clarion.domain.analytics.goals import goals_identity


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    create_versions_table(connection, "conversion_goals")


class DuckDBConversionGoalStore:
    """ConversionGoalStore on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._documents = VersionedDocuments(database, "conversion_goals", "conversion goals")

    def save_goals(self, document: Mapping[str, Any]) -> None:
        self._documents.save(*goals_identity(document), document)

    def get_goals(self, scope: str, version: int | None = None) -> dict[str, Any]:
        return self._documents.get(scope, version)

    def list_goals(self) -> list[dict[str, Any]]:
        return self._documents.list_latest()
