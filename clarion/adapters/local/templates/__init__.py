"""The local TemplateRepository (DuckDB)."""

from clarion.adapters.local.templates.template_repository import DuckDBTemplateRepository

__all__ = ["DuckDBTemplateRepository"]
