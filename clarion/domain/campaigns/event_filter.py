"""Whether an event starts an EVENT campaign (Pinpoint's CampaignEventFilter)."""

from __future__ import annotations

from datetime import datetime

from clarion.domain.audience.endpoint import parse_iso8601
from clarion.domain.campaigns.model import (
    AttributeDimension,
    CampaignEventFilter,
    EventDimensions,
    FilterType,
    MetricDimension,
)
from clarion.domain.events.records import EventRecord
from clarion.domain.segments.model import AttributeType, DimensionType

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
    return event_dimensions_match(event_filter.dimensions, record)


def event_dimensions_match(dimensions: EventDimensions, record: EventRecord) -> bool:
    """Whether ``record`` matches every dimension given (EventType, Attributes, Metrics),
    as an EventFilter reads them (:func:`event_filter_matches`); journeys' event
    conditions read them the same way."""
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
