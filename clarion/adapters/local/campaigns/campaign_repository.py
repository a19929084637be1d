"""Campaign versions and run records in DuckDB: the local CampaignRepository."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import VersionedDocuments, create_versions_table, dumps
from clarion.domain.common.errors import NotFoundError
from clarion.domain.common.stored import run_identity, version_identity


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    create_versions_table(connection, "campaigns")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaign_runs ("
        "run_id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, "
        "start_time VARCHAR, document VARCHAR NOT NULL)"
    )


class DuckDBCampaignRepository:
    """CampaignRepository on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database
        self._campaigns = VersionedDocuments(database, "campaigns", "campaign")

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        self._campaigns.save(*version_identity("campaign", campaign), campaign)

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        return self._campaigns.get(campaign_id, version)

    def list_campaign_versions(self, campaign_id: str) -> list[dict[str, Any]]:
        return self._campaigns.versions(campaign_id)

    def delete_campaign(self, campaign_id: str) -> None:
        self._campaigns.delete(campaign_id)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self._campaigns.list_latest()

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id, campaign_id = run_identity(run)
        self._database.cursor().execute(
            "INSERT INTO campaign_runs VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET campaign_id = excluded.campaign_id, "
            "start_time = excluded.start_time, document = excluded.document",
            [run_id, campaign_id, run.get("StartTime"), dumps(run)],
        )

    def get_run(self, run_id: str) -> dict[str, Any]:
        row = (
            self._database.cursor()
            .execute("SELECT document FROM campaign_runs WHERE run_id = ?", [run_id])
            .fetchone()
        )
        if row is None:
            raise NotFoundError("campaign run", run_id)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_runs(self, campaign_id: str) -> list[dict[str, Any]]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT document FROM campaign_runs WHERE campaign_id = ? "
                "ORDER BY start_time NULLS FIRST, run_id",
                [campaign_id],
            )
            .fetchall()
        )
        return [json.loads(document) for (document,) in rows]
