"""Segments compiled to SQL: one Trino-dialect query that Athena runs as written and the
local backend runs after sqlglot transpiles it to DuckDB.

The query reads two relations: ``endpoints`` (columns in
:mod:`clarion.domain.audience.rows`) and ``imported_segment_members(segment_id,
endpoint_id)``. It is ``SELECT id FROM endpoints WHERE <condition>``, where the condition
is built from the segment as follows (docs/segments.md has examples):

- Top-level ``Dimensions`` and ``SegmentGroups`` must both hold when both are given.
- One ``SegmentDimensions`` object holds when every criterion in it holds.
- A group holds when its sources hold (``SourceType`` ALL: in every source segment; ANY:
  in at least one; NONE: in none) and its ``Dimensions`` list holds (``Type`` ALL, ANY or
  NONE of the objects). ``Include`` combines the groups the same way. An empty or
  missing list places no condition.
- Source segments are compiled recursively (a cycle is an error); an imported source
  reads its members from ``imported_segment_members``.
- Matching is case-sensitive. Attribute values are lists: INCLUSIVE holds when any value
  is listed; EXCLUSIVE when none is (so an endpoint without the attribute is EXCLUSIVE);
  CONTAINS when any value contains any listed text. BEFORE, AFTER, BETWEEN (inclusive)
  and ON (same UTC calendar day) compare ISO-8601 instants; values that are not one
  (see :data:`clarion.domain.segments.model.ISO_INSTANT_PATTERN`) never match.
- Demographic and Location.Country INCLUSIVE hold when the field is one of the values,
  EXCLUSIVE when it is not (a missing field is EXCLUSIVE). ``DeviceType`` compares with
  ``Demographic.Model`` (the device model, such as ``iPhone``): Pinpoint endpoints have
  no separate device-type field.
- Location.GPSPoint holds when the great-circle (haversine) distance from Coordinates is
  at most RangeInKilometers; endpoints without coordinates do not match.
- Behavior.Recency ACTIVE holds when ``last_active_ms`` falls in the Duration ending at
  ``as_of`` (both ends included); INACTIVE when it does not, or is unknown.
- Metrics compare numbers; an endpoint without the metric never matches.
- OptOut and EndpointStatus do not affect membership: sending skips those endpoints.

Every leaf is wrapped in ``COALESCE(..., FALSE)`` so that NOT, NONE and EXCLUSIVE see
two-valued logic, and maps are read with ``element_at`` (a missing key is NULL on Trino
rather than an error). User text reaches the SQL only as quoted literals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.segments.model import (
    DURATION_MS,
    ISO_INSTANT_PATTERN,
    AttributeDimension,
    AttributeType,
    ComparisonOperator,
    DimensionType,
    GPSPointDimension,
    RecencyDimension,
    RecencyType,
    SegmentDimensions,
    SegmentGroup,
    SegmentGroupList,
    SegmentResponse,
    SegmentType,
    SetDimension,
    WriteSegmentRequest,
    parse_instant,
)

EARTH_RADIUS_KM = 6371.0088

ATHENA_MAX_QUERY_BYTES = 262_144
"""Athena's limit on a query string (UTF-8 bytes)."""

MAX_SEGMENT_SQL_BYTES = 200_000
"""The most UTF-8 bytes a segment may compile to. Below Athena's limit by what the
queries built around a segment add: the project scope, the campaign run's batching, the
launch's dry run with a count per template field."""

SegmentResolver = Callable[[str, "int | None"], SegmentResponse]
"""Looks up a segment by id and optional version; raises NotFoundError."""

# Demographic field → endpoints column. DeviceType reads the device model: see above.
DEMOGRAPHIC_COLUMNS: dict[str, str] = {
    "app_version": "demographic_app_version",
    "channel": "channel_type",
    "device_type": "demographic_model",
    "make": "demographic_make",
    "model": "demographic_model",
    "platform": "demographic_platform",
}

_METRIC_OPERATORS: dict[ComparisonOperator, str] = {
    ComparisonOperator.GREATER_THAN: ">",
    ComparisonOperator.LESS_THAN: "<",
    ComparisonOperator.GREATER_THAN_OR_EQUAL: ">=",
    ComparisonOperator.LESS_THAN_OR_EQUAL: "<=",
    ComparisonOperator.EQUAL: "=",
}


def sql_string(value: str) -> str:
    """A Trino string literal for ``value``: quoted, its quotes doubled.

    Written out rather than asked of sqlglot (which writes the same literal, as a
    property test checks): this module is imported by every Lambda handler that
    touches campaigns or segments, and sqlglot alone is a fifth of a cold start.
    """
    return "'" + value.replace("'", "''") + "'"


def sql_number(value: float) -> str:
    """A DOUBLE literal that both engines read back as exactly ``value``."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    text = repr(float(value))
    if "e" not in text:
        text += "e0"  # exponent form makes it DOUBLE (not DECIMAL) on Trino and DuckDB
    return f"({text})" if text.startswith("-") else text


def sql_instant(moment: datetime) -> str:
    """A timestamp-with-time-zone literal for an instant, in UTC to the millisecond."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"
    )
    return f"from_iso8601_timestamp({sql_string(text)})"


def day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar day containing ``moment``: [start, next day's start)."""
    start = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _combine(kind: str, parts: Sequence[str]) -> str:
    """ALL / ANY / NONE of ``parts``; an empty list places no condition."""
    if not parts:
        return "TRUE"
    if kind == "ALL":
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
    either = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return either if kind == "ANY" else f"(NOT {either})"


def _leaf(predicate: str) -> str:
    return f"COALESCE({predicate}, FALSE)"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(sql_string(v) for v in values) + ")"


class SegmentCompiler:
    """Compiles segments to SQL, resolving source segments through ``resolver``.

    Parameters
    ----------
    resolver
        ``resolver(id, version)`` returns that stored segment (latest when version is
        None) or raises NotFoundError.
    as_of
        The end of every Behavior.Recency window (naive values are UTC).
    """

    def __init__(self, resolver: SegmentResolver, as_of: datetime) -> None:
        self._resolver = resolver
        self._as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        self._as_of_ms = int(self._as_of.timestamp() * 1000)

    def compile(self, segment: SegmentResponse | WriteSegmentRequest) -> str:
        """``SELECT id FROM endpoints WHERE ...`` for this segment.

        Raises
        ------
        InvalidRecordError
            The SQL is over :data:`MAX_SEGMENT_SQL_BYTES` (see :func:`check_sql_size`).
        """
        stack = (segment.id,) if isinstance(segment, SegmentResponse) else ()
        return check_sql_size(f"SELECT id FROM endpoints WHERE {self.condition(segment, stack)}")

    def condition(
        self, segment: SegmentResponse | WriteSegmentRequest, stack: tuple[str, ...] = ()
    ) -> str:
        """The WHERE condition selecting this segment's members."""
        if isinstance(segment, SegmentResponse) and segment.segment_type == SegmentType.IMPORT:
            return self._imported(segment.id)
        parts = []
        if segment.dimensions is not None:
            parts.append(self.dimensions(segment.dimensions))
        if segment.segment_groups is not None:
            parts.append(self._groups(segment.segment_groups, stack))
        return _combine("ALL", [p for p in parts if p != "TRUE"])

    # -- groups and sources -----------------------------------------------------------

    def _groups(self, groups: SegmentGroupList, stack: tuple[str, ...]) -> str:
        conditions = [
            self._group(group, f"SegmentGroups.Groups[{index}]", stack)
            for index, group in enumerate(groups.groups or [])
        ]
        return _combine(groups.include.value, conditions)

    def _group(self, group: SegmentGroup, path: str, stack: tuple[str, ...]) -> str:
        sources = [
            self._source(ref.id, ref.version, f"{path}.SourceSegments[{index}].Id", stack)
            for index, ref in enumerate(group.source_segments or [])
        ]
        dimensions = [self.dimensions(d) for d in group.dimensions or []]
        parts = [_combine(group.source_type.value, sources), _combine(group.type.value, dimensions)]
        return _combine("ALL", [p for p in parts if p != "TRUE"])

    def _source(
        self, segment_id: str, version: int | None, path: str, stack: tuple[str, ...]
    ) -> str:
        if segment_id in stack:
            chain = " -> ".join((*stack, segment_id))
            raise InvalidRecordError([FieldProblem(path, f"source segments form a cycle: {chain}")])
        try:
            source = self._resolver(segment_id, version)
        except NotFoundError as exc:
            raise InvalidRecordError([FieldProblem(path, str(exc))]) from None
        return self.condition(source, (*stack, segment_id))

    @staticmethod
    def _imported(segment_id: str) -> str:
        return _leaf(
            "id IN (SELECT endpoint_id FROM imported_segment_members "
            f"WHERE segment_id = {sql_string(segment_id)})"
        )

    # -- one SegmentDimensions object -------------------------------------------------

    def dimensions(self, dims: SegmentDimensions) -> str:
        """The condition for one SegmentDimensions object (all its criteria)."""
        parts: list[str] = []
        if dims.demographic is not None:
            for field, column in DEMOGRAPHIC_COLUMNS.items():
                dimension = getattr(dims.demographic, field)
                if dimension is not None:
                    parts.append(self._set(column, dimension))
        if dims.location is not None:
            if dims.location.country is not None:
                parts.append(self._set("location_country", dims.location.country))
            if dims.location.gps_point is not None:
                parts.append(self._gps(dims.location.gps_point))
        if dims.behavior is not None and dims.behavior.recency is not None:
            parts.append(self._recency(dims.behavior.recency))
        for column, attributes in (
            ("attributes", dims.attributes),
            ("user_attributes", dims.user_attributes),
        ):
            for name, attribute in (attributes or {}).items():
                parts.append(self._attribute(column, name, attribute))
        for name, metric in (dims.metrics or {}).items():
            operator = _METRIC_OPERATORS[metric.comparison_operator]
            parts.append(
                _leaf(
                    f"element_at(metrics, {sql_string(name)}) {operator} {sql_number(metric.value)}"
                )
            )
        return _combine("ALL", parts)

    @staticmethod
    def _set(column: str, dimension: SetDimension) -> str:
        listed = _leaf(f"{column} IN {_in_list(dimension.values)}")
        return listed if dimension.dimension_type == DimensionType.INCLUSIVE else f"(NOT {listed})"

    @staticmethod
    def _gps(point: GPSPointDimension) -> str:
        lat = sql_number(point.coordinates.latitude)
        lon = sql_number(point.coordinates.longitude)
        # Haversine; least() keeps rounding from pushing asin's argument past 1.
        distance = (
            f"2 * {sql_number(EARTH_RADIUS_KM)} * asin(sqrt(least(1e0, "
            f"power(sin(radians(location_latitude - {lat}) / 2), 2) + "
            f"cos(radians({lat})) * cos(radians(location_latitude)) * "
            f"power(sin(radians(location_longitude - {lon}) / 2), 2))))"
        )
        return _leaf(f"{distance} <= {sql_number(point.range_in_kilometers)}")

    def _recency(self, recency: RecencyDimension) -> str:
        start = self._as_of_ms - DURATION_MS[recency.duration]
        active = _leaf(f"last_active_ms BETWEEN {start} AND {self._as_of_ms}")
        return active if recency.recency_type == RecencyType.ACTIVE else f"(NOT {active})"

    @staticmethod
    def _attribute(column: str, name: str, attribute: AttributeDimension) -> str:
        values = f"element_at({column}, {sql_string(name)})"
        kind = attribute.attribute_type
        if kind in (AttributeType.INCLUSIVE, AttributeType.EXCLUSIVE):
            test = f"v IN {_in_list(attribute.values)}"
        elif kind == AttributeType.CONTAINS:
            test = " OR ".join(f"strpos(v, {sql_string(t)}) > 0" for t in attribute.values)
        else:
            test = _date_test(kind, attribute.values)
        any_value = _leaf(f"cardinality(filter({values}, v -> {test})) > 0")
        return f"(NOT {any_value})" if kind == AttributeType.EXCLUSIVE else any_value


def check_sql_size(sql: str, limit: int = MAX_SEGMENT_SQL_BYTES) -> str:
    """``sql`` when it is at most ``limit`` UTF-8 bytes.

    Raises
    ------
    InvalidRecordError
        Naming the size and the limit, on ``Dimensions`` (what makes a segment's SQL
        long is its dimensions' values and its source segments).
    """
    size = len(sql.encode("utf-8"))
    if size > limit:
        raise InvalidRecordError(
            [
                FieldProblem(
                    "Dimensions",
                    f"the segment compiles to {size} bytes of SQL; at most {limit} "
                    f"(Athena runs queries of up to {ATHENA_MAX_QUERY_BYTES} bytes): "
                    "use fewer values, or an imported segment for a long list",
                )
            ]
        )
    return sql


def _date_test(kind: AttributeType, values: Sequence[str]) -> str:
    instants = [parse_instant(v) for v in values]
    if any(i is None for i in instants):  # validation rejects these first
        raise ValueError(f"{kind.value} needs ISO-8601 values, not {list(values)!r}")
    moments = [i for i in instants if i is not None]
    instant = (
        f"(CASE WHEN regexp_like(v, {sql_string(ISO_INSTANT_PATTERN)}) "
        "THEN try(from_iso8601_timestamp(v)) END)"
    )
    if kind == AttributeType.BEFORE:
        return f"{instant} < {sql_instant(moments[0])}"
    if kind == AttributeType.AFTER:
        return f"{instant} > {sql_instant(moments[0])}"
    if kind == AttributeType.BETWEEN:
        return f"{instant} BETWEEN {sql_instant(moments[0])} AND {sql_instant(moments[1])}"
    start, end = day_bounds(moments[0])
    return f"({instant} >= {sql_instant(start)} AND {instant} < {sql_instant(end)})"


def compile_segment(
    segment: SegmentResponse | WriteSegmentRequest,
    resolver: SegmentResolver,
    as_of: datetime,
) -> str:
    """Compile a segment to one Trino-dialect query selecting its endpoint ids.

    Parameters
    ----------
    segment
        The segment (a stored version, or a request body not yet stored).
    resolver
        Looks up source segments by (id, version); raises NotFoundError.
    as_of
        When Behavior.Recency windows end.

    Raises
    ------
    InvalidRecordError
        A source segment is missing, or source segments form a cycle; the field is the
        reference's path (``SegmentGroups.Groups[0].SourceSegments[1].Id``).
    """
    return SegmentCompiler(resolver, as_of).compile(segment)


# --------------------------------------------------------------------------- tallies

# The ``endpoints`` column of each scalar endpoint field a template can print.
_FIELD_COLUMNS: dict[tuple[str, ...], str] = {
    ("Id",): "id",
    ("ChannelType",): "channel_type",
    ("Address",): "address",
    ("EndpointStatus",): "endpoint_status",
    ("OptOut",): "opt_out",
    ("EffectiveDate",): "effective_date",
    ("CreationDate",): "creation_date",
    ("CohortId",): "cohort_id",
    ("User", "UserId"): "user_id",
    **{
        ("Demographic", name): f"demographic_{column}"
        for name, column in (
            ("AppVersion", "app_version"),
            ("Locale", "locale"),
            ("Make", "make"),
            ("Model", "model"),
            ("ModelVersion", "model_version"),
            ("Platform", "platform"),
            ("PlatformVersion", "platform_version"),
            ("Timezone", "timezone"),
        )
    },
    **{
        ("Location", name): f"location_{column}"
        for name, column in (
            ("City", "city"),
            ("Country", "country"),
            ("PostalCode", "postal_code"),
            ("Region", "region"),
        )
    },
}
_NUMBER_COLUMNS: dict[tuple[str, ...], str] = {
    ("Location", "Latitude"): "location_latitude",
    ("Location", "Longitude"): "location_longitude",
}
_LIST_MAPS = {("Attributes",): "attributes", ("User", "UserAttributes"): "user_attributes"}


def missing_value_condition(field: Sequence[str]) -> str | None:
    """A condition over ``endpoints`` that holds when the endpoint has no value at
    ``field`` (an endpoint field as path segments: ``("User", "UserAttributes",
    "FirstName")``, ``("Attributes", "Plan", "0")`` for ``.[0]``), with the template
    engine's meaning of missing: absent, null, ``""``, or a list of only empty values.

    None for a field no column holds (RequestId, a path into a scalar...).
    """
    key = tuple(field)
    if key in _FIELD_COLUMNS:
        return f"coalesce({_FIELD_COLUMNS[key]}, '') = ''"
    if key in _NUMBER_COLUMNS:
        return f"{_NUMBER_COLUMNS[key]} IS NULL"
    if len(key) == 2 and key[0] == "Metrics":
        return f"element_at(metrics, {sql_string(key[1])}) IS NULL"
    for prefix, column in _LIST_MAPS.items():
        size = len(prefix)
        if key[:size] != prefix or len(key) <= size:
            continue
        values = f"element_at({column}, {sql_string(key[size])})"
        indexes = key[size + 1 :]
        if not indexes:
            return f"coalesce(cardinality(filter({values}, v -> v IS NOT NULL AND v <> '')), 0) = 0"
        if len(indexes) == 1 and indexes[0].isdigit():
            return f"coalesce(element_at({values}, {int(indexes[0]) + 1}), '') = ''"
        return None
    return None


def reachable_condition(channels: Sequence[str]) -> str:
    """A condition over ``endpoints`` that holds for the endpoints a send on
    ``channels`` (ChannelType values) would address: on one of them, with an address,
    not opted out, not inactive. With no channels, every endpoint with an address."""
    parts = ["coalesce(address, '') <> ''"]
    if channels:
        parts.insert(0, f"channel_type IN {_in_list(sorted(set(channels)))}")
    parts += ["coalesce(opt_out, '') <> 'ALL'", "coalesce(endpoint_status, '') <> 'INACTIVE'"]
    return "(" + " AND ".join(parts) + ")"


def tally_sql(audience_sql: str, conditions: Sequence[str]) -> str:
    """One row: the endpoints ``audience_sql`` selects (``SELECT id ...``), then how many
    of them meet each condition (``missing_value_condition``)."""
    counts = "".join(f", count_if({condition})" for condition in conditions)
    return (
        f"SELECT count(*){counts} FROM endpoints WHERE id IN (SELECT id FROM ({audience_sql}) "
        "AS audience)"
    )
