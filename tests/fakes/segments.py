"""Segments the tests build: one whose compiled SQL comes close to the size limit."""

from __future__ import annotations

from typing import Any

from clarion.domain.segments import MAX_SEGMENT_SQL_BYTES, MAX_VALUES_PER_DIMENSION

# As many values as a dimension may have, long enough to come close to the SQL limit.
NEAR_LIMIT_CODES = [f"{n:04d}-" + "x" * 175 for n in range(MAX_VALUES_PER_DIMENSION)]


def near_limit_segment(boot: Any) -> dict[str, Any]:
    """A segment of email endpoints excluding as many long attribute values as a
    dimension may have (``NEAR_LIMIT_CODES``): its SQL is over 90% of
    ``MAX_SEGMENT_SQL_BYTES`` and within it."""
    segment: dict[str, Any] = boot.segment_service.create_segment(
        {
            "Name": "long list",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}},
                "UserAttributes": {
                    "Code": {"AttributeType": "EXCLUSIVE", "Values": NEAR_LIMIT_CODES}
                },
            },
        }
    )
    sql_bytes = len(boot.segment_service.compile(segment["Id"]).encode("utf-8"))
    assert 0.9 * MAX_SEGMENT_SQL_BYTES < sql_bytes <= MAX_SEGMENT_SQL_BYTES
    return segment
