"""Ports of the templates feature: message templates and their versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.templates.model import MessageTemplate, TemplateType


class TemplateRepository(Protocol):
    """Message templates, keyed by (TemplateType, TemplateName), each stored whole with
    all its versions (``MessageTemplate.to_record()``)."""

    def save_template(self, template: MessageTemplate) -> None:
        """Create or replace the template."""
        ...

    def get_template(self, template_type: TemplateType, name: str) -> MessageTemplate:
        """Raises ``NotFoundError``."""
        ...

    def list_templates(self) -> list[MessageTemplate]:
        """Every template, ordered by name then type."""
        ...

    def delete_template(self, template_type: TemplateType, name: str) -> None:
        """Remove the template and all its versions. Raises ``NotFoundError``."""
        ...
