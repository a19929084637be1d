"""The reference evaluator: segment membership decided in plain Python, one endpoint at a
time, with the semantics :mod:`clarion.domain.segments.sql` states.

It is deliberately written without SQL so that tests can check the compiler against an
independent reading of the same rules (and so a developer can ask "why is this endpoint
in the segment?" without a database).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.segments.model import (
    DURATION_MS,
    AttributeDimension,
    AttributeType,
    ComparisonOperator,
    DimensionType,
    GPSPointDimension,
    RecencyType,
    SegmentDimensions,
    SegmentGroup,
    SegmentResponse,
    SegmentType,
    SetDimension,
    WriteSegmentRequest,
    parse_instant,
)
from clarion.domain.segments.sql import EARTH_RADIUS_KM, SegmentResolver, day_bounds

_COMPARE: dict[ComparisonOperator, Callable[[float, float], bool]] = {
    ComparisonOperator.GREATER_THAN: lambda a, b: a > b,
    ComparisonOperator.LESS_THAN: lambda a, b: a < b,
    ComparisonOperator.GREATER_THAN_OR_EQUAL: lambda a, b: a >= b,
    ComparisonOperator.LESS_THAN_OR_EQUAL: lambda a, b: a <= b,
    ComparisonOperator.EQUAL: lambda a, b: a == b,
}


def _combine(kind: str, results: Iterable[bool]) -> bool:
    values = list(results)
    if not values:
        return True  # an empty list places no condition
    if kind == "ALL":
        return all(values)
    return any(values) if kind == "ANY" else not any(values)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, computed in the same steps as the compiled SQL."""
    a = math.pow(math.sin(math.radians(lat2 - lat1) / 2), 2) + math.cos(
        math.radians(lat1)
    ) * math.cos(math.radians(lat2)) * math.pow(math.sin(math.radians(lon2 - lon1) / 2), 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


class ReferenceEvaluator:
    """Decides segment membership endpoint by endpoint.

    Parameters
    ----------
    resolver
        ``resolver(id, version)`` returns a stored segment or raises NotFoundError.
    as_of
        The end of every Behavior.Recency window.
    imported
        Members of imported segments: segment id → endpoint ids.
    """

    def __init__(
        self,
        resolver: SegmentResolver,
        as_of: datetime,
        imported: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self._resolver = resolver
        self._as_of_ms = int(
            (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp() * 1000
        )
        self._imported = imported or {}
        self._resolved: dict[tuple[str, int | None], SegmentResponse] = {}

    def members(
        self,
        segment: SegmentResponse | WriteSegmentRequest,
        endpoints: Iterable[Endpoint],
        last_active_ms: Mapping[str, int | None] | None = None,
    ) -> set[str]:
        """Ids of the endpoints in ``segment``; ``last_active_ms`` by endpoint id."""
        activity = last_active_ms or {}
        stack = (segment.id,) if isinstance(segment, SegmentResponse) else ()
        return {
            endpoint.id
            for endpoint in endpoints
            if self.matches(segment, endpoint, activity.get(endpoint.id), stack)
        }

    def matches(
        self,
        segment: SegmentResponse | WriteSegmentRequest,
        endpoint: Endpoint,
        last_active_ms: int | None,
        stack: tuple[str, ...] = (),
    ) -> bool:
        """Whether one endpoint is in the segment."""
        if isinstance(segment, SegmentResponse) and segment.segment_type == SegmentType.IMPORT:
            return endpoint.id in self._imported.get(segment.id, ())
        if segment.dimensions is not None and not self.dimensions_match(
            segment.dimensions, endpoint, last_active_ms
        ):
            return False
        groups = segment.segment_groups
        if groups is None:
            return True
        return _combine(
            groups.include.value,
            (
                self._group(
                    group, f"SegmentGroups.Groups[{index}]", endpoint, last_active_ms, stack
                )
                for index, group in enumerate(groups.groups or [])
            ),
        )

    def _group(
        self,
        group: SegmentGroup,
        path: str,
        endpoint: Endpoint,
        last_active_ms: int | None,
        stack: tuple[str, ...],
    ) -> bool:
        sources = []
        for index, ref in enumerate(group.source_segments or []):
            source = self._source(ref.id, ref.version, f"{path}.SourceSegments[{index}].Id", stack)
            sources.append(self.matches(source, endpoint, last_active_ms, (*stack, ref.id)))
        if not _combine(group.source_type.value, sources):
            return False
        return _combine(
            group.type.value,
            (self.dimensions_match(d, endpoint, last_active_ms) for d in group.dimensions or []),
        )

    def _source(
        self, segment_id: str, version: int | None, path: str, stack: tuple[str, ...]
    ) -> SegmentResponse:
        if segment_id in stack:
            chain = " -> ".join((*stack, segment_id))
            raise InvalidRecordError([FieldProblem(path, f"source segments form a cycle: {chain}")])
        key = (segment_id, version)
        if key not in self._resolved:
            try:
                self._resolved[key] = self._resolver(segment_id, version)
            except NotFoundError as exc:
                raise InvalidRecordError([FieldProblem(path, str(exc))]) from None
        return self._resolved[key]

    # -- one SegmentDimensions object -------------------------------------------------

    def dimensions_match(
        self, dims: SegmentDimensions, endpoint: Endpoint, last_active_ms: int | None
    ) -> bool:
        """Whether every criterion of one SegmentDimensions object holds."""
        demographic = endpoint.demographic
        location = endpoint.location
        if dims.demographic is not None:
            fields = {
                "app_version": demographic.app_version if demographic else None,
                "channel": endpoint.channel_type.value if endpoint.channel_type else None,
                # DeviceType reads the device model, as the compiler does.
                "device_type": demographic.model if demographic else None,
                "make": demographic.make if demographic else None,
                "model": demographic.model if demographic else None,
                "platform": demographic.platform if demographic else None,
            }
            for name, value in fields.items():
                dimension = getattr(dims.demographic, name)
                if dimension is not None and not _set_match(dimension, value):
                    return False
        if dims.location is not None:
            if dims.location.country is not None and not _set_match(
                dims.location.country, location.country if location else None
            ):
                return False
            if dims.location.gps_point is not None and not _gps_match(
                dims.location.gps_point,
                location.latitude if location else None,
                location.longitude if location else None,
            ):
                return False
        if dims.behavior is not None and dims.behavior.recency is not None:
            recency = dims.behavior.recency
            start = self._as_of_ms - DURATION_MS[recency.duration]
            active = last_active_ms is not None and start <= last_active_ms <= self._as_of_ms
            if active != (recency.recency_type == RecencyType.ACTIVE):
                return False
        user_attributes = (endpoint.user.user_attributes if endpoint.user else None) or {}
        for given, attributes in (
            (endpoint.attributes or {}, dims.attributes),
            (user_attributes, dims.user_attributes),
        ):
            for name, attribute in (attributes or {}).items():
                if not _attribute_match(attribute, given.get(name)):
                    return False
        for name, metric in (dims.metrics or {}).items():
            number = (endpoint.metrics or {}).get(name)
            if number is None or not _COMPARE[metric.comparison_operator](
                float(number), metric.value
            ):
                return False
        return True


def _set_match(dimension: SetDimension, value: str | None) -> bool:
    listed = value is not None and value in dimension.values
    return listed if dimension.dimension_type == DimensionType.INCLUSIVE else not listed


def _gps_match(point: GPSPointDimension, latitude: float | None, longitude: float | None) -> bool:
    if latitude is None or longitude is None:
        return False
    centre = point.coordinates
    distance = haversine_km(centre.latitude, centre.longitude, latitude, longitude)
    return distance <= point.range_in_kilometers


def _attribute_match(attribute: AttributeDimension, values: list[str] | None) -> bool:
    kind = attribute.attribute_type
    present = values or []
    if kind == AttributeType.INCLUSIVE:
        return any(v in attribute.values for v in present)
    if kind == AttributeType.EXCLUSIVE:
        return not any(v in attribute.values for v in present)
    if kind == AttributeType.CONTAINS:
        return any(text in v for v in present for text in attribute.values)
    bounds = [parse_instant(v) for v in attribute.values]
    moments = [parse_instant(v) for v in present]
    instants = [m for m in moments if m is not None]
    if any(b is None for b in bounds):
        return False
    limits = [b for b in bounds if b is not None]
    if kind == AttributeType.BEFORE:
        return any(m < limits[0] for m in instants)
    if kind == AttributeType.AFTER:
        return any(m > limits[0] for m in instants)
    if kind == AttributeType.BETWEEN:
        return any(limits[0] <= m <= limits[1] for m in instants)
    start, end = day_bounds(limits[0])
    return any(start <= m < end for m in instants)
