"""Projects (Pinpoint applications) and their settings: ids, ARNs, and the rules of
ApplicationSettings (QuietTime, Limits, JourneyLimits, CampaignHook).

A project is what Pinpoint called an application: every endpoint, segment, campaign,
event and metric belongs to one, and two projects never see each other's. The default
project (the settings' ``app_id``) holds what Clarion stored before projects existed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import PinpointModel, validation_problems

# Pinpoint's ids are 32 hexadecimal characters; the default project's is configurable.
# Ids name folders locally and key prefixes on AWS, so only these characters are used.
APP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME_LENGTH = 64
ARN_PREFIX = "arn:clarion:mobiletargeting"


def check_app_id(app_id: str) -> str:
    """``app_id`` when it is a well-formed project id. Raises InvalidRecordError."""
    if not isinstance(app_id, str) or not APP_ID.match(app_id):
        raise InvalidRecordError([FieldProblem("ApplicationId", f"{app_id!r} is not a project id")])
    return app_id


def app_arn(app_id: str) -> str:
    """The ARN a project is tagged by (``apps/<id>``, as Pinpoint's ARNs)."""
    return f"{ARN_PREFIX}:apps/{app_id}"


def app_of_arn(arn: str) -> str | None:
    """The project id an ARN of a project's resource names, or None."""
    prefix = f"{ARN_PREFIX}:apps/"
    if not arn.startswith(prefix):
        return None
    return arn[len(prefix) :].split("/", 1)[0] or None


class CreateApplicationRequest(PinpointModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    tags: dict[str, str] | None = Field(default=None, alias="tags")


def validate_create_application(data: Mapping[str, Any]) -> CreateApplicationRequest:
    """A CreateApp body. Raises InvalidRecordError."""
    try:
        return CreateApplicationRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None


# -- application settings --------------------------------------------------------------

_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class SettingsQuietTime(PinpointModel):
    start: str | None = None
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None and not _HH_MM.match(value):
            raise ValueError(f"{value!r} must be a 24-hour time HH:MM, such as 21:30")
        return value

    @model_validator(mode="after")
    def _both(self) -> SettingsQuietTime:
        if (self.start is None) != (self.end is None):
            raise ValueError("QuietTime needs both Start and End")
        return self


class SettingsLimits(PinpointModel):
    """Limits every campaign of the project inherits (a campaign's own override them):
    messages per endpoint a day and in total, the run's MessagesPerSecond and
    MaximumDuration, and Session."""

    daily: int | None = Field(default=None, ge=0, le=100)
    maximum_duration: int | None = Field(default=None, ge=60)
    messages_per_second: int | None = Field(default=None, ge=1, le=20_000)
    total: int | None = Field(default=None, ge=0, le=100)
    session: int | None = Field(default=None, ge=0)


class JourneyTimeframeCap(PinpointModel):
    cap: int | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=1, le=30)


class JourneyLimits(PinpointModel):
    daily_cap: int | None = Field(default=None, ge=0)
    timeframe_cap: JourneyTimeframeCap | None = None
    total_cap: int | None = Field(default=None, ge=0)


class SettingsHook(PinpointModel):
    lambda_function_name: str | None = None
    mode: str | None = None
    web_url: str | None = None

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str | None) -> str | None:
        if value is not None and value not in ("FILTER", "DELIVERY"):
            raise ValueError(f"{value!r} is not FILTER or DELIVERY")
        return value

    @field_validator("web_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("a hook's WebUrl must be https:// (plain http only on loopback)")
        return value

    @model_validator(mode="after")
    def _target(self) -> SettingsHook:
        if self.mode is not None and not (self.lambda_function_name or self.web_url):
            raise ValueError("a hook with a Mode needs LambdaFunctionName or WebUrl")
        return self

    @property
    def active(self) -> bool:
        return self.mode is not None and bool(self.lambda_function_name or self.web_url)


class WriteApplicationSettingsRequest(PinpointModel):
    campaign_hook: SettingsHook | None = None
    cloud_watch_metrics_enabled: bool | None = Field(default=None, alias="CloudWatchMetricsEnabled")
    event_tagging_enabled: bool | None = None
    limits: SettingsLimits | None = None
    quiet_time: SettingsQuietTime | None = None
    journey_limits: JourneyLimits | None = None


class ApplicationSettings(PinpointModel):
    """ApplicationSettingsResource: what GetApplicationSettings answers."""

    application_id: str
    campaign_hook: SettingsHook | None = None
    last_modified_date: str | None = None
    limits: SettingsLimits | None = None
    quiet_time: SettingsQuietTime | None = None
    journey_limits: JourneyLimits | None = None


def validate_settings_request(data: Mapping[str, Any]) -> WriteApplicationSettingsRequest:
    """An UpdateApplicationSettings body. Raises InvalidRecordError."""
    try:
        return WriteApplicationSettingsRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None


def read_settings(data: Mapping[str, Any]) -> ApplicationSettings:
    return ApplicationSettings.model_validate(data)
