"""What an operation function receives: the request's members by their names in the
model, and the composition root of the project its path names."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clarion.entrypoints.api.errors import BadRequestError, ResourceNotFoundError

if TYPE_CHECKING:
    from clarion.bootstrap import Bootstrap

# How long a project found to exist is believed to (other processes may delete it).
PROJECT_CACHE_SECONDS = 5.0


class Api:
    """The API's view of the composition root: the root Bootstrap (account-wide
    services: projects, templates, tags) and one Bootstrap per project.

    Parameters
    ----------
    bootstrap
        The root Bootstrap, or a function making it on first use (the Lambda builds it
        on its first request, not at import).
    """

    def __init__(self, bootstrap: Bootstrap | Callable[[], Bootstrap]) -> None:
        self._source = bootstrap
        self._root: Bootstrap | None = None
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    @property
    def root(self) -> Bootstrap:
        if self._root is None:
            with self._lock:
                if self._root is None:
                    source = self._source
                    self._root = source() if callable(source) else source
        return self._root

    def project(self, app_id: str) -> Bootstrap:
        """The Bootstrap of project ``app_id``. Raises ResourceNotFoundError for an unknown one."""
        root = self.root
        seen = self._seen.get(app_id)
        if seen is None or time.monotonic() - seen > PROJECT_CACHE_SECONDS:
            if not root.project_service.exists(app_id):
                raise ResourceNotFoundError(
                    f"Project {app_id!r} not found (GetApps lists the projects)"
                )
            self._seen[app_id] = time.monotonic()
        return root.for_project(app_id)

    def forget(self, app_id: str) -> None:
        """Drop what is cached of a deleted project."""
        self._seen.pop(app_id, None)
        self.root.forget_project(app_id)


@dataclass
class Call:
    """One request: the operation, its input members (``ApplicationId``,
    ``WriteCampaignRequest``...), the request id, and the API's composition roots."""

    operation: str
    params: Mapping[str, Any]
    request_id: str
    api: Api

    def get(self, member: str, default: Any = None) -> Any:
        return self.params.get(member, default)

    def body(self, member: str) -> dict[str, Any]:
        """The JSON payload member (an empty object when the request had none)."""
        value = self.params.get(member)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise BadRequestError(f"{member}: must be a JSON object")
        return value

    @property
    def app_id(self) -> str:
        return str(self.params["ApplicationId"])

    @property
    def root(self) -> Bootstrap:
        """Account-wide services (projects, templates, tags)."""
        return self.api.root

    def project(self) -> Bootstrap:
        """The services of the project the path names. Raises ResourceNotFoundError."""
        return self.api.project(self.app_id)
