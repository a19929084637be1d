"""Template use cases: create, version, get, list, lint and render templates, and the
dry run of a campaign's or journey's messages against its segment.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clarion.services.templates.lint import (
        DEFAULT_MISSING_SHARE,
        MessageToCheck,
        SegmentSql,
        TemplateLinter,
    )
    from clarion.services.templates.service import TemplateService

_HOMES: dict[str, str] = {
    "DEFAULT_MISSING_SHARE": "clarion.services.templates.lint",
    "MessageToCheck": "clarion.services.templates.lint",
    "SegmentSql": "clarion.services.templates.lint",
    "TemplateLinter": "clarion.services.templates.lint",
    "TemplateService": "clarion.services.templates.service",
}

__all__ = [
    "DEFAULT_MISSING_SHARE",
    "MessageToCheck",
    "SegmentSql",
    "TemplateLinter",
    "TemplateService",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        try:  # a submodule, as an eager package would have it as an attribute
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
