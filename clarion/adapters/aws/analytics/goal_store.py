"""Conversion goal documents in the DynamoDB definitions table: the ``aws``
ConversionGoalStore.

Items as for segments and campaigns (:mod:`clarion.adapters.aws.common.dynamo`):
``Pk = "goals#<scope>"`` (``goals#project``, ``goals#campaign:<id>``), ``Sk = "v#<version,
10 digits>"`` per version and ``Sk = "latest"`` for the highest one saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.adapters.aws.common.dynamo import VersionedDocuments
from clarion.domain.analytics.goals import goals_identity

GOALS_PREFIX = "goals#"


class DynamoDBConversionGoalStore:
    """ConversionGoalStore on the definitions table (module docstring)."""

    def __init__(self, dynamodb_client: Any, definitions_table: str) -> None:
        self._documents = VersionedDocuments(
            dynamodb_client, definitions_table, GOALS_PREFIX, "conversion goals"
        )

    def save_goals(self, document: Mapping[str, Any]) -> None:
        self._documents.save(*goals_identity(document), document)

    def get_goals(self, scope: str, version: int | None = None) -> dict[str, Any]:
        return self._documents.get(scope, version)

    def list_goals(self) -> list[dict[str, Any]]:
        # The shared lister orders by Id; goals documents are keyed by Scope.
        return sorted(self._documents.list_latest(), key=lambda d: str(d.get("Scope")))
