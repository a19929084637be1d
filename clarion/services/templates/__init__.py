"""Template use cases: create, version, get, list and render templates."""

from clarion.services.templates.service import TemplateService

__all__ = ["TemplateService"]
