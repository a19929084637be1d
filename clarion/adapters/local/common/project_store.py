"""Projects and their small documents in the root database: the local ProjectStore.

Tables ``projects (id, document)`` and ``project_documents (app_id, kind, key,
document)`` of the database under ``CLARION_HOME`` (never a project's own database:
the registry and account-wide documents sit above the projects)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import dumps


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS projects (id VARCHAR PRIMARY KEY, document VARCHAR NOT NULL)"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS project_documents (app_id VARCHAR NOT NULL, "
        "kind VARCHAR NOT NULL, key VARCHAR NOT NULL, document VARCHAR NOT NULL, "
        "PRIMARY KEY (app_id, kind, key))"
    )


def project_home(home: Path, app_id: str) -> Path:
    """Where a project other than the default one keeps its data."""
    return home / "projects" / app_id


class DuckDBProjectStore:
    """ProjectStore on the root database. Deleting a project also erases its folder
    (``projects/<id>/`` under the home: its database, outbox and files)."""

    def __init__(self, database: LocalDatabase, home: Path | None = None) -> None:
        self._database = database
        self._home = home

    def put_project(self, project: Mapping[str, Any]) -> None:
        self._database.cursor().execute(
            "INSERT INTO projects VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET document = excluded.document",
            [str(project["Id"]), dumps(project)],
        )

    def get_project(self, app_id: str) -> dict[str, Any] | None:
        row = (
            self._database.cursor()
            .execute("SELECT document FROM projects WHERE id = ?", [app_id])
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    def list_projects(self) -> list[dict[str, Any]]:
        rows = self._database.cursor().execute("SELECT document FROM projects ORDER BY id")
        return [json.loads(document) for (document,) in rows.fetchall()]

    def delete_project(self, app_id: str) -> None:
        cursor = self._database.cursor()
        cursor.execute("DELETE FROM project_documents WHERE app_id = ?", [app_id])
        cursor.execute("DELETE FROM projects WHERE id = ?", [app_id])
        if self._home is not None and app_id and "/" not in app_id and app_id not in (".", ".."):
            shutil.rmtree(project_home(self._home, app_id), ignore_errors=True)

    def put_document(self, app_id: str, kind: str, key: str, document: Mapping[str, Any]) -> None:
        self._database.cursor().execute(
            "INSERT INTO project_documents VALUES (?, ?, ?, ?) "
            "ON CONFLICT (app_id, kind, key) DO UPDATE SET document = excluded.document",
            [app_id, kind, key, dumps(document)],
        )

    def get_document(self, app_id: str, kind: str, key: str) -> dict[str, Any] | None:
        row = (
            self._database.cursor()
            .execute(
                "SELECT document FROM project_documents WHERE app_id = ? AND kind = ? AND key = ?",
                [app_id, kind, key],
            )
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    def list_documents(self, app_id: str, kind: str) -> dict[str, dict[str, Any]]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT key, document FROM project_documents WHERE app_id = ? AND kind = ? "
                "ORDER BY key",
                [app_id, kind],
            )
            .fetchall()
        )
        return {key: json.loads(document) for key, document in rows}

    def delete_document(self, app_id: str, kind: str, key: str) -> bool:
        rows = (
            self._database.cursor()
            .execute(
                "DELETE FROM project_documents WHERE app_id = ? AND kind = ? AND key = ? "
                "RETURNING key",
                [app_id, kind, key],
            )
            .fetchall()
        )
        return bool(rows)
