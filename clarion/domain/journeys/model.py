"""Pinpoint journeys: the request and response shapes, field for field.

The models are the bodies of Pinpoint's CreateJourney/UpdateJourney
(``WriteJourneyRequest``) and GetJourney (``JourneyResponse``), with the field names,
nesting and enums of the Pinpoint service model (a test compares them with botocore's).
Unknown fields are refused. The activity graph's rules (references, cycles,
reachability, percentages, the activity limit) are checked by
:mod:`clarion.domain.journeys.graph`, which :func:`validate_journey_request` runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from clarion.domain.campaigns.model import (
    CampaignEventFilter,
    EventDimensions,
    QuietTime,
    parse_utc_offset,
)
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import RECORD, PinpointModel, validation_problems
from clarion.domain.journeys.durations import parse_duration, parse_instant
from clarion.domain.messaging.direct import EndpointTypesElement, MessageType
from clarion.domain.segments.model import SegmentDimensions

MAX_ACTIVITIES = 40
MAX_ACTIVITY_ID_LENGTH = 100
MAX_NAME_LENGTH = 150
MAX_CAP = 100  # DailyCap, EndpointReentryCap, TotalCap, TimeframeCap.Cap
MAX_TIMEFRAME_DAYS = 30
MAX_MULTI_CONDITION_BRANCHES = 5
MAX_RANDOM_SPLIT_BRANCHES = 5
MIN_MESSAGES_PER_SECOND = 1
MAX_MESSAGES_PER_SECOND = 20_000
_ACTIVITY_ID = re.compile(r"^[A-Za-z0-9]+$")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class JourneyState(StrEnum):
    """Pinpoint's journey ``State`` values."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"
    PAUSED = "PAUSED"


class JourneyRunStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Operator(StrEnum):
    ALL = "ALL"
    ANY = "ANY"


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class TimezoneEstimationMethod(StrEnum):
    PHONE_NUMBER = "PHONE_NUMBER"
    POSTAL_CODE = "POSTAL_CODE"


def _duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


def _instant(value: str | None) -> str | None:
    if value is not None:
        parse_instant(value)
    return value


# -- time: waits, schedule, sending windows ---------------------------------------------


class WaitTime(PinpointModel):
    """A duration (``WaitFor``, ISO-8601 such as ``P7D``) or an instant (``WaitUntil``)."""

    wait_for: str | None = None
    wait_until: str | None = None

    @field_validator("wait_for")
    @classmethod
    def _for(cls, value: str | None) -> str | None:
        return _duration(value)

    @field_validator("wait_until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        return _instant(value)

    @model_validator(mode="after")
    def _one(self) -> WaitTime:
        if (self.wait_for is None) == (self.wait_until is None):
            raise ValueError("give exactly one of WaitFor (a duration) and WaitUntil (a time)")
        return self


class JourneySchedule(PinpointModel):
    end_time: str | None = None
    start_time: str | None = None
    timezone: str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return _instant(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            parse_utc_offset(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> JourneySchedule:
        if (
            self.start_time is not None
            and self.end_time is not None
            and parse_instant(self.end_time) <= parse_instant(self.start_time)
        ):
            raise ValueError("EndTime must be after StartTime")
        return self


class OpenHoursRule(PinpointModel):
    """A window of a day when a channel may send: ``HH:MM`` start and end (local)."""

    start_time: str | None = None
    end_time: str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None and not _HH_MM.match(value):
            raise ValueError(f"{value!r} must be a 24-hour time HH:MM, such as 09:00")
        return value

    @model_validator(mode="after")
    def _both(self) -> OpenHoursRule:
        if self.start_time is None or self.end_time is None:
            raise ValueError("an open-hours rule needs StartTime and EndTime")
        if self.start_time >= self.end_time:
            raise ValueError("an open-hours rule's StartTime must be before its EndTime")
        return self


OpenHoursByDay = dict[DayOfWeek, list[OpenHoursRule]]


class OpenHours(PinpointModel):
    email: OpenHoursByDay | None = Field(default=None, alias="EMAIL")
    sms: OpenHoursByDay | None = Field(default=None, alias="SMS")
    push: OpenHoursByDay | None = Field(default=None, alias="PUSH")
    voice: OpenHoursByDay | None = Field(default=None, alias="VOICE")
    custom: OpenHoursByDay | None = Field(default=None, alias="CUSTOM")


class ClosedDaysRule(PinpointModel):
    """A closed period (a holiday): no message of the channel goes out in it."""

    name: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None

    @field_validator("start_date_time", "end_date_time")
    @classmethod
    def _times(cls, value: str | None) -> str | None:
        return _instant(value)

    @model_validator(mode="after")
    def _both(self) -> ClosedDaysRule:
        if self.start_date_time is None or self.end_date_time is None:
            raise ValueError("a closed-days rule needs StartDateTime and EndDateTime")
        if parse_instant(self.end_date_time) <= parse_instant(self.start_date_time):
            raise ValueError("a closed-days rule's EndDateTime must be after StartDateTime")
        return self


class ClosedDays(PinpointModel):
    email: list[ClosedDaysRule] | None = Field(default=None, alias="EMAIL")
    sms: list[ClosedDaysRule] | None = Field(default=None, alias="SMS")
    push: list[ClosedDaysRule] | None = Field(default=None, alias="PUSH")
    voice: list[ClosedDaysRule] | None = Field(default=None, alias="VOICE")
    custom: list[ClosedDaysRule] | None = Field(default=None, alias="CUSTOM")


# -- limits -----------------------------------------------------------------------------


class JourneyTimeframeCap(PinpointModel):
    cap: int | None = Field(default=None, ge=0, le=MAX_CAP)
    days: int | None = Field(default=None, ge=0, le=MAX_TIMEFRAME_DAYS)


class JourneyLimits(PinpointModel):
    daily_cap: int | None = Field(default=None, ge=0, le=MAX_CAP)
    endpoint_reentry_cap: int | None = Field(default=None, ge=0, le=MAX_CAP)
    messages_per_second: int | None = Field(
        default=None, ge=MIN_MESSAGES_PER_SECOND, le=MAX_MESSAGES_PER_SECOND
    )
    endpoint_reentry_interval: str | None = None
    timeframe_cap: JourneyTimeframeCap | None = None
    total_cap: int | None = Field(default=None, ge=0, le=MAX_CAP)

    @field_validator("endpoint_reentry_interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        return _duration(value)


# -- conditions -------------------------------------------------------------------------


class EventCondition(PinpointModel):
    """Events of an earlier message activity (``MessageActivity``: its id), or any of the
    participant's events when it names none, matched by ``Dimensions``."""

    dimensions: EventDimensions | None = None
    message_activity: str | None = None


class SegmentCondition(PinpointModel):
    segment_id: str = Field(min_length=1)


class SimpleCondition(PinpointModel):
    event_condition: EventCondition | None = None
    segment_condition: SegmentCondition | None = None
    segment_dimensions: SegmentDimensions | None = None

    @model_validator(mode="after")
    def _one(self) -> SimpleCondition:
        given = [
            name
            for name in ("event_condition", "segment_condition", "segment_dimensions")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a condition needs exactly one of EventCondition, SegmentCondition and "
                "SegmentDimensions"
            )
        return self


class Condition(PinpointModel):
    conditions: list[SimpleCondition] | None = None
    operator: Operator | None = None


# -- activities -------------------------------------------------------------------------


class JourneyEmailMessage(PinpointModel):
    from_address: str | None = None


class JourneySmsMessage(PinpointModel):
    message_type: MessageType | None = None
    origination_number: str | None = None
    sender_id: str | None = None
    entity_id: str | None = None
    template_id: str | None = None


class JourneyPushMessage(PinpointModel):
    time_to_live: str | None = None


class JourneyCustomMessage(PinpointModel):
    data: str | None = None


class EmailMessageActivity(PinpointModel):
    message_config: JourneyEmailMessage | None = None
    next_activity: str | None = None
    template_name: str | None = None
    template_version: str | None = None


class SmsMessageActivity(PinpointModel):
    message_config: JourneySmsMessage | None = None
    next_activity: str | None = None
    template_name: str | None = None
    template_version: str | None = None


class PushMessageActivity(PinpointModel):
    message_config: JourneyPushMessage | None = None
    next_activity: str | None = None
    template_name: str | None = None
    template_version: str | None = None


class CustomMessageActivity(PinpointModel):
    delivery_uri: str | None = None
    endpoint_types: list[EndpointTypesElement] | None = None
    message_config: JourneyCustomMessage | None = None
    next_activity: str | None = None
    template_name: str | None = None
    template_version: str | None = None


class WaitActivity(PinpointModel):
    next_activity: str | None = None
    wait_time: WaitTime | None = None


class ConditionalSplitActivity(PinpointModel):
    condition: Condition | None = None
    evaluation_wait_time: WaitTime | None = None
    false_activity: str | None = None
    true_activity: str | None = None


class MultiConditionalBranch(PinpointModel):
    condition: SimpleCondition | None = None
    next_activity: str | None = None


class MultiConditionalSplitActivity(PinpointModel):
    branches: list[MultiConditionalBranch] | None = None
    default_activity: str | None = None
    evaluation_wait_time: WaitTime | None = None


class RandomSplitEntry(PinpointModel):
    next_activity: str | None = None
    percentage: int | None = Field(default=None, ge=0, le=100)


class RandomSplitActivity(PinpointModel):
    branches: list[RandomSplitEntry] | None = None


class HoldoutActivity(PinpointModel):
    next_activity: str | None = None
    percentage: int = Field(ge=0, le=100)


class ContactCenterActivity(PinpointModel):
    next_activity: str | None = None


class ActivityType(StrEnum):
    """The one setting an Activity carries, by its key in the Activity object."""

    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"
    CUSTOM = "CUSTOM"
    WAIT = "Wait"
    CONDITIONAL_SPLIT = "ConditionalSplit"
    MULTI_CONDITION = "MultiCondition"
    RANDOM_SPLIT = "RandomSplit"
    HOLDOUT = "Holdout"
    CONTACT_CENTER = "ContactCenter"

    @property
    def is_message(self) -> bool:
        return self in MESSAGE_ACTIVITIES

    @property
    def metric_type(self) -> str:
        """The ``ActivityType`` of Pinpoint's activity execution metrics."""
        return _METRIC_TYPES[self]


MESSAGE_ACTIVITIES = frozenset(
    {ActivityType.EMAIL, ActivityType.SMS, ActivityType.PUSH, ActivityType.CUSTOM}
)
# GetJourneyExecutionActivityMetrics names every message activity MESSAGE.
_METRIC_TYPES = {
    ActivityType.EMAIL: "MESSAGE",
    ActivityType.SMS: "MESSAGE",
    ActivityType.PUSH: "MESSAGE",
    ActivityType.CUSTOM: "MESSAGE",
    ActivityType.WAIT: "WAIT",
    ActivityType.CONDITIONAL_SPLIT: "CONDITIONAL_SPLIT",
    ActivityType.MULTI_CONDITION: "MULTI_CONDITIONAL_SPLIT",
    ActivityType.RANDOM_SPLIT: "RANDOM_SPLIT",
    ActivityType.HOLDOUT: "HOLDOUT",
    ActivityType.CONTACT_CENTER: "CONTACT_CENTER",
}

MessageActivity = (
    EmailMessageActivity | SmsMessageActivity | PushMessageActivity | CustomMessageActivity
)


class Activity(PinpointModel):
    """One activity of a journey: exactly one of its settings (and a Description)."""

    custom: CustomMessageActivity | None = Field(default=None, alias="CUSTOM")
    conditional_split: ConditionalSplitActivity | None = None
    description: str | None = None
    email: EmailMessageActivity | None = Field(default=None, alias="EMAIL")
    holdout: HoldoutActivity | None = None
    multi_condition: MultiConditionalSplitActivity | None = None
    push: PushMessageActivity | None = Field(default=None, alias="PUSH")
    random_split: RandomSplitActivity | None = None
    sms: SmsMessageActivity | None = Field(default=None, alias="SMS")
    wait: WaitActivity | None = None
    contact_center: ContactCenterActivity | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Activity:
        given = [kind.value for kind in ActivityType if getattr(self, _ATTRIBUTE[kind])]
        if len(given) != 1:
            raise ValueError(
                "an activity needs exactly one of "
                + ", ".join(kind.value for kind in ActivityType)
                + (f" (it has {', '.join(given)})" if given else "")
            )
        return self

    @property
    def type(self) -> ActivityType:
        for kind in ActivityType:
            if getattr(self, _ATTRIBUTE[kind]) is not None:
                return kind
        raise AssertionError("validated: one setting is given")  # pragma: no cover

    @property
    def settings(self) -> PinpointModel:
        value: PinpointModel = getattr(self, _ATTRIBUTE[self.type])
        return value

    @property
    def message(self) -> MessageActivity | None:
        settings = self.settings
        if isinstance(
            settings,
            EmailMessageActivity | SmsMessageActivity | PushMessageActivity | CustomMessageActivity,
        ):
            return settings
        return None

    def with_settings(self, settings: PinpointModel) -> Activity:
        """This activity with its one setting replaced (same type)."""
        return self.model_copy(update={_ATTRIBUTE[self.type]: settings})

    def next_activities(self) -> list[tuple[str, str]]:
        """Each (field path inside the activity, activity id) this activity leads to."""
        settings = self.settings
        kind = self.type.value
        found: list[tuple[str, str | None]] = []
        if isinstance(settings, ConditionalSplitActivity):
            found += [
                (f"{kind}.TrueActivity", settings.true_activity),
                (f"{kind}.FalseActivity", settings.false_activity),
            ]
        elif isinstance(settings, MultiConditionalSplitActivity):
            found += [
                (f"{kind}.Branches[{i}].NextActivity", branch.next_activity)
                for i, branch in enumerate(settings.branches or [])
            ]
            found.append((f"{kind}.DefaultActivity", settings.default_activity))
        elif isinstance(settings, RandomSplitActivity):
            found += [
                (f"{kind}.Branches[{i}].NextActivity", branch.next_activity)
                for i, branch in enumerate(settings.branches or [])
            ]
        else:
            found.append((f"{kind}.NextActivity", getattr(settings, "next_activity", None)))
        return [(path, target) for path, target in found if target]


_ATTRIBUTE = {
    ActivityType.EMAIL: "email",
    ActivityType.SMS: "sms",
    ActivityType.PUSH: "push",
    ActivityType.CUSTOM: "custom",
    ActivityType.WAIT: "wait",
    ActivityType.CONDITIONAL_SPLIT: "conditional_split",
    ActivityType.MULTI_CONDITION: "multi_condition",
    ActivityType.RANDOM_SPLIT: "random_split",
    ActivityType.HOLDOUT: "holdout",
    ActivityType.CONTACT_CENTER: "contact_center",
}


# -- start condition and channel settings -----------------------------------------------


class EventStartCondition(PinpointModel):
    """Entry on events: the EventFilter's shape is a campaign's (Dimensions and
    FilterType); ``SegmentId``, when given, also requires segment membership."""

    event_filter: CampaignEventFilter | None = None
    segment_id: str | None = None


class StartCondition(PinpointModel):
    description: str | None = None
    event_start_condition: EventStartCondition | None = None
    segment_start_condition: SegmentCondition | None = None

    @model_validator(mode="after")
    def _one(self) -> StartCondition:
        if (self.event_start_condition is None) == (self.segment_start_condition is None):
            raise ValueError("give exactly one of SegmentStartCondition and EventStartCondition")
        if (
            self.event_start_condition is not None
            and self.event_start_condition.event_filter is None
        ):
            raise ValueError("EventStartCondition needs an EventFilter")
        return self


class JourneyChannelSettings(PinpointModel):
    connect_campaign_arn: str | None = None
    connect_campaign_execution_role_arn: str | None = None


# -- the journey ------------------------------------------------------------------------


class _JourneyFields(PinpointModel):
    activities: dict[str, Activity] | None = None
    creation_date: str | None = None
    last_modified_date: str | None = None
    limits: JourneyLimits | None = None
    local_time: bool | None = None
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    quiet_time: QuietTime | None = None
    refresh_frequency: str | None = None
    schedule: JourneySchedule | None = None
    start_activity: str | None = None
    start_condition: StartCondition | None = None
    state: JourneyState | None = None
    wait_for_quiet_time: bool | None = None
    refresh_on_segment_update: bool | None = None
    journey_channel_settings: JourneyChannelSettings | None = None
    sending_schedule: bool | None = None
    open_hours: OpenHours | None = None
    closed_days: ClosedDays | None = None
    timezone_estimation_methods: list[TimezoneEstimationMethod] | None = None

    @field_validator("refresh_frequency")
    @classmethod
    def _refresh(cls, value: str | None) -> str | None:
        return _duration(value)

    @property
    def effective_state(self) -> JourneyState:
        return self.state or JourneyState.DRAFT

    def activity(self, activity_id: str) -> Activity:
        """One activity. Raises KeyError for an id the journey does not have."""
        return (self.activities or {})[activity_id]


class WriteJourneyRequest(_JourneyFields):
    """The CreateJourney / UpdateJourney body."""


class JourneyResponse(_JourneyFields):
    """A stored journey (GetJourney's body)."""

    application_id: str
    id: str
    tags: dict[str, str] | None = Field(default=None, alias="tags")


# -- validation ---------------------------------------------------------------------------


def journey_field_path(loc: tuple[int | str, ...]) -> str:
    """``Activities.welcome.EMAIL.TemplateName``; list items as ``[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or RECORD


def _model(model: type[_JourneyFields], data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem(RECORD, "a journey must be a JSON object")])
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc, journey_field_path)) from None


def validate_journey_request(data: Mapping[str, Any]) -> WriteJourneyRequest:
    """Build a WriteJourneyRequest from Pinpoint JSON, checking every rule: the shapes,
    then the activity graph (:func:`clarion.domain.journeys.graph.graph_problems`).

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule, named by its path
        (``Activities.split.ConditionalSplit.TrueActivity``).
    """
    from clarion.domain.journeys.graph import graph_problems

    request: WriteJourneyRequest = _model(WriteJourneyRequest, data)
    problems = graph_problems(request)
    if problems:
        raise InvalidRecordError(problems)
    return request


def validate_journey_response(data: Mapping[str, Any]) -> JourneyResponse:
    """Read a stored journey (shapes only: it was checked when written).

    Raises InvalidRecordError.
    """
    response: JourneyResponse = _model(JourneyResponse, data)
    return response


def activity_id_problem(activity_id: str) -> str | None:
    """Why an activity id is not one Pinpoint accepts, or None."""
    if len(activity_id) > MAX_ACTIVITY_ID_LENGTH:
        return f"an activity id has at most {MAX_ACTIVITY_ID_LENGTH} characters"
    if not _ACTIVITY_ID.match(activity_id):
        return "an activity id has only letters and digits"
    return None
