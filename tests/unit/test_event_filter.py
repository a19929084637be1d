"""EventFilter matching for EVENT campaigns."""

from __future__ import annotations

from typing import Any

import pytest

from clarion.domain.campaigns.event_filter import event_filter_matches
from clarion.domain.campaigns.model import CampaignEventFilter
from clarion.domain.events.records import EventRecord


def _record(event_type: str = "purchase", **fields: Any) -> EventRecord:
    return EventRecord.model_validate(
        {
            "event_type": event_type,
            "event_timestamp": 1_741_774_800_000,
            "arrival_timestamp": 1_741_774_800_000,
            "application": {"app_id": "app"},
            "client": {"client_id": "ep-1"},
            "event_id": "e1",
            **fields,
        }
    )


def _filter(filter_type: str = "ENDPOINT", **dimensions: Any) -> CampaignEventFilter:
    return CampaignEventFilter.model_validate({"FilterType": filter_type, "Dimensions": dimensions})


def test_event_type_inclusive_and_exclusive():
    inclusive = _filter(EventType={"DimensionType": "INCLUSIVE", "Values": ["purchase"]})
    exclusive = _filter(EventType={"DimensionType": "EXCLUSIVE", "Values": ["purchase"]})
    assert event_filter_matches(inclusive, _record("purchase"))
    assert not event_filter_matches(inclusive, _record("Purchase"))  # case-sensitive
    assert not event_filter_matches(exclusive, _record("purchase"))
    assert event_filter_matches(exclusive, _record("signup"))


def test_filter_type_separates_system_events_from_endpoint_events():
    everything = {"EventType": {"Values": ["_email.open", "purchase"]}}
    system, endpoint = _filter("SYSTEM", **everything), _filter("ENDPOINT", **everything)
    assert event_filter_matches(system, _record("_email.open"))
    assert not event_filter_matches(endpoint, _record("_email.open"))
    assert event_filter_matches(endpoint, _record("purchase"))
    assert not event_filter_matches(system, _record("purchase"))
    # App events with a leading underscore (sessions, purchases) are endpoint events.
    assert event_filter_matches(_filter("ENDPOINT"), _record("_session.start"))


@pytest.mark.parametrize(
    ("dimension", "value", "matches"),
    [
        ({"AttributeType": "INCLUSIVE", "Values": ["gold", "silver"]}, "gold", True),
        ({"Values": ["gold"]}, "bronze", False),
        ({"AttributeType": "EXCLUSIVE", "Values": ["gold"]}, "bronze", True),
        ({"AttributeType": "EXCLUSIVE", "Values": ["gold"]}, None, True),
        ({"AttributeType": "INCLUSIVE", "Values": ["gold"]}, None, False),
        ({"AttributeType": "CONTAINS", "Values": ["ol"]}, "gold", True),
        ({"AttributeType": "BEFORE", "Values": ["2025-03-01T00:00:00Z"]}, "2025-02-01", True),
        ({"AttributeType": "AFTER", "Values": ["2025-03-01T00:00:00Z"]}, "2025-02-01", False),
        ({"AttributeType": "ON", "Values": ["2025-03-01T00:00:00Z"]}, "2025-03-01T15:00:00Z", True),
        (
            {
                "AttributeType": "BETWEEN",
                "Values": ["2025-01-01T00:00:00Z", "2025-12-31T00:00:00Z"],
            },
            "2025-06-01",
            True,
        ),
        ({"AttributeType": "BEFORE", "Values": ["2025-03-01"]}, "not a date", False),
    ],
)
def test_attribute_dimensions(dimension: dict[str, Any], value: str | None, matches: bool):
    event_filter = _filter(Attributes={"tier": dimension})
    attributes = {} if value is None else {"tier": value}
    assert event_filter_matches(event_filter, _record(attributes=attributes)) is matches


@pytest.mark.parametrize(
    ("operator", "value", "matches"),
    [
        ("GREATER_THAN", 50.0, True),
        ("GREATER_THAN", 99.5, False),
        ("GREATER_THAN_OR_EQUAL", 99.5, True),
        ("LESS_THAN", 100.0, True),
        ("LESS_THAN_OR_EQUAL", 99.0, False),
        ("EQUAL", 99.5, True),
    ],
)
def test_metric_dimensions(operator: str, value: float, matches: bool):
    event_filter = _filter(Metrics={"price": {"ComparisonOperator": operator, "Value": value}})
    assert event_filter_matches(event_filter, _record(metrics={"price": 99.5})) is matches
    assert not event_filter_matches(event_filter, _record())  # an absent metric never matches


def test_every_dimension_must_match():
    event_filter = _filter(
        EventType={"Values": ["purchase"]},
        Attributes={"tier": {"Values": ["gold"]}},
        Metrics={"price": {"ComparisonOperator": "GREATER_THAN", "Value": 10}},
    )
    good = _record(attributes={"tier": "gold"}, metrics={"price": 20})
    assert event_filter_matches(event_filter, good)
    assert not event_filter_matches(
        event_filter, _record(attributes={"tier": "gold"}, metrics={"price": 5})
    )
    assert not event_filter_matches(
        event_filter, _record("view", attributes={"tier": "gold"}, metrics={"price": 20})
    )
