"""Segments: Pinpoint's segment shapes (Dimensions, SegmentGroups) and their one
compiler to Trino SQL.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.segments.model import (
        DURATION_MS,
        MAX_DIMENSIONS,
        MAX_VALUES_PER_DIMENSION,
        AttributeDimension,
        AttributeType,
        ComparisonOperator,
        DimensionType,
        GPSPointDimension,
        ImportFormat,
        Include,
        RecencyType,
        SegmentDimensions,
        SegmentGroup,
        SegmentResponse,
        SegmentType,
        SetDimension,
        SourceType,
        WriteSegmentRequest,
        iter_dimensions,
        parse_instant,
        validate_segment_response,
        validate_write_request,
    )
    from clarion.domain.segments.sql import (
        ATHENA_MAX_QUERY_BYTES,
        EARTH_RADIUS_KM,
        MAX_SEGMENT_SQL_BYTES,
        SegmentResolver,
        check_sql_size,
        compile_segment,
        day_bounds,
    )

_HOMES: dict[str, str] = {
    "ATHENA_MAX_QUERY_BYTES": "clarion.domain.segments.sql",
    "AttributeDimension": "clarion.domain.segments.model",
    "AttributeType": "clarion.domain.segments.model",
    "ComparisonOperator": "clarion.domain.segments.model",
    "DURATION_MS": "clarion.domain.segments.model",
    "DimensionType": "clarion.domain.segments.model",
    "EARTH_RADIUS_KM": "clarion.domain.segments.sql",
    "GPSPointDimension": "clarion.domain.segments.model",
    "ImportFormat": "clarion.domain.segments.model",
    "Include": "clarion.domain.segments.model",
    "MAX_DIMENSIONS": "clarion.domain.segments.model",
    "MAX_SEGMENT_SQL_BYTES": "clarion.domain.segments.sql",
    "MAX_VALUES_PER_DIMENSION": "clarion.domain.segments.model",
    "RecencyType": "clarion.domain.segments.model",
    "SegmentDimensions": "clarion.domain.segments.model",
    "SegmentGroup": "clarion.domain.segments.model",
    "SegmentResolver": "clarion.domain.segments.sql",
    "SegmentResponse": "clarion.domain.segments.model",
    "SegmentType": "clarion.domain.segments.model",
    "SetDimension": "clarion.domain.segments.model",
    "SourceType": "clarion.domain.segments.model",
    "WriteSegmentRequest": "clarion.domain.segments.model",
    "check_sql_size": "clarion.domain.segments.sql",
    "compile_segment": "clarion.domain.segments.sql",
    "day_bounds": "clarion.domain.segments.sql",
    "iter_dimensions": "clarion.domain.segments.model",
    "parse_instant": "clarion.domain.segments.model",
    "validate_segment_response": "clarion.domain.segments.model",
    "validate_write_request": "clarion.domain.segments.model",
}

__all__ = [
    "ATHENA_MAX_QUERY_BYTES",
    "DURATION_MS",
    "EARTH_RADIUS_KM",
    "MAX_DIMENSIONS",
    "MAX_SEGMENT_SQL_BYTES",
    "MAX_VALUES_PER_DIMENSION",
    "AttributeDimension",
    "AttributeType",
    "ComparisonOperator",
    "DimensionType",
    "GPSPointDimension",
    "ImportFormat",
    "Include",
    "RecencyType",
    "SegmentDimensions",
    "SegmentGroup",
    "SegmentResolver",
    "SegmentResponse",
    "SegmentType",
    "SetDimension",
    "SourceType",
    "WriteSegmentRequest",
    "check_sql_size",
    "compile_segment",
    "day_bounds",
    "iter_dimensions",
    "parse_instant",
    "validate_segment_response",
    "validate_write_request",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
