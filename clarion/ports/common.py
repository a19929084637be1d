"""Ports shared by every feature: the project registry and the small per-project
documents (application settings, channels, the event stream, tags, jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ProjectStore(Protocol):
    """Projects (Pinpoint applications) and their per-project documents.

    A project is its ApplicationResponse JSON (``Id``, ``Arn``, ``Name``,
    ``CreationDate``, ``tags``). A document is any JSON object of a project, keyed by
    (kind, key): ``("settings", "application")``, ``("channel", "EMAIL")``,
    ``("tags", <arn>)``. Account-wide documents (tags of templates) use the project id
    ``""``. Locally: tables in the root database; on AWS: items of the definitions table.
    """

    def put_project(self, project: Mapping[str, Any]) -> None:
        """Create or replace a project (``Id`` identifies it)."""
        ...

    def get_project(self, app_id: str) -> dict[str, Any] | None: ...

    def list_projects(self) -> list[dict[str, Any]]:
        """Every project, ordered by ``Id``."""
        ...

    def delete_project(self, app_id: str) -> None:
        """Remove the project and every document of it."""
        ...

    def put_document(self, app_id: str, kind: str, key: str, document: Mapping[str, Any]) -> None:
        """Create or replace one document."""
        ...

    def get_document(self, app_id: str, kind: str, key: str) -> dict[str, Any] | None: ...

    def list_documents(self, app_id: str, kind: str) -> dict[str, dict[str, Any]]:
        """The project's documents of ``kind``, by key."""
        ...

    def delete_document(self, app_id: str, kind: str, key: str) -> bool:
        """Remove one document; True when it existed."""
        ...
