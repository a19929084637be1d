"""Pinpoint campaigns: request and response shapes, and the pure rules a run applies.

The models are the bodies of Pinpoint's CreateCampaign/UpdateCampaign
(``WriteCampaignRequest``) and GetCampaign (``CampaignResponse``), and of SendMessages
(``MessageRequest``) and SendUsersMessages (``SendUsersMessageRequest``), with the field
names and enums of the Pinpoint service model. Unknown fields are refused.

The rules (see docs/campaigns.md):

* :func:`assign` — deterministic holdout and treatment assignment per (campaign,
  endpoint): a hash gives a bucket 0..9999; the holdout takes the first
  ``HoldoutPercent`` buckets, each additional treatment the next ``SizePercent``, and the
  base treatment (id ``"0"``) the rest.
* :func:`run_times` — when a schedule runs, for each Frequency between StartTime and
  EndTime; :func:`local_send_time` — the moment one endpoint is due when the schedule is
  in local time.
* :func:`quiet_time_until` — whether an endpoint is in its quiet time, and until when.
* :func:`event_filter_matches` — whether an event starts an EVENT campaign.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from clarion.domain.endpoint import ChannelType, parse_iso8601
from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import EventRecord
from clarion.domain.pinpoint_model import PinpointModel, validation_problems
from clarion.domain.segment import AttributeType, DimensionType
from clarion.domain.templates import MessageHeader

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


class Action(StrEnum):
    OPEN_APP = "OPEN_APP"
    DEEP_LINK = "DEEP_LINK"
    URL = "URL"


class MessageType(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    PROMOTIONAL = "PROMOTIONAL"


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


class EndpointTypesElement(StrEnum):
    """Pinpoint's ChannelType enum with PUSH (EndpointTypes, AddressConfiguration)."""

    PUSH = "PUSH"
    GCM = "GCM"
    APNS = "APNS"
    APNS_SANDBOX = "APNS_SANDBOX"
    APNS_VOIP = "APNS_VOIP"
    APNS_VOIP_SANDBOX = "APNS_VOIP_SANDBOX"
    ADM = "ADM"
    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"
    BAIDU = "BAIDU"
    CUSTOM = "CUSTOM"
    IN_APP = "IN_APP"


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


class Template(PinpointModel):
    name: str | None = None
    version: str | None = None


class TemplateConfiguration(PinpointModel):
    email_template: Template | None = None
    push_template: Template | None = None
    sms_template: Template | None = Field(default=None, alias="SMSTemplate")
    voice_template: Template | None = None
    in_app_template: Template | None = None


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
        if frequency != Frequency.EVENT and self.event_filter is not None:
            raise ValueError("an EventFilter is only for Frequency EVENT")
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


# -- assignment -----------------------------------------------------------------------


def bucket(campaign_id: str, endpoint_id: str) -> int:
    """The endpoint's bucket 0..9999 for this campaign: stable across runs and
    processes (a hash, not Python's salted ``hash``)."""
    digest = hashlib.blake2b(f"{campaign_id}\x1f{endpoint_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one endpoint falls: the holdout, or a treatment."""

    holdout: bool
    treatment_id: str | None


class Assigner:
    """Precomputed bucket boundaries for one campaign (assignment in a loop)."""

    __slots__ = ("_bounds", "_campaign_id", "_holdout_end")

    def __init__(
        self, campaign_id: str, holdout_percent: int, treatments: Sequence[tuple[str, int]]
    ) -> None:
        self._campaign_id = campaign_id
        self._holdout_end = holdout_percent * (BUCKETS // 100)
        bounds: list[tuple[int, str]] = []
        edge = self._holdout_end
        # Additional treatments first (in request order), the base takes the rest, so
        # the base's share is exactly what the others leave.
        base = [t for t in treatments if t[0] == BASE_TREATMENT_ID]
        for treatment_id, size in [t for t in treatments if t[0] != BASE_TREATMENT_ID]:
            edge += size * (BUCKETS // 100)
            bounds.append((edge, treatment_id))
        if base:
            bounds.append((BUCKETS, BASE_TREATMENT_ID))
        self._bounds = bounds

    def assign(self, endpoint_id: str) -> Assignment:
        value = bucket(self._campaign_id, endpoint_id)
        if value < self._holdout_end:
            return Assignment(True, None)
        for edge, treatment_id in self._bounds:
            if value < edge:
                return Assignment(False, treatment_id)
        return Assignment(False, BASE_TREATMENT_ID)


def assigner_for(campaign: CampaignResponse) -> Assigner:
    return Assigner(
        campaign.id,
        campaign.holdout_percent or 0,
        [(t.treatment_id, t.size_percent) for t in campaign.treatments()],
    )


def assign(campaign: CampaignResponse, endpoint_id: str) -> Assignment:
    """Holdout or treatment for one endpoint (see :class:`Assigner` for loops)."""
    return assigner_for(campaign).assign(endpoint_id)


# -- schedules ------------------------------------------------------------------------


def _schedule_zone(schedule: Schedule) -> tzinfo:
    return parse_utc_offset(schedule.timezone) if schedule.timezone else UTC


def schedule_start(schedule: Schedule, now: datetime) -> datetime:
    """StartTime as an aware datetime (``now`` for IMMEDIATE). A StartTime without an
    offset is read in the schedule's Timezone."""
    if schedule.start_time == IMMEDIATE:
        return now
    return _read_time(schedule.start_time, schedule)


def _read_time(text: str, schedule: Schedule) -> datetime:
    stripped = text.strip()
    naive = not (stripped.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", stripped))
    moment = parse_iso8601(stripped)
    if naive and len(stripped) > 10:
        moment = moment.replace(tzinfo=_schedule_zone(schedule))
    return moment


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def run_times(
    schedule: Schedule,
    now: datetime,
    *,
    after: datetime | None = None,
    limit: int = 1000,
) -> Iterator[datetime]:
    """The moments the campaign runs, in order, from StartTime to EndTime (inclusive).

    ONCE gives one moment; HOURLY, DAILY, WEEKLY and MONTHLY step from StartTime (a
    monthly run on the 31st falls on the last day of shorter months); EVENT and
    IN_APP_EVENT give none (events start them). Only moments later than ``after`` are
    given, at most ``limit``; a schedule without EndTime repeats until the limit.
    """
    frequency = schedule.effective_frequency
    if frequency in (Frequency.EVENT, Frequency.IN_APP_EVENT):
        return
    start = schedule_start(schedule, now)
    end = _read_time(schedule.end_time, schedule) if schedule.end_time else None
    if frequency == Frequency.ONCE:
        if after is None or start > after:
            yield start
        return
    step = {
        Frequency.HOURLY: timedelta(hours=1),
        Frequency.DAILY: timedelta(days=1),
        Frequency.WEEKLY: timedelta(weeks=1),
    }.get(frequency)
    given = 0
    index = 0
    if after is not None and step is not None and after > start:
        # Jump close to ``after`` rather than walking years of hourly runs.
        index = max(0, int((after - start) / step) - 1)
    while given < limit:
        moment = start + step * index if step is not None else _add_months(start, index)
        index += 1
        if end is not None and moment > end:
            return
        if after is not None and moment <= after:
            continue
        given += 1
        yield moment


def next_run_time(schedule: Schedule, now: datetime, after: datetime) -> datetime | None:
    """The first run strictly after ``after``, or None when the schedule is done."""
    return next(run_times(schedule, now, after=after, limit=1), None)


def local_send_time(
    run_time: datetime, schedule: Schedule, endpoint_timezone: str | None
) -> datetime:
    """When one endpoint is due for a run at ``run_time``.

    Without IsLocalTime everyone is due at ``run_time``. With it, the run's wall-clock
    time in the schedule's Timezone (UTC when none) is taken as wall-clock time in the
    endpoint's Demographic.Timezone, falling back to the schedule's Timezone.
    """
    if not schedule.is_local_time:
        return run_time
    schedule_zone = _schedule_zone(schedule)
    wall = run_time.astimezone(schedule_zone).replace(tzinfo=None)
    zone = zone_for(endpoint_timezone, schedule.timezone)
    return _wall_to_utc(wall, zone)


def _wall_to_utc(wall: datetime, zone: tzinfo) -> datetime:
    moment = wall.replace(tzinfo=zone)
    # A wall time skipped by a DST change (02:30 on spring-forward day) does not exist:
    # round-tripping through UTC moves it forward by the gap, as clocks do.
    return moment.astimezone(UTC)


# -- quiet time -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """A parsed QuietTime: local start and end of day; a window with start after end
    crosses midnight; equal start and end is no window."""

    start: time
    end: time

    @classmethod
    def of(cls, quiet: QuietTime | None) -> QuietWindow | None:
        if quiet is None or quiet.start is None or quiet.end is None:
            return None
        start, end = _parse_hh_mm(quiet.start), _parse_hh_mm(quiet.end)
        return None if start == end else cls(start, end)

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def until(self, now: datetime, zone: tzinfo) -> datetime | None:
        """None when ``now`` is outside the window in ``zone``; else the (UTC) moment
        it ends, when the endpoint may next be messaged."""
        local = now.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if not self.contains(wall.time()):
            return None
        end_day: date = wall.date()
        if wall.time() >= self.end:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end)
        return _wall_to_utc(end, zone)


def quiet_time_until(
    quiet: QuietTime | None,
    now: datetime,
    endpoint_timezone: str | None,
    schedule_timezone: str | None = None,
) -> datetime | None:
    """When an endpoint in quiet time may next be messaged (UTC), or None when it may be
    messaged now. The window is read in the endpoint's Demographic.Timezone, else the
    schedule's Timezone, else UTC."""
    window = QuietWindow.of(quiet)
    if window is None:
        return None
    return window.until(now, zone_for(endpoint_timezone, schedule_timezone))


# -- event filters --------------------------------------------------------------------

# Events Pinpoint itself generated (delivery and engagement of its own messages): what a
# SYSTEM filter matches. Everything else came from apps and PutEvents: ENDPOINT events.
SYSTEM_EVENT_PREFIXES = ("_email.", "_SMS.", "_campaign.", "_journey.", "_push.", "_voice.")


def is_system_event(event_type: str) -> bool:
    return event_type.startswith(SYSTEM_EVENT_PREFIXES)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _date(value: str) -> datetime | None:
    try:
        return parse_iso8601(value)
    except ValueError:
        return None


def _attribute_matches(dimension: AttributeDimension, value: str | None) -> bool:
    kind = dimension.attribute_type or AttributeType.INCLUSIVE
    values = dimension.values
    if kind == AttributeType.EXCLUSIVE:
        return value is None or value not in values
    if value is None:
        return False
    if kind == AttributeType.INCLUSIVE:
        return value in values
    if kind == AttributeType.CONTAINS:
        return any(item in value for item in values)
    moment = _date(value)
    bounds = [_date(item) for item in values]
    if moment is None or not bounds or any(b is None for b in bounds):
        return False
    if kind == AttributeType.BEFORE:
        return moment < bounds[0]  # type: ignore[operator]
    if kind == AttributeType.AFTER:
        return moment > bounds[0]  # type: ignore[operator]
    if kind == AttributeType.ON:
        return moment.date() == bounds[0].date()  # type: ignore[union-attr]
    if len(bounds) < 2:
        return False
    return bounds[0] <= moment <= bounds[1]  # type: ignore[operator]


def _metric_matches(dimension: MetricDimension, value: float | None) -> bool:
    if value is None:
        return False
    target = dimension.value
    return {
        "GREATER_THAN": value > target,
        "LESS_THAN": value < target,
        "GREATER_THAN_OR_EQUAL": value >= target,
        "LESS_THAN_OR_EQUAL": value <= target,
        "EQUAL": value == target,
    }[dimension.comparison_operator]


def event_filter_matches(event_filter: CampaignEventFilter, record: EventRecord) -> bool:
    """Whether ``record`` starts a campaign with this EventFilter.

    FilterType SYSTEM matches events Pinpoint generated (``_email.*``, ``_SMS.*``,
    ``_campaign.*``...), ENDPOINT the rest (app and PutEvents events). Every dimension
    given must match: EventType INCLUSIVE/EXCLUSIVE over exact names; each attribute by
    its AttributeType (an absent attribute matches only EXCLUSIVE); each metric by its
    ComparisonOperator (an absent metric never matches).
    """
    system = is_system_event(record.event_type)
    if (event_filter.filter_type == FilterType.SYSTEM) != system:
        return False
    dimensions = event_filter.dimensions
    if dimensions.event_type is not None:
        listed = record.event_type in dimensions.event_type.values
        if dimensions.event_type.dimension_type == DimensionType.EXCLUSIVE:
            listed = not listed
        if not listed:
            return False
    for name, attribute in (dimensions.attributes or {}).items():
        if not _attribute_matches(attribute, record.attributes.get(name)):
            return False
    for name, metric in (dimensions.metrics or {}).items():
        if not _metric_matches(metric, record.metrics.get(name)):
            return False
    return True


# -- channels -------------------------------------------------------------------------

# Which MessageConfiguration entry serves an endpoint of each channel type; push types
# fall back to DefaultMessage, as in Pinpoint.
PUSH_MESSAGE_KEYS: dict[ChannelType, str] = {
    ChannelType.APNS: "apns_message",
    ChannelType.APNS_SANDBOX: "apns_message",
    ChannelType.APNS_VOIP: "apns_message",
    ChannelType.APNS_VOIP_SANDBOX: "apns_message",
    ChannelType.GCM: "gcm_message",
    ChannelType.ADM: "adm_message",
    ChannelType.BAIDU: "baidu_message",
}


# -- direct messages (SendMessages, SendUsersMessages) --------------------------------


# AddressConfiguration.ChannelType: Pinpoint's ChannelType enum with PUSH, the same
# values as CustomDeliveryConfiguration.EndpointTypes.
DirectChannelType = EndpointTypesElement


class EndpointSendConfiguration(PinpointModel):
    body_override: str | None = None
    context: dict[str, str] | None = None
    raw_content: str | None = None
    substitutions: dict[str, list[str]] | None = None
    title_override: str | None = None


class AddressConfiguration(EndpointSendConfiguration):
    channel_type: DirectChannelType | None = None


class SimpleEmailPart(PinpointModel):
    charset: str | None = None
    data: str | None = None


class SimpleEmail(PinpointModel):
    html_part: SimpleEmailPart | None = None
    subject: SimpleEmailPart | None = None
    text_part: SimpleEmailPart | None = None
    headers: list[MessageHeader] | None = Field(default=None, max_length=15)


class RawEmail(PinpointModel):
    data: str | None = None


class EmailMessage(PinpointModel):
    body: str | None = None
    feedback_forwarding_address: str | None = None
    from_address: str | None = None
    raw_email: RawEmail | None = None
    reply_to_addresses: list[str] | None = None
    simple_email: SimpleEmail | None = None
    substitutions: dict[str, list[str]] | None = None


class SMSMessage(PinpointModel):
    body: str | None = None
    keyword: str | None = None
    media_url: str | None = None
    message_type: MessageType | None = None
    origination_number: str | None = None
    sender_id: str | None = None
    substitutions: dict[str, list[str]] | None = None
    entity_id: str | None = None
    template_id: str | None = None


class VoiceMessage(PinpointModel):
    body: str | None = None
    language_code: str | None = None
    origination_number: str | None = None
    substitutions: dict[str, list[str]] | None = None
    voice_id: str | None = None


class DefaultMessage(PinpointModel):
    body: str | None = None
    substitutions: dict[str, list[str]] | None = None


class DefaultPushNotificationMessage(PinpointModel):
    action: Action | None = None
    body: str | None = None
    data: dict[str, str] | None = None
    silent_push: bool | None = None
    substitutions: dict[str, list[str]] | None = None
    title: str | None = None
    url: str | None = None


class _PushMessage(DefaultPushNotificationMessage):
    raw_content: str | None = None
    sound: str | None = None


class APNSMessage(_PushMessage):
    apns_push_type: str | None = Field(default=None, alias="APNSPushType")
    badge: int | None = None
    category: str | None = None
    collapse_id: str | None = None
    media_url: str | None = None
    preferred_authentication_method: str | None = None
    priority: str | None = None
    thread_id: str | None = None
    time_to_live: int | None = None


class _AndroidMessage(_PushMessage):
    icon_reference: str | None = None
    image_icon_url: str | None = None
    image_url: str | None = None
    small_image_icon_url: str | None = None


class GCMMessage(_AndroidMessage):
    collapse_key: str | None = None
    preferred_authentication_method: str | None = None
    priority: str | None = None
    restricted_package_name: str | None = None
    time_to_live: int | None = None


class ADMMessage(_AndroidMessage):
    consolidation_key: str | None = None
    expires_after: str | None = None
    md5: str | None = Field(default=None, alias="MD5")


class BaiduMessage(_AndroidMessage):
    time_to_live: int | None = None


class DirectMessageConfiguration(PinpointModel):
    adm_message: ADMMessage | None = Field(default=None, alias="ADMMessage")
    apns_message: APNSMessage | None = Field(default=None, alias="APNSMessage")
    baidu_message: BaiduMessage | None = None
    default_message: DefaultMessage | None = None
    default_push_notification_message: DefaultPushNotificationMessage | None = None
    email_message: EmailMessage | None = None
    gcm_message: GCMMessage | None = Field(default=None, alias="GCMMessage")
    sms_message: SMSMessage | None = Field(default=None, alias="SMSMessage")
    voice_message: VoiceMessage | None = None


class MessageRequest(PinpointModel):
    """The SendMessages body."""

    addresses: dict[str, AddressConfiguration] | None = None
    context: dict[str, str] | None = None
    endpoints: dict[str, EndpointSendConfiguration] | None = None
    message_configuration: DirectMessageConfiguration
    template_configuration: TemplateConfiguration | None = None
    trace_id: str | None = None

    @model_validator(mode="after")
    def _targets(self) -> MessageRequest:
        if not self.addresses and not self.endpoints:
            raise ValueError("give Addresses or Endpoints")
        for address, config in (self.addresses or {}).items():
            if config.channel_type is None:
                raise ValueError(f"Addresses.{address}.ChannelType is required")
        return self


class SendUsersMessageRequest(PinpointModel):
    """The SendUsersMessages body."""

    context: dict[str, str] | None = None
    message_configuration: DirectMessageConfiguration
    template_configuration: TemplateConfiguration | None = None
    trace_id: str | None = None
    users: dict[str, EndpointSendConfiguration] = Field(min_length=1)


def validate_message_request(data: Mapping[str, Any]) -> MessageRequest | SendUsersMessageRequest:
    """A SendMessages body (``Addresses``/``Endpoints``) or a SendUsersMessages body
    (``Users``), checked. A body wrapped as the API takes it (``{"MessageRequest":
    {...}}`` or ``{"SendUsersMessageRequest": {...}}``) is unwrapped.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule.
    """
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    if set(data) == {"MessageRequest"}:
        data = data["MessageRequest"]
    elif set(data) == {"SendUsersMessageRequest"}:
        data = data["SendUsersMessageRequest"]
    model: type[MessageRequest] | type[SendUsersMessageRequest] = (
        SendUsersMessageRequest if "Users" in data else MessageRequest
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
