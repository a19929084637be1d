"""Conversion goals: which events count as a conversion after a message, for how long,
and who gets the credit.

Pinpoint's WriteCampaignRequest has no place for them (botocore's model refuses unknown
fields in a CreateCampaign body, and the CLI reads the same JSON), so Clarion keeps
goals as a resource of their own, one document per scope: a campaign
(``campaign:<id>``), or the project (``project``, the default for campaigns without
goals of their own). A journey scope (``journey:<id>``) is reserved for the journeys
feature. The document is PascalCase JSON like Pinpoint's::

    {"Goals": [{
        "Name": "purchase",
        "EventFilter": {                       # Pinpoint's CampaignEventFilter shape
            "FilterType": "ENDPOINT",
            "Dimensions": {
                "EventType": {"DimensionType": "INCLUSIVE",
                              "Values": ["_monetization.purchase"]},
                "Attributes": {"_product_id": {"AttributeType": "INCLUSIVE",
                                               "Values": ["sku-1"]}},
                "Metrics": {"_item_price": {"ComparisonOperator": "GREATER_THAN",
                                            "Value": 0}}}},
        "AttributionWindow": "P7D",            # ISO-8601 duration, default 7 days
        "AttributionModel": "LAST_TOUCH",      # or FIRST_TOUCH
        "RevenueMetric": null,                 # default: _item_price x _quantity
        "Currency": "USD"}]}

docs/analytics.md states the rules; :mod:`clarion.domain.analytics.goal_sql` turns goals
into the SQL that finds their events.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from clarion.domain.campaigns.event_filter import is_system_event
from clarion.domain.campaigns.model import CampaignEventFilter, FilterType
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import PinpointModel, validation_problems
from clarion.domain.segments.model import AttributeType, DimensionType

PROJECT_SCOPE = "project"
CAMPAIGN_SCOPE_PREFIX = "campaign:"
JOURNEY_SCOPE_PREFIX = "journey:"
MAX_GOALS = 10
DEFAULT_WINDOW = "P7D"
MAX_WINDOW = timedelta(days=366)
DEFAULT_CURRENCY = "USD"
# Event attributes compared as text: the date comparisons of the EventFilter shape
# (BEFORE, AFTER, ON, BETWEEN) are not offered for goals (see docs/analytics.md).
GOAL_ATTRIBUTE_TYPES = frozenset(
    {AttributeType.INCLUSIVE, AttributeType.EXCLUSIVE, AttributeType.CONTAINS, None}
)
GOAL_ATTRIBUTE_TYPES_TEXT = "INCLUSIVE, EXCLUSIVE or CONTAINS"

_GOAL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W|(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?)$"
)


class AttributionModel(StrEnum):
    """Which message gets a conversion when several came before it in the window."""

    LAST_TOUCH = "LAST_TOUCH"
    FIRST_TOUCH = "FIRST_TOUCH"


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of weeks, days, hours, minutes and seconds (``P7D``,
    ``PT12H``, ``P1DT6H``, ``P2W``); years and months are refused (their length varies).

    Raises ValueError.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as P7D or PT12H")
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    return timedelta(**parts)


def campaign_scope(campaign_id: str) -> str:
    """The goals scope of one campaign."""
    if not campaign_id:
        raise ValueError("a campaign id is required")
    return CAMPAIGN_SCOPE_PREFIX + campaign_id


def check_scope(scope: str) -> str:
    """``scope`` if it is ``project``, ``campaign:<id>`` or ``journey:<id>``; else
    ValueError."""
    if scope == PROJECT_SCOPE:
        return scope
    for prefix in (CAMPAIGN_SCOPE_PREFIX, JOURNEY_SCOPE_PREFIX):
        if scope.startswith(prefix) and len(scope) > len(prefix):
            return scope
    raise ValueError(f"{scope!r} is not a goals scope (project, campaign:<id> or journey:<id>)")


class ConversionGoal(PinpointModel):
    """One goal: the events that count (an EventFilter), the window and the model."""

    model_config = ConfigDict(frozen=True)

    name: str
    event_filter: CampaignEventFilter
    attribution_window: str = DEFAULT_WINDOW
    attribution_model: AttributionModel = AttributionModel.LAST_TOUCH
    revenue_metric: str | None = None
    currency: str = DEFAULT_CURRENCY

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _GOAL_NAME.fullmatch(value):
            raise ValueError("must be 1-50 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("attribution_window")
    @classmethod
    def _window(cls, value: str) -> str:
        length = parse_duration(value)
        if not timedelta(minutes=1) <= length <= MAX_WINDOW:
            raise ValueError("must be between one minute (PT1M) and 366 days (P366D)")
        return value

    @field_validator("revenue_metric")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value) <= 50:
            raise ValueError("must be a metric name of 1-50 characters")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not _CURRENCY.fullmatch(value):
            raise ValueError("must be an ISO 4217 code such as USD")
        return value

    @field_validator("event_filter")
    @classmethod
    def _filter(cls, value: CampaignEventFilter) -> CampaignEventFilter:
        dimensions = value.dimensions
        kind = dimensions.event_type
        if kind is None or not kind.values:
            raise ValueError("Dimensions.EventType: a goal names one or more event types")
        if kind.dimension_type not in (None, DimensionType.INCLUSIVE):
            raise ValueError(
                "Dimensions.EventType.DimensionType: a goal lists its events (INCLUSIVE)"
            )
        if any(not name or len(name) > 50 for name in kind.values):
            raise ValueError("Dimensions.EventType.Values: event types are 1-50 characters")
        system = value.filter_type == FilterType.SYSTEM
        if not any(is_system_event(name) == system for name in kind.values):
            raise ValueError(
                f"Dimensions.EventType.Values: no {value.filter_type.value} event listed "
                "(SYSTEM matches _email., _SMS., _campaign. ... events, ENDPOINT the others)"
            )
        for name, attribute in (dimensions.attributes or {}).items():
            if attribute.attribute_type not in GOAL_ATTRIBUTE_TYPES:
                raise ValueError(
                    f"Dimensions.Attributes.{name}.AttributeType: "
                    f"{attribute.attribute_type} is not {GOAL_ATTRIBUTE_TYPES_TEXT} in a goal"
                )
            if not attribute.values or any(not v for v in attribute.values):
                raise ValueError(f"Dimensions.Attributes.{name}.Values: non-empty values")
        for name, metric in (dimensions.metrics or {}).items():
            if not math.isfinite(metric.value):
                raise ValueError(f"Dimensions.Metrics.{name}.Value: must be a finite number")
        return value

    @property
    def window(self) -> timedelta:
        return parse_duration(self.attribution_window)

    @property
    def window_ms(self) -> int:
        return int(self.window.total_seconds() * 1000)

    @property
    def event_types(self) -> tuple[str, ...]:
        """The listed event types this goal's FilterType lets through (SYSTEM or not)."""
        values = self.event_filter.dimensions.event_type
        system = self.event_filter.filter_type == FilterType.SYSTEM
        names = values.values if values else []
        return tuple(dict.fromkeys(n for n in names if is_system_event(n) == system))


class ConversionGoals(PinpointModel):
    """The goals of one scope (a request body: ``{"Goals": [...]}``)."""

    model_config = ConfigDict(frozen=True)

    goals: list[ConversionGoal] = Field(min_length=1, max_length=MAX_GOALS)

    @model_validator(mode="after")
    def _unique_names(self) -> ConversionGoals:
        names = [goal.name for goal in self.goals]
        if len(set(names)) != len(names):
            raise ValueError("Goals: goal names must be unique")
        return self


DEFAULT_GOALS = ConversionGoals(
    goals=[
        ConversionGoal(
            name="purchase",
            event_filter=CampaignEventFilter.model_validate(
                {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {
                        "EventType": {
                            "DimensionType": "INCLUSIVE",
                            "Values": ["_monetization.purchase"],
                        }
                    },
                }
            ),
        )
    ]
)
"""What applies when neither the campaign nor the project has goals: purchases within
7 days, last touch, revenue from ``_item_price`` x ``_quantity``, in USD."""


def _path(loc: tuple[int | str, ...]) -> str:
    # Goals.0.EventFilter.Dimensions -> Goals[0].EventFilter.Dimensions
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "(record)"


def validate_goals(body: Mapping[str, Any]) -> ConversionGoals:
    """The goals of a request body (``{"Goals": [...]}``; a stored document's ``Scope``,
    ``Version`` and ``LastModifiedDate`` are ignored).

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule, named by its path (``Goals[0].Currency``).
    """
    if not isinstance(body, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    data = {k: v for k, v in body.items() if k not in ("Scope", "Version", "LastModifiedDate")}
    try:
        return ConversionGoals.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc, _path)) from None


def goals_identity(document: Mapping[str, Any]) -> tuple[str, int]:
    """The ``(Scope, Version)`` of a stored goals document.

    Raises
    ------
    ValueError
        For a scope that is not one, or a Version that is not a positive integer.
    """
    scope = document.get("Scope")
    if not isinstance(scope, str):
        raise ValueError("goals Scope: is required (project, campaign:<id> or journey:<id>)")
    check_scope(scope)
    version = document.get("Version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"goals {scope!r} Version: must be a positive integer")
    return scope, version
