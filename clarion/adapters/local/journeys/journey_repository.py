"""Journeys, their runs and control records in DuckDB: the local JourneyRepository."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import dumps
from clarion.domain.common.errors import NotFoundError


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS journeys (id VARCHAR PRIMARY KEY, document VARCHAR NOT NULL)"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS journey_runs ("
        "journey_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, creation_time VARCHAR, "
        "document VARCHAR NOT NULL, PRIMARY KEY (journey_id, run_id))"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS journey_controls ("
        "journey_id VARCHAR PRIMARY KEY, document VARCHAR NOT NULL)"
    )


def _required(document: Mapping[str, Any], name: str, what: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} {name}: is required (a non-empty string)")
    return value


class DuckDBJourneyRepository:
    """JourneyRepository on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def save_journey(self, journey: Mapping[str, Any]) -> None:
        journey_id = _required(journey, "Id", "journey")
        self._database.cursor().execute(
            "INSERT INTO journeys VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET document = excluded.document",
            [journey_id, dumps(journey)],
        )

    def get_journey(self, journey_id: str) -> dict[str, Any]:
        row = (
            self._database.cursor()
            .execute("SELECT document FROM journeys WHERE id = ?", [journey_id])
            .fetchone()
        )
        if row is None:
            raise NotFoundError("journey", journey_id)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_journeys(self) -> list[dict[str, Any]]:
        rows = self._database.cursor().execute("SELECT document FROM journeys ORDER BY id")
        return [json.loads(document) for (document,) in rows.fetchall()]

    def delete_journey(self, journey_id: str) -> None:
        cursor = self._database.cursor()
        for table, column in (
            ("journeys", "id"),
            ("journey_runs", "journey_id"),
            ("journey_controls", "journey_id"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ?", [journey_id])

    def save_run(self, run: Mapping[str, Any]) -> None:
        run_id = _required(run, "RunId", "journey run")
        journey_id = _required(run, "JourneyId", f"journey run {run_id!r}")
        self._database.cursor().execute(
            "INSERT INTO journey_runs VALUES (?, ?, ?, ?) "
            "ON CONFLICT (journey_id, run_id) DO UPDATE SET "
            "creation_time = excluded.creation_time, document = excluded.document",
            [journey_id, run_id, run.get("CreationTime"), dumps(run)],
        )

    def get_run(self, journey_id: str, run_id: str) -> dict[str, Any]:
        row = (
            self._database.cursor()
            .execute(
                "SELECT document FROM journey_runs WHERE journey_id = ? AND run_id = ?",
                [journey_id, run_id],
            )
            .fetchone()
        )
        if row is None:
            raise NotFoundError("journey run", run_id)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_runs(self, journey_id: str) -> list[dict[str, Any]]:
        rows = self._database.cursor().execute(
            "SELECT document FROM journey_runs WHERE journey_id = ? "
            "ORDER BY creation_time NULLS FIRST, run_id",
            [journey_id],
        )
        return [json.loads(document) for (document,) in rows.fetchall()]

    def save_control(self, journey_id: str, control: Mapping[str, Any]) -> None:
        self._database.cursor().execute(
            "INSERT INTO journey_controls VALUES (?, ?) "
            "ON CONFLICT (journey_id) DO UPDATE SET document = excluded.document",
            [journey_id, dumps(control)],
        )

    def get_control(self, journey_id: str) -> dict[str, Any]:
        row = (
            self._database.cursor()
            .execute("SELECT document FROM journey_controls WHERE journey_id = ?", [journey_id])
            .fetchone()
        )
        document: dict[str, Any] = json.loads(row[0]) if row else {}
        return document
