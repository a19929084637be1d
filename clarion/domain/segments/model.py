"""Pinpoint segments: the WriteSegmentRequest body and the stored SegmentResponse.

Field names and enums are those of the botocore ``pinpoint`` model (``SegmentDimensions``,
``SegmentGroupList``, ``AttributeDimension``...), so segment definitions saved from
Pinpoint (``aws pinpoint get-segment``) load unchanged. What a segment *means* (which
endpoints it selects) is in :mod:`clarion.domain.segments.sql` and docs/segments.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import RECORD, PinpointModel, validation_problems

MAX_DIMENSIONS = 100
# Values in one criterion (a SetDimension's or an AttributeDimension's Values). Each value
# becomes a literal of the one query the segment compiles to, and Athena takes a query of
# at most 262,144 bytes; a thousand values of a hundred characters stay well inside it.
MAX_VALUES_PER_DIMENSION = 1000


class DimensionType(StrEnum):
    INCLUSIVE = "INCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"


class AttributeType(StrEnum):
    INCLUSIVE = "INCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    CONTAINS = "CONTAINS"
    BEFORE = "BEFORE"
    AFTER = "AFTER"
    ON = "ON"
    BETWEEN = "BETWEEN"


class ComparisonOperator(StrEnum):
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_OR_EQUAL = "GREATER_THAN_OR_EQUAL"
    LESS_THAN_OR_EQUAL = "LESS_THAN_OR_EQUAL"
    EQUAL = "EQUAL"


class Duration(StrEnum):
    HR_24 = "HR_24"
    DAY_7 = "DAY_7"
    DAY_14 = "DAY_14"
    DAY_30 = "DAY_30"


DURATION_MS: dict[Duration, int] = {
    Duration.HR_24: 24 * 3600 * 1000,
    Duration.DAY_7: 7 * 24 * 3600 * 1000,
    Duration.DAY_14: 14 * 24 * 3600 * 1000,
    Duration.DAY_30: 30 * 24 * 3600 * 1000,
}


class RecencyType(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Include(StrEnum):
    ALL = "ALL"
    ANY = "ANY"
    NONE = "NONE"


class SourceType(StrEnum):
    ALL = "ALL"
    ANY = "ANY"
    NONE = "NONE"


class GroupType(StrEnum):
    """The ``Type`` of a SegmentGroup (botocore calls the shape ``Type``)."""

    ALL = "ALL"
    ANY = "ANY"
    NONE = "NONE"


class SegmentType(StrEnum):
    DIMENSIONAL = "DIMENSIONAL"
    IMPORT = "IMPORT"


class ImportFormat(StrEnum):
    CSV = "CSV"
    JSON = "JSON"


# ISO-8601 as the three engines (Python, Trino's from_iso8601_timestamp, DuckDB's cast)
# all read it the same way: a date, or a date and time to the millisecond with an
# optional offset. Values outside this grammar never match a date comparison.
ISO_INSTANT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,3})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)
_ISO_INSTANT = re.compile(ISO_INSTANT_PATTERN)


def parse_instant(value: str) -> datetime | None:
    """The UTC instant an attribute value names, or None when it is not one.

    Naive values are UTC. Only :data:`ISO_INSTANT_PATTERN` is accepted, so that the
    reference evaluator, Trino and DuckDB agree on which values are dates.
    """
    if not _ISO_INSTANT.match(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


class _SegmentModel(PinpointModel):
    model_config = ConfigDict(use_enum_values=False)


class SetDimension(_SegmentModel):
    dimension_type: DimensionType = DimensionType.INCLUSIVE
    values: list[str] = Field(min_length=1)


class AttributeDimension(_SegmentModel):
    attribute_type: AttributeType = AttributeType.INCLUSIVE
    values: list[str] = Field(min_length=1)


class MetricDimension(_SegmentModel):
    comparison_operator: ComparisonOperator
    value: float = Field(allow_inf_nan=False)


class GPSCoordinates(_SegmentModel):
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)


class GPSPointDimension(_SegmentModel):
    coordinates: GPSCoordinates
    # Optional in botocore, but a point with no range selects nobody useful; Clarion
    # asks for it rather than guessing a default.
    range_in_kilometers: float = Field(gt=0, le=20038, allow_inf_nan=False)


class RecencyDimension(_SegmentModel):
    duration: Duration
    recency_type: RecencyType


class SegmentBehaviors(_SegmentModel):
    recency: RecencyDimension | None = None


class SegmentDemographics(_SegmentModel):
    app_version: SetDimension | None = None
    channel: SetDimension | None = None
    device_type: SetDimension | None = None
    make: SetDimension | None = None
    model: SetDimension | None = None
    platform: SetDimension | None = None


class SegmentLocation(_SegmentModel):
    country: SetDimension | None = None
    gps_point: GPSPointDimension | None = Field(default=None, alias="GPSPoint")


class SegmentDimensions(_SegmentModel):
    attributes: dict[str, AttributeDimension] | None = None
    behavior: SegmentBehaviors | None = None
    demographic: SegmentDemographics | None = None
    location: SegmentLocation | None = None
    metrics: dict[str, MetricDimension] | None = None
    user_attributes: dict[str, AttributeDimension] | None = None

    def count(self) -> int:
        """How many criteria this object holds (each counts toward the limit of 100)."""
        total = len(self.attributes or {}) + len(self.user_attributes or {})
        total += len(self.metrics or {})
        if self.behavior and self.behavior.recency:
            total += 1
        if self.demographic:
            total += sum(
                1 for name in SegmentDemographics.model_fields if getattr(self.demographic, name)
            )
        if self.location:
            total += (self.location.country is not None) + (self.location.gps_point is not None)
        return total


class SegmentReference(_SegmentModel):
    id: str = Field(min_length=1)
    version: int | None = Field(default=None, ge=1)


class SegmentGroup(_SegmentModel):
    dimensions: list[SegmentDimensions] | None = None
    source_segments: list[SegmentReference] | None = None
    source_type: SourceType = SourceType.ALL
    type: GroupType = GroupType.ALL


class SegmentGroupList(_SegmentModel):
    groups: list[SegmentGroup] | None = None
    include: Include = Include.ALL


class SegmentImportResource(_SegmentModel):
    """Where an imported segment came from. botocore marks every field but ChannelCounts
    as required; imports from a local file have no RoleArn, so Clarion relaxes that."""

    channel_counts: dict[str, int] | None = None
    external_id: str | None = None
    format: ImportFormat = ImportFormat.CSV
    role_arn: str | None = None
    s3_url: str | None = Field(default=None, alias="S3Url")
    size: int = 0


class _SegmentBody(_SegmentModel):
    name: str | None = None
    dimensions: SegmentDimensions | None = None
    segment_groups: SegmentGroupList | None = None
    tags: dict[str, str] | None = Field(default=None, alias="tags")


class WriteSegmentRequest(_SegmentBody):
    """The body of CreateSegment and UpdateSegment."""


class SegmentResponse(_SegmentBody):
    """One stored version of a segment."""

    id: str
    version: int = Field(ge=1)
    segment_type: SegmentType
    creation_date: str
    last_modified_date: str | None = None
    import_definition: SegmentImportResource | None = None
    application_id: str | None = None
    arn: str | None = None


def iter_dimensions(
    segment: _SegmentBody,
) -> Iterator[tuple[str, SegmentDimensions]]:
    """Every SegmentDimensions object in a segment, with its dotted path."""
    if segment.dimensions is not None:
        yield "Dimensions", segment.dimensions
    if segment.segment_groups is not None:
        for g, group in enumerate(segment.segment_groups.groups or []):
            for d, dims in enumerate(group.dimensions or []):
                yield f"SegmentGroups.Groups[{g}].Dimensions[{d}]", dims


def _value_lists(path: str, dims: SegmentDimensions) -> Iterator[tuple[str, list[str]]]:
    """Every Values list of one SegmentDimensions object, with its dotted path."""
    for group, holder in (("Demographic", dims.demographic), ("Location", dims.location)):
        if holder is None:
            continue
        for name, info in type(holder).model_fields.items():
            dimension = getattr(holder, name)
            if isinstance(dimension, SetDimension):
                yield f"{path}.{group}.{info.alias or name}.Values", dimension.values
    for kind, attributes in (
        ("Attributes", dims.attributes),
        ("UserAttributes", dims.user_attributes),
    ):
        for name, attribute in (attributes or {}).items():
            yield f"{path}.{kind}.{name}.Values", attribute.values


def _semantic_problems(segment: _SegmentBody) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    total = 0
    for path, dims in iter_dimensions(segment):
        total += dims.count()
        for field, values in _value_lists(path, dims):
            if len(values) > MAX_VALUES_PER_DIMENSION:
                problems.append(
                    FieldProblem(
                        field,
                        f"{len(values)} values; a dimension may have at most "
                        f"{MAX_VALUES_PER_DIMENSION}",
                    )
                )
        for kind, attributes in (
            ("Attributes", dims.attributes),
            ("UserAttributes", dims.user_attributes),
        ):
            for name, attribute in (attributes or {}).items():
                field = f"{path}.{kind}.{name}.Values"
                kind_of = attribute.attribute_type
                if kind_of == AttributeType.BETWEEN and len(attribute.values) != 2:
                    problems.append(FieldProblem(field, "BETWEEN takes exactly two values"))
                elif (
                    kind_of in (AttributeType.BEFORE, AttributeType.AFTER, AttributeType.ON)
                    and len(attribute.values) != 1
                ):
                    problems.append(FieldProblem(field, f"{kind_of.value} takes exactly one value"))
                if kind_of in (
                    AttributeType.BEFORE,
                    AttributeType.AFTER,
                    AttributeType.ON,
                    AttributeType.BETWEEN,
                ):
                    for value in attribute.values:
                        if parse_instant(value) is None:
                            problems.append(
                                FieldProblem(
                                    field,
                                    f"{value!r} is not an ISO-8601 date or timestamp "
                                    "(such as 2024-05-01 or 2024-05-01T12:00:00Z)",
                                )
                            )
                if kind_of == AttributeType.BETWEEN and len(attribute.values) == 2:
                    low, high = (parse_instant(v) for v in attribute.values)
                    if low is not None and high is not None and low > high:
                        problems.append(FieldProblem(field, "BETWEEN needs the earlier date first"))
    if total > MAX_DIMENSIONS:
        problems.append(
            FieldProblem("Dimensions", f"{total} dimensions; a segment may have {MAX_DIMENSIONS}")
        )
    return problems


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or RECORD


def _validate(model: type[_SegmentBody], data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "a segment must be a JSON object")])
    try:
        segment = model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc, _field_path)) from None
    problems = _semantic_problems(segment)
    if problems:
        raise InvalidRecordError(problems)
    return segment


def validate_write_request(data: Mapping[str, Any]) -> WriteSegmentRequest:
    """Build a WriteSegmentRequest from Pinpoint JSON, checking every rule.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule, named by dotted path
        (``SegmentGroups.Groups[0].Dimensions[1].Attributes.Plan.Values``).
    """
    result: WriteSegmentRequest = _validate(WriteSegmentRequest, data)
    return result


def validate_segment_response(data: Mapping[str, Any]) -> SegmentResponse:
    """Build a stored SegmentResponse (same checks as :func:`validate_write_request`)."""
    result: SegmentResponse = _validate(SegmentResponse, data)
    return result
