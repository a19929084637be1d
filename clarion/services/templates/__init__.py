"""Template use cases: create, version, get, list, lint and render templates, and the
dry run of a campaign's or journey's messages against its segment."""

from clarion.services.templates.lint import (
    DEFAULT_MISSING_SHARE,
    MessageToCheck,
    SegmentSql,
    TemplateLinter,
)
from clarion.services.templates.service import TemplateService

__all__ = [
    "DEFAULT_MISSING_SHARE",
    "MessageToCheck",
    "SegmentSql",
    "TemplateLinter",
    "TemplateService",
]
