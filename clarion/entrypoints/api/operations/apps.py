"""Projects: CreateApp, GetApps, GetApp, DeleteApp."""

from __future__ import annotations

from typing import Any

from clarion.domain.common.errors import ProtectedError
from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.errors import ForbiddenError
from clarion.entrypoints.api.paging import listing
from clarion.entrypoints.api.registry import operation


@operation("CreateApp")
def create_app(call: Call) -> dict[str, Any]:
    """Creates a project: its own endpoints, segments, campaigns, events and metrics."""
    return call.root.project_service.create_app(call.body("CreateApplicationRequest"))


@operation("GetApps")
def get_apps(call: Call) -> dict[str, Any]:
    """Every project, the default one first; paged."""
    apps = call.root.project_service.list_apps()
    return listing(apps, call.get("PageSize"), call.get("Token"))


@operation("GetApp")
def get_app(call: Call) -> dict[str, Any]:
    """One project."""
    return call.root.project_service.get_app(call.app_id)


@operation("DeleteApp")
def delete_app(call: Call) -> dict[str, Any]:
    """Deletes a project and its data; the default project cannot be deleted (403)."""
    try:
        deleted = call.root.project_service.delete_app(call.app_id)
    except ProtectedError as exc:
        raise ForbiddenError(str(exc)) from None
    call.api.forget(call.app_id)
    return deleted
