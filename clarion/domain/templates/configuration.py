"""Pinpoint's TemplateConfiguration: which stored template (and version) a campaign,
journey or direct message uses on each channel."""

from __future__ import annotations

from pydantic import Field

from clarion.domain.common.model import PinpointModel


class Template(PinpointModel):
    name: str | None = None
    version: str | None = None


class TemplateConfiguration(PinpointModel):
    email_template: Template | None = None
    push_template: Template | None = None
    sms_template: Template | None = Field(default=None, alias="SMSTemplate")
    voice_template: Template | None = None
    in_app_template: Template | None = None
