"""Pinpoint campaigns: the request and response shapes.

The models are the bodies of Pinpoint's CreateCampaign/UpdateCampaign
(``WriteCampaignRequest``) and GetCampaign (``CampaignResponse``), with the field names
and enums of the Pinpoint service model. Unknown fields are refused. The rules a run
applies live beside them: ``assignment``, ``schedule``, ``quiet_time``,
``event_filter`` (docs/campaigns.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, time, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from clarion.domain.audience.endpoint import parse_iso8601
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import PinpointModel, validation_problems
from clarion.domain.messaging.direct import (
    Action,
    EndpointTypesElement,
    MessageType,
)
from clarion.domain.segments.model import AttributeType, DimensionType
from clarion.domain.templates.configuration import TemplateConfiguration
from clarion.domain.templates.model import MessageHeader

# "You can create up to 5 treatments" counts the campaign's own (base) treatment, so a
# request carries at most 4 AdditionalTreatments. (Pinpoint user guide, A/B campaigns.)
MAX_TREATMENTS = 5
MAX_ADDITIONAL_TREATMENTS = MAX_TREATMENTS - 1
MAX_CAP = 100  # Limits.Daily and Limits.Total
MIN_MESSAGES_PER_SECOND = 1
MAX_MESSAGES_PER_SECOND = 20_000
MIN_MAXIMUM_DURATION = 60
BUCKETS = 10_000  # assignment resolution: 0.01 %
BASE_TREATMENT_ID = "0"
IMMEDIATE = "IMMEDIATE"

_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Pinpoint's Schedule.Timezone values: UTC, UTC+01, UTC+05:30, UTC-03...
_UTC_OFFSET = re.compile(r"^UTC(?:([+-])(\d{2})(?::?(\d{2}))?)?$")
METRIC_OPERATORS = frozenset(
    {"GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL", "EQUAL"}
)


class Frequency(StrEnum):
    ONCE = "ONCE"
    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    EVENT = "EVENT"
    IN_APP_EVENT = "IN_APP_EVENT"


class FilterType(StrEnum):
    SYSTEM = "SYSTEM"
    ENDPOINT = "ENDPOINT"


class HookMode(StrEnum):
    DELIVERY = "DELIVERY"
    FILTER = "FILTER"


class CampaignStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    EXECUTING = "EXECUTING"
    PENDING_NEXT_RUN = "PENDING_NEXT_RUN"
    COMPLETED = "COMPLETED"
    PAUSED = "PAUSED"
    DELETED = "DELETED"
    INVALID = "INVALID"


# -- time zones -----------------------------------------------------------------------


def parse_utc_offset(value: str) -> timezone:
    """A Schedule.Timezone value (``UTC``, ``UTC+01``, ``UTC-03:30``) as a tzinfo.

    Raises
    ------
    ValueError
        For anything else, or an offset past ±14:00.
    """
    match = _UTC_OFFSET.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a UTC offset such as UTC, UTC+01 or UTC-03:30")
    sign, hours, minutes = match.groups()
    if sign is None:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14) or int(minutes or 0) % 15:
        raise ValueError(f"{value!r} is not a real UTC offset (at most ±14:00, in quarter hours)")
    return timezone(-offset if sign == "-" else offset)


def zone_for(endpoint_timezone: str | None, fallback: str | None = None) -> tzinfo:
    """The endpoint's zone (Demographic.Timezone, a tz database name), else the
    schedule's Timezone (a UTC offset), else UTC. An unknown name falls through too."""
    if endpoint_timezone:
        try:
            return ZoneInfo(endpoint_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if fallback:
        try:
            return parse_utc_offset(fallback)
        except ValueError:
            pass
    return UTC


def _parse_hh_mm(value: str) -> time:
    match = _HH_MM.match(value)
    if not match:
        raise ValueError(f"{value!r} must be a 24-hour time HH:MM, such as 21:30")
    return time(int(match.group(1)), int(match.group(2)))


# -- campaign request -----------------------------------------------------------------


class Message(PinpointModel):
    """A campaign push message (ADMMessage, APNSMessage, BaiduMessage, DefaultMessage,
    GCMMessage of a campaign's MessageConfiguration)."""

    action: Action | None = None
    body: str | None = None
    image_icon_url: str | None = None
    image_small_icon_url: str | None = None
    image_url: str | None = None
    json_body: str | None = None
    media_url: str | None = None
    raw_content: str | None = None
    silent_push: bool | None = None
    time_to_live: int | None = None
    title: str | None = None
    url: str | None = None


class CampaignCustomMessage(PinpointModel):
    data: str | None = None


class CampaignEmailMessage(PinpointModel):
    body: str | None = None
    from_address: str | None = None
    headers: list[MessageHeader] | None = Field(default=None, max_length=15)
    html_body: str | None = None
    title: str | None = None


class CampaignSmsMessage(PinpointModel):
    body: str | None = None
    message_type: MessageType | None = None
    origination_number: str | None = None
    sender_id: str | None = None
    entity_id: str | None = None
    template_id: str | None = None


class MessageConfiguration(PinpointModel):
    adm_message: Message | None = Field(default=None, alias="ADMMessage")
    apns_message: Message | None = Field(default=None, alias="APNSMessage")
    baidu_message: Message | None = None
    custom_message: CampaignCustomMessage | None = None
    default_message: Message | None = None
    email_message: CampaignEmailMessage | None = None
    gcm_message: Message | None = Field(default=None, alias="GCMMessage")
    sms_message: CampaignSmsMessage | None = Field(default=None, alias="SMSMessage")
    # In-app messages are shown by the app SDK, which Clarion does not serve; kept as
    # given so a Pinpoint definition round-trips.
    in_app_message: dict[str, Any] | None = None


class QuietTime(PinpointModel):
    start: str | None = None
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_hh_mm(value)
        return value

    @model_validator(mode="after")
    def _both(self) -> QuietTime:
        if (self.start is None) != (self.end is None):
            raise ValueError("QuietTime needs both Start and End")
        return self


class SetDimension(PinpointModel):
    dimension_type: DimensionType | None = None
    values: list[str]


class AttributeDimension(PinpointModel):
    attribute_type: AttributeType | None = None
    values: list[str]


class MetricDimension(PinpointModel):
    comparison_operator: str
    value: float

    @field_validator("comparison_operator")
    @classmethod
    def _operator(cls, value: str) -> str:
        if value not in METRIC_OPERATORS:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(METRIC_OPERATORS))}")
        return value


class EventDimensions(PinpointModel):
    attributes: dict[str, AttributeDimension] | None = None
    event_type: SetDimension | None = None
    metrics: dict[str, MetricDimension] | None = None


class CampaignEventFilter(PinpointModel):
    dimensions: EventDimensions
    filter_type: FilterType


class Schedule(PinpointModel):
    end_time: str | None = None
    event_filter: CampaignEventFilter | None = None
    frequency: Frequency | None = None
    is_local_time: bool | None = None
    quiet_time: QuietTime | None = None
    start_time: str
    timezone: str | None = None

    @field_validator("start_time")
    @classmethod
    def _start(cls, value: str) -> str:
        if value != IMMEDIATE:
            parse_iso8601(value)
        return value

    @field_validator("end_time")
    @classmethod
    def _end(cls, value: str | None) -> str | None:
        if value is not None:
            parse_iso8601(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            parse_utc_offset(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        frequency = self.frequency or Frequency.ONCE
        if self.start_time == IMMEDIATE and frequency != Frequency.ONCE:
            raise ValueError("StartTime IMMEDIATE is only for Frequency ONCE")
        if (
            self.end_time is not None
            and self.start_time != IMMEDIATE
            and parse_iso8601(self.end_time) <= parse_iso8601(self.start_time)
        ):
            raise ValueError("EndTime must be after StartTime")
        if frequency == Frequency.EVENT and self.event_filter is None:
            raise ValueError("Frequency EVENT needs an EventFilter")
        if (
            frequency not in (Frequency.EVENT, Frequency.IN_APP_EVENT)
            and self.event_filter is not None
        ):
            raise ValueError("an EventFilter is only for Frequency EVENT or IN_APP_EVENT")
        return self

    @property
    def effective_frequency(self) -> Frequency:
        return self.frequency or Frequency.ONCE


class CampaignLimits(PinpointModel):
    daily: int | None = Field(default=None, ge=0, le=MAX_CAP)
    maximum_duration: int | None = Field(default=None, ge=MIN_MAXIMUM_DURATION)
    messages_per_second: int | None = Field(
        default=None, ge=MIN_MESSAGES_PER_SECOND, le=MAX_MESSAGES_PER_SECOND
    )
    total: int | None = Field(default=None, ge=0, le=MAX_CAP)
    session: int | None = Field(default=None, ge=0)


class CampaignHook(PinpointModel):
    lambda_function_name: str | None = None
    mode: HookMode | None = None
    web_url: str | None = None


class CustomDeliveryConfiguration(PinpointModel):
    delivery_uri: str
    endpoint_types: list[EndpointTypesElement] | None = None


class WriteTreatmentResource(PinpointModel):
    custom_delivery_configuration: CustomDeliveryConfiguration | None = None
    message_configuration: MessageConfiguration | None = None
    schedule: Schedule | None = None
    size_percent: int = Field(ge=0, le=100)
    template_configuration: TemplateConfiguration | None = None
    treatment_description: str | None = None
    treatment_name: str | None = None


class CampaignState(PinpointModel):
    campaign_status: CampaignStatus | None = None


class TreatmentResource(WriteTreatmentResource):
    id: str
    state: CampaignState | None = None


class _CampaignFields(PinpointModel):
    custom_delivery_configuration: CustomDeliveryConfiguration | None = None
    description: str | None = None
    holdout_percent: int | None = Field(default=None, ge=0, le=100)
    hook: CampaignHook | None = None
    is_paused: bool | None = None
    limits: CampaignLimits | None = None
    message_configuration: MessageConfiguration | None = None
    name: str | None = None
    schedule: Schedule | None = None
    segment_id: str | None = None
    segment_version: int | None = Field(default=None, ge=1)
    tags: dict[str, str] | None = Field(default=None, alias="tags")
    template_configuration: TemplateConfiguration | None = None
    treatment_description: str | None = None
    treatment_name: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)

    def _check_shares(self, sizes: Sequence[int]) -> None:
        if len(sizes) > MAX_ADDITIONAL_TREATMENTS:
            raise ValueError(
                f"AdditionalTreatments: at most {MAX_ADDITIONAL_TREATMENTS} (a campaign has "
                f"at most {MAX_TREATMENTS} treatments, its own included)"
            )
        total = sum(sizes) + (self.holdout_percent or 0)
        if total > 100:
            raise ValueError(
                f"HoldoutPercent plus the SizePercent of every additional treatment is "
                f"{total}; it must be at most 100"
            )


class WriteCampaignRequest(_CampaignFields):
    """The CreateCampaign / UpdateCampaign body."""

    additional_treatments: list[WriteTreatmentResource] | None = None

    @model_validator(mode="after")
    def _shares(self) -> WriteCampaignRequest:
        self._check_shares([t.size_percent for t in self.additional_treatments or []])
        return self


class CampaignResponse(_CampaignFields):
    """A stored campaign version (GetCampaign's body)."""

    additional_treatments: list[TreatmentResource] | None = None
    application_id: str
    arn: str
    creation_date: str
    default_state: CampaignState | None = None
    id: str
    last_modified_date: str
    segment_id: str
    segment_version: int = Field(ge=1)
    state: CampaignState | None = None
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _shares(self) -> CampaignResponse:
        self._check_shares([t.size_percent for t in self.additional_treatments or []])
        return self

    @property
    def status(self) -> CampaignStatus | None:
        return self.state.campaign_status if self.state else None

    def treatments(self) -> list[TreatmentShare]:
        """Every treatment with its share: the base (id ``"0"``) first. A treatment that
        names neither message nor template configuration sends the base's."""
        extra = self.additional_treatments or []
        base_size = 100 - (self.holdout_percent or 0) - sum(t.size_percent for t in extra)
        shares = [
            TreatmentShare(
                BASE_TREATMENT_ID,
                base_size,
                self.message_configuration,
                self.template_configuration,
                self.treatment_name,
            )
        ]
        for treatment in extra:
            own = treatment.message_configuration or treatment.template_configuration
            shares.append(
                TreatmentShare(
                    treatment.id,
                    treatment.size_percent,
                    treatment.message_configuration if own else self.message_configuration,
                    treatment.template_configuration if own else self.template_configuration,
                    treatment.treatment_name,
                )
            )
        return shares

    def to_pinpoint(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


@dataclass(frozen=True, slots=True)
class TreatmentShare:
    """One treatment: its id, share of the audience and what it sends."""

    treatment_id: str
    size_percent: int
    message_configuration: MessageConfiguration | None
    template_configuration: TemplateConfiguration | None
    name: str | None = None


def validate_campaign_request(
    data: Mapping[str, Any], *, for_create: bool = True
) -> WriteCampaignRequest:
    """Build a WriteCampaignRequest from Pinpoint JSON, checking every rule.

    ``for_create`` also requires what a new campaign needs: SegmentId, Schedule and a
    message or template configuration.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule, on Pinpoint field paths
        (``Schedule.QuietTime.Start``, ``AdditionalTreatments.0.SizePercent``).
    """
    try:
        request = WriteCampaignRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
    if for_create:
        problems = []
        if not request.segment_id:
            problems.append(FieldProblem("SegmentId", "is required"))
        if request.schedule is None:
            problems.append(FieldProblem("Schedule", "is required"))
        if request.message_configuration is None and request.template_configuration is None:
            problems.append(
                FieldProblem(
                    "MessageConfiguration", "give MessageConfiguration or TemplateConfiguration"
                )
            )
        if problems:
            raise InvalidRecordError(problems)
    return request


def validate_campaign_response(data: Mapping[str, Any]) -> CampaignResponse:
    """Read a stored campaign version. Raises InvalidRecordError."""
    try:
        return CampaignResponse.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
