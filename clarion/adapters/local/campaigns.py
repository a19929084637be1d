"""Campaign versions and run records in DuckDB: the local CampaignRepository."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from clarion.adapters.local.database import LocalDatabase, schema
from clarion.domain.errors import NotFoundError


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaigns ("
        "id VARCHAR NOT NULL, version INTEGER NOT NULL, document VARCHAR NOT NULL, "
        "PRIMARY KEY (id, version))"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaign_runs ("
        "run_id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, "
        "start_time VARCHAR, document VARCHAR NOT NULL)"
    )


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)


class DuckDBCampaignRepository:
    """CampaignRepository on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        campaign_id, version = campaign.get("Id"), campaign.get("Version")
        if not isinstance(campaign_id, str) or not campaign_id:
            raise ValueError("campaign Id: is required (a non-empty string)")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"campaign {campaign_id!r} Version: must be a positive integer")
        self._database.cursor().execute(
            "INSERT INTO campaigns VALUES (?, ?, ?) "
            "ON CONFLICT (id, version) DO UPDATE SET document = excluded.document",
            [campaign_id, version, _dumps(campaign)],
        )

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        cursor = self._database.cursor()
        if version is None:
            row = cursor.execute(
                "SELECT document FROM campaigns WHERE id = ? ORDER BY version DESC LIMIT 1",
                [campaign_id],
            ).fetchone()
        else:
            row = cursor.execute(
                "SELECT document FROM campaigns WHERE id = ? AND version = ?",
                [campaign_id, version],
            ).fetchone()
        if row is None:
            key = campaign_id if version is None else f"{campaign_id} version {version}"
            raise NotFoundError("campaign", key)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_campaigns(self) -> list[dict[str, Any]]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT document FROM campaigns "
                "QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1 "
                "ORDER BY id"
            )
            .fetchall()
        )
        return [json.loads(document) for (document,) in rows]

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id, campaign_id = run.get("RunId"), run.get("CampaignId")
        if not isinstance(run_id, str) or not run_id:
            raise ValueError("run RunId: is required (a non-empty string)")
        if not isinstance(campaign_id, str) or not campaign_id:
            raise ValueError(f"run {run_id!r} CampaignId: is required (a non-empty string)")
        self._database.cursor().execute(
            "INSERT INTO campaign_runs VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET campaign_id = excluded.campaign_id, "
            "start_time = excluded.start_time, document = excluded.document",
            [run_id, campaign_id, run.get("StartTime"), _dumps(run)],
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
