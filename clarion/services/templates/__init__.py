"""Template use cases: create, version, get, list, lint and render templates, and the
dry run of a campaign's or journey's messages against its segment.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
