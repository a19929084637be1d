"""Use cases every feature shares: projects (Pinpoint applications), their settings
and the tags of any resource.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.common.projects import ProjectService

_HOMES: dict[str, str] = {
    "ProjectService": "clarion.services.common.projects",
}

__all__ = ["ProjectService"]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
