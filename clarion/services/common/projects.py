"""Projects (CreateApp, GetApp, GetApps, DeleteApp), their ApplicationSettings and the
tags of any resource (TagResource, UntagResource, ListTagsForResource)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clarion.domain.audience.endpoint import utc_now_iso
from clarion.domain.common.errors import NotFoundError, ProtectedError
from clarion.domain.common.projects import (
    ApplicationSettings,
    app_arn,
    app_of_arn,
    check_app_id,
    read_settings,
    validate_create_application,
    validate_settings_request,
)
from clarion.ports.common import ProjectStore

SETTINGS = ("settings", "application")
TAGS = "tags"
ACCOUNT = ""  # the project id of account-wide documents (tags of templates)


class ProjectService:
    """Projects, settings and tags (module docstring).

    Parameters
    ----------
    store
        The project registry and per-project documents.
    default_app_id
        The default project: it always exists (it holds what Clarion stored before
        projects existed) and cannot be deleted.
    clock
        ISO-8601 "now" for creation and modification dates.
    """

    def __init__(
        self,
        store: ProjectStore,
        default_app_id: str,
        *,
        clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self._store = store
        self.default_app_id = default_app_id
        self._clock = clock

    # -- projects ----------------------------------------------------------------------

    def exists(self, app_id: str) -> bool:
        return app_id == self.default_app_id or self._store.get_project(app_id) is not None

    def _default(self) -> dict[str, Any]:
        stored = self._store.get_project(self.default_app_id)
        if stored is not None:
            return stored
        return {
            "Id": self.default_app_id,
            "Arn": app_arn(self.default_app_id),
            "Name": self.default_app_id,
        }

    def _with_tags(self, project: dict[str, Any]) -> dict[str, Any]:
        tags = self.list_tags(str(project["Arn"]))
        return {**project, "tags": tags} if tags else project

    def create_app(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """CreateApp → ApplicationResponse. Raises InvalidRecordError."""
        body = validate_create_application(request)
        app_id = uuid.uuid4().hex
        project = {
            "Id": app_id,
            "Arn": app_arn(app_id),
            "Name": body.name,
            "CreationDate": self._clock(),
        }
        self._store.put_project(project)
        if body.tags:
            self.tag_resource(project["Arn"], body.tags)
        return self._with_tags(project)

    def get_app(self, app_id: str) -> dict[str, Any]:
        """GetApp. Raises NotFoundError."""
        if app_id == self.default_app_id:
            return self._with_tags(self._default())
        project = self._store.get_project(check_app_id(app_id))
        if project is None:
            raise NotFoundError("project", app_id)
        return self._with_tags(project)

    def list_apps(self) -> list[dict[str, Any]]:
        """GetApps: every project, the default one first."""
        others = [p for p in self._store.list_projects() if p["Id"] != self.default_app_id]
        return [self._with_tags(p) for p in [self._default(), *others]]

    def delete_app(self, app_id: str) -> dict[str, Any]:
        """DeleteApp: removes the project, its settings, channels and tags; returns what
        it was. Raises NotFoundError, or ProtectedError for the default project."""
        if app_id == self.default_app_id:
            raise ProtectedError(
                f"project {app_id!r} is the default project (the CLI's data): it cannot be deleted"
            )
        project = self.get_app(app_id)
        self._store.delete_document(ACCOUNT, TAGS, str(project["Arn"]))
        self._store.delete_project(app_id)
        return project

    # -- settings ------------------------------------------------------------------------

    def settings(self, app_id: str) -> ApplicationSettings:
        """The project's ApplicationSettings (only ApplicationId when never set)."""
        stored = self._store.get_document(app_id, *SETTINGS)
        return read_settings(stored or {"ApplicationId": app_id})

    def get_settings(self, app_id: str) -> dict[str, Any]:
        """GetApplicationSettings → ApplicationSettingsResource."""
        return self.settings(app_id).to_pinpoint()

    def update_settings(self, app_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """UpdateApplicationSettings: each object given replaces the stored one (an empty
        object clears it). Raises InvalidRecordError."""
        body = validate_settings_request(request)
        current = self.settings(app_id).to_pinpoint()
        given = body.model_dump(by_alias=True, exclude_unset=True, mode="json")
        for name in ("CampaignHook", "Limits", "QuietTime", "JourneyLimits"):
            if name not in given:
                continue
            value = {k: v for k, v in (given[name] or {}).items() if v is not None}
            if value:
                current[name] = value
            else:
                current.pop(name, None)
        current["ApplicationId"] = app_id
        current["LastModifiedDate"] = self._clock()
        stored = read_settings(current).to_pinpoint()
        self._store.put_document(app_id, *SETTINGS, stored)
        return stored

    # -- tags ----------------------------------------------------------------------------

    def _tag_owner(self, arn: str) -> str:
        app_id = app_of_arn(arn)
        if app_id is not None and not self.exists(app_id):
            raise NotFoundError("project", app_id)
        return ACCOUNT

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add or replace tags of the resource ``arn`` names."""
        owner = self._tag_owner(arn)
        current = self._store.get_document(owner, TAGS, arn) or {}
        self._store.put_document(owner, TAGS, arn, {**current, **dict(tags)})

    def untag_resource(self, arn: str, keys: Sequence[str]) -> None:
        owner = self._tag_owner(arn)
        current = self._store.get_document(owner, TAGS, arn) or {}
        remaining = {k: v for k, v in current.items() if k not in set(keys)}
        if remaining:
            self._store.put_document(owner, TAGS, arn, remaining)
        else:
            self._store.delete_document(owner, TAGS, arn)

    def list_tags(self, arn: str) -> dict[str, str]:
        owner = self._tag_owner(arn)
        return {
            str(k): str(v) for k, v in (self._store.get_document(owner, TAGS, arn) or {}).items()
        }
