"""Segment request validation: Pinpoint's field names and enums, and clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.segments.model import (
    AttributeType,
    Include,
    SourceType,
    parse_instant,
    validate_segment_response,
    validate_write_request,
)


def _problems(body: Any) -> dict[str, str]:
    with pytest.raises(InvalidRecordError) as caught:
        validate_write_request(body)
    return {p.field: p.reason for p in caught.value.problems}


def test_a_full_pinpoint_body_round_trips_with_pinpoint_names() -> None:
    body = {
        "Name": "everything",
        "Dimensions": {
            "Demographic": {
                "Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]},
                "DeviceType": {"DimensionType": "EXCLUSIVE", "Values": ["iPad"]},
            },
            "Location": {
                "Country": {"DimensionType": "INCLUSIVE", "Values": ["FR"]},
                "GPSPoint": {
                    "Coordinates": {"Latitude": 48.85, "Longitude": 2.35},
                    "RangeInKilometers": 10.0,
                },
            },
            "Behavior": {"Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"}},
            "Attributes": {"Plan": {"AttributeType": "CONTAINS", "Values": ["gold"]}},
            "UserAttributes": {
                "Joined": {"AttributeType": "BETWEEN", "Values": ["2024-01-01", "2024-02-01"]}
            },
            "Metrics": {"score": {"ComparisonOperator": "GREATER_THAN", "Value": 3.0}},
        },
        "SegmentGroups": {
            "Include": "ANY",
            "Groups": [
                {
                    "SourceSegments": [{"Id": "abc", "Version": 2}],
                    "SourceType": "ANY",
                    "Type": "NONE",
                    "Dimensions": [],
                }
            ],
        },
        "tags": {"team": "growth"},
    }

    request = validate_write_request(body)

    assert request.to_pinpoint() == body
    assert request.segment_groups is not None
    assert request.segment_groups.include == Include.ANY
    assert request.segment_groups.groups is not None
    assert request.segment_groups.groups[0].source_type == SourceType.ANY


def test_defaults_are_inclusive_and_all() -> None:
    request = validate_write_request(
        {
            "Dimensions": {"Attributes": {"Plan": {"Values": ["gold"]}}},
            "SegmentGroups": {"Groups": [{}]},
        }
    )
    assert request.dimensions is not None and request.dimensions.attributes is not None
    assert request.dimensions.attributes["Plan"].attribute_type == AttributeType.INCLUSIVE
    assert request.segment_groups is not None and request.segment_groups.include == Include.ALL


def test_unknown_enum_names_the_field() -> None:
    problems = _problems(
        {"Dimensions": {"Attributes": {"Plan": {"AttributeType": "LIKE", "Values": ["a"]}}}}
    )
    assert "Dimensions.Attributes.Plan.AttributeType" in problems


def test_unknown_metric_operator_and_recency_duration() -> None:
    problems = _problems(
        {
            "Dimensions": {
                "Metrics": {"m": {"ComparisonOperator": "BIGGER", "Value": 1}},
                "Behavior": {"Recency": {"Duration": "DAY_90", "RecencyType": "ACTIVE"}},
            }
        }
    )
    assert set(problems) == {
        "Dimensions.Metrics.m.ComparisonOperator",
        "Dimensions.Behavior.Recency.Duration",
    }


def test_between_needs_two_dates_in_order() -> None:
    assert (
        "exactly two"
        in _problems(
            {
                "Dimensions": {
                    "Attributes": {"D": {"AttributeType": "BETWEEN", "Values": ["2024-01-01"]}}
                }
            }
        )["Dimensions.Attributes.D.Values"]
    )
    assert (
        "earlier date first"
        in _problems(
            {
                "Dimensions": {
                    "Attributes": {
                        "D": {"AttributeType": "BETWEEN", "Values": ["2024-02-01", "2024-01-01"]}
                    }
                }
            }
        )["Dimensions.Attributes.D.Values"]
    )


def test_date_comparisons_need_iso_dates() -> None:
    problems = _problems(
        {
            "SegmentGroups": {
                "Groups": [
                    {
                        "Dimensions": [
                            {"UserAttributes": {"D": {"AttributeType": "ON", "Values": ["May 1"]}}}
                        ]
                    }
                ]
            }
        }
    )
    assert (
        "not an ISO-8601 date"
        in problems["SegmentGroups.Groups[0].Dimensions[0].UserAttributes.D.Values"]
    )


def test_gps_point_ranges() -> None:
    problems = _problems(
        {
            "Dimensions": {
                "Location": {
                    "GPSPoint": {
                        "Coordinates": {"Latitude": 91, "Longitude": -181},
                        "RangeInKilometers": 0,
                    }
                }
            }
        }
    )
    assert set(problems) == {
        "Dimensions.Location.GPSPoint.Coordinates.Latitude",
        "Dimensions.Location.GPSPoint.Coordinates.Longitude",
        "Dimensions.Location.GPSPoint.RangeInKilometers",
    }


def test_at_most_one_hundred_dimensions() -> None:
    many = {f"a{i}": {"Values": ["x"]} for i in range(60)}
    ok = {"Dimensions": {"Attributes": many}}
    validate_write_request(ok)
    too_many = {
        "Dimensions": {"Attributes": many},
        "SegmentGroups": {"Groups": [{"Dimensions": [{"UserAttributes": many}]}]},
    }
    assert "120 dimensions" in _problems(too_many)["Dimensions"]


def test_unknown_fields_and_non_objects_are_rejected() -> None:
    assert "Dimensions.Demographic.Colour" in _problems(
        {"Dimensions": {"Demographic": {"Colour": {"Values": ["red"]}}}}
    )
    assert "(record)" in _problems(["not", "an", "object"])


def test_stored_segment_needs_type_and_id() -> None:
    with pytest.raises(InvalidRecordError) as caught:
        validate_segment_response({"Name": "x", "Version": 1})
    fields = {p.field for p in caught.value.problems}
    assert {"Id", "SegmentType", "CreationDate"} <= fields


@pytest.mark.parametrize(
    ("text", "parses"),
    [
        ("2024-03-01", True),
        ("2024-03-01T10:00:00Z", True),
        ("2024-03-01T10:00:00.123+05:30", True),
        ("2024-03-01T10:00", True),
        ("2024-02-30", False),
        ("2024-03-01T10:00:00.1234Z", False),
        ("20240301", False),
        (" 2024-03-01", False),
        ("2024-03-01T24:00:00Z", False),
    ],
)
def test_parse_instant_accepts_only_the_shared_grammar(text: str, parses: bool) -> None:
    assert (parse_instant(text) is not None) is parses


def test_a_dimension_of_ten_thousand_values_is_refused_naming_it_and_the_count() -> None:
    from clarion.domain.segments.model import MAX_VALUES_PER_DIMENSION

    values = [f"customer-{n}" for n in range(10_000)]
    problems = _problems(
        {
            "Name": "too long",
            "Dimensions": {
                "Demographic": {"Platform": {"Values": ["ios"]}},
                "UserAttributes": {"CustomerId": {"AttributeType": "INCLUSIVE", "Values": values}},
            },
            "SegmentGroups": {
                "Groups": [{"Dimensions": [{"Location": {"Country": {"Values": values}}}]}]
            },
        }
    )

    assert problems == {
        "Dimensions.UserAttributes.CustomerId.Values": (
            f"10000 values; a dimension may have at most {MAX_VALUES_PER_DIMENSION}"
        ),
        "SegmentGroups.Groups[0].Dimensions[0].Location.Country.Values": (
            f"10000 values; a dimension may have at most {MAX_VALUES_PER_DIMENSION}"
        ),
    }


def test_a_dimension_at_the_values_limit_is_accepted() -> None:
    from clarion.domain.segments.model import MAX_VALUES_PER_DIMENSION

    values = [str(n) for n in range(MAX_VALUES_PER_DIMENSION)]
    body = validate_write_request(
        {"Name": "at the limit", "Dimensions": {"Demographic": {"AppVersion": {"Values": values}}}}
    )

    assert body.dimensions is not None and body.dimensions.demographic is not None
    assert body.dimensions.demographic.app_version is not None
    assert len(body.dimensions.demographic.app_version.values) == MAX_VALUES_PER_DIMENSION
