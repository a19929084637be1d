"""The compiled SQL, run on DuckDB, selects exactly the endpoints the reference evaluator
selects, for random endpoints and random segments over every dimension type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository
from clarion.domain.audience.endpoint import Endpoint, parse_iso8601, validate_endpoint
from clarion.domain.segments.model import (
    SegmentResponse,
    WriteSegmentRequest,
    iter_dimensions,
    validate_segment_response,
    validate_write_request,
)
from clarion.domain.segments.sql import compile_segment
from clarion_devkit.reference.segments import ReferenceEvaluator

AS_OF = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
AS_OF_MS = int(AS_OF.timestamp() * 1000)

# Small vocabularies so that random segments often select some endpoints and not others;
# names and values differ only by case on purpose (matching is case-sensitive).
ATTRIBUTE_NAMES = ["Plan", "plan", "Team", "Joined"]
TEXTS = ["gold", "Gold", "silver", "go", "it's", "Zoë", "a,b", "%_", "", "back\\slash"]
DATES = [
    "2024-03-01",
    "2024-03-01T00:00:00Z",
    "2024-03-01T23:59:59.999Z",
    "2024-03-02T01:30:00+02:00",
    "2024-02-29T22:00:00-03:00",
    "2024-03-05T10:15",
    "2024-03-05T10:15:30.5",
    "2023-12-31",
    "2024-02-29T12:00:00Z",
    "2024-03-02T00:00:00Z",
]
NOT_DATES = ["2024-02-30", "bad", "2024-3-1", "20240301", "2024-03-01T25:00:00Z", " 2024-03-01"]
METRIC_NAMES = ["score", "Score"]
DAY_MS = 86_400_000
# Activity exactly at, just inside and just outside each Recency window.
WINDOW_EDGES = [d * DAY_MS + delta for d in (0, 1, 7, 14, 30) for delta in (-1, 0, 1)]
CENTRES = [(48.8566, 2.3522), (-33.8688, 151.2093), (40.7128, -74.006)]

attribute_values = st.lists(st.sampled_from(TEXTS + DATES + NOT_DATES), min_size=1, max_size=3)
attribute_maps = st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES), attribute_values, max_size=3)


@st.composite
def coordinates(draw: st.DrawFn) -> tuple[float, float] | None:
    if draw(st.booleans()):
        return None
    lat, lon = draw(st.sampled_from(CENTRES))
    return (
        max(-90.0, min(90.0, lat + draw(st.floats(-2, 2)))),
        max(-180.0, min(180.0, lon + draw(st.floats(-2, 2)))),
    )


@st.composite
def endpoints(draw: st.DrawFn, index: int) -> tuple[Endpoint, int | None]:
    channel, address = draw(
        st.sampled_from(
            [("EMAIL", f"e{index}@example.com"), ("SMS", "+14155550100"), ("GCM", "token")]
        )
    )
    body: dict[str, Any] = {"Id": f"e{index}", "ChannelType": channel, "Address": address}
    if attributes := draw(attribute_maps):
        body["Attributes"] = attributes
    if user_attributes := draw(attribute_maps):
        body["User"] = {"UserId": f"u{index}", "UserAttributes": user_attributes}
    metrics = draw(
        st.dictionaries(
            st.sampled_from(METRIC_NAMES),
            st.one_of(st.sampled_from([0.0, 1.0, 2.5, -1.0]), st.floats(-100, 100)),
            max_size=2,
        )
    )
    if metrics:
        body["Metrics"] = metrics
    demographic = {
        key: draw(st.sampled_from(choices))
        for key, choices in (
            ("Make", ["apple", "Apple", "samsung", None]),
            ("Model", ["iPhone", "iPad", "Pixel", None]),
            ("Platform", ["ios", "android", None]),
            ("AppVersion", ["1.0", "1.1", None]),
        )
    }
    if any(demographic.values()):
        body["Demographic"] = {k: v for k, v in demographic.items() if v is not None}
    location: dict[str, Any] = {}
    if country := draw(st.sampled_from(["FR", "US", "fr", None])):
        location["Country"] = country
    if (point := draw(coordinates())) is not None:
        location["Latitude"], location["Longitude"] = point
    if location:
        body["Location"] = location
    if draw(st.booleans()):
        effective = AS_OF - timedelta(hours=draw(st.integers(0, 24 * 40)))
        body["EffectiveDate"] = effective.isoformat().replace("+00:00", "Z")
    activity = draw(
        st.one_of(st.none(), st.sampled_from(WINDOW_EDGES), st.integers(-2 * DAY_MS, 40 * DAY_MS))
    )
    return validate_endpoint(body), None if activity is None else AS_OF_MS - activity


def set_dimensions(values: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "DimensionType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE"]),
            "Values": st.lists(st.sampled_from(values), min_size=1, max_size=2),
        }
    )


@st.composite
def attribute_dimensions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["INCLUSIVE", "EXCLUSIVE", "CONTAINS", "BEFORE", "AFTER", "BETWEEN", "ON"])
    )
    if kind in ("INCLUSIVE", "EXCLUSIVE", "CONTAINS"):
        values = draw(st.lists(st.sampled_from(TEXTS + DATES), min_size=1, max_size=3))
    elif kind == "BETWEEN":
        pair = sorted(
            draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2)), key=parse_iso8601
        )
        values = pair
    else:
        values = [draw(st.sampled_from(DATES))]
    return {"AttributeType": kind, "Values": values}


@st.composite
def segment_dimensions(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(
        st.sets(
            st.sampled_from(
                ["Demographic", "Location", "Behavior", "Attributes", "UserAttributes", "Metrics"]
            ),
            min_size=1,
            max_size=2,
        )
    )
    dims: dict[str, Any] = {}
    for kind in kinds:
        if kind == "Demographic":
            field, values = draw(
                st.sampled_from(
                    [
                        ("Channel", ["EMAIL", "SMS", "GCM"]),
                        ("Make", ["apple", "Apple", "samsung"]),
                        ("Model", ["iPhone", "Pixel"]),
                        ("DeviceType", ["iPad", "iPhone"]),
                        ("Platform", ["ios", "android"]),
                        ("AppVersion", ["1.0", "1.1"]),
                    ]
                )
            )
            dims[kind] = {field: draw(set_dimensions(values))}
        elif kind == "Location":
            if draw(st.booleans()):
                dims[kind] = {"Country": draw(set_dimensions(["FR", "US", "fr"]))}
            else:
                lat, lon = draw(st.sampled_from(CENTRES))
                dims[kind] = {
                    "GPSPoint": {
                        "Coordinates": {"Latitude": lat, "Longitude": lon},
                        "RangeInKilometers": draw(st.floats(1, 300)),
                    }
                }
        elif kind == "Behavior":
            dims[kind] = {
                "Recency": {
                    "Duration": draw(st.sampled_from(["HR_24", "DAY_7", "DAY_14", "DAY_30"])),
                    "RecencyType": draw(st.sampled_from(["ACTIVE", "INACTIVE"])),
                }
            }
        elif kind in ("Attributes", "UserAttributes"):
            dims[kind] = draw(
                st.dictionaries(
                    st.sampled_from(ATTRIBUTE_NAMES), attribute_dimensions(), min_size=1, max_size=2
                )
            )
        else:
            dims[kind] = draw(
                st.dictionaries(
                    st.sampled_from(METRIC_NAMES),
                    st.fixed_dictionaries(
                        {
                            "ComparisonOperator": st.sampled_from(
                                [
                                    "GREATER_THAN",
                                    "LESS_THAN",
                                    "GREATER_THAN_OR_EQUAL",
                                    "LESS_THAN_OR_EQUAL",
                                    "EQUAL",
                                ]
                            ),
                            "Value": st.sampled_from([0.0, 1.0, 2.5, -1.0, 50.0]),
                        }
                    ),
                    min_size=1,
                    max_size=2,
                )
            )
    return dims


SOURCES = [{"Id": "imported"}, {"Id": "dimensional"}, {"Id": "dimensional", "Version": 1}]


@st.composite
def segments(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": "random"}
    if draw(st.booleans()):
        body["Dimensions"] = draw(segment_dimensions())
    if draw(st.booleans()) or "Dimensions" not in body:
        groups = []
        for _ in range(draw(st.integers(1, 2))):
            group: dict[str, Any] = {
                "SourceType": draw(st.sampled_from(["ALL", "ANY", "NONE"])),
                "Type": draw(st.sampled_from(["ALL", "ANY", "NONE"])),
            }
            if sources := draw(st.lists(st.sampled_from(SOURCES), max_size=2)):
                group["SourceSegments"] = sources
            group["Dimensions"] = draw(st.lists(segment_dimensions(), max_size=2))
            groups.append(group)
        body["SegmentGroups"] = {
            "Include": draw(st.sampled_from(["ALL", "ANY", "NONE"])),
            "Groups": groups,
        }
    return body


def _stored(segment_id: str, version: int, body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        **body,
        "Id": segment_id,
        "Version": version,
        "SegmentType": kind,
        "CreationDate": "2024-01-01T00:00:00.000Z",
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    count=st.integers(1, 30),
    segment=segments(),
    source_v1=segment_dimensions(),
    source_v2=segment_dimensions(),
)
def test_compiled_sql_on_duckdb_agrees_with_reference(
    data: st.DataObject,
    count: int,
    segment: dict[str, Any],
    source_v1: dict[str, Any],
    source_v2: dict[str, Any],
) -> None:
    drawn = [data.draw(endpoints(i)) for i in range(count)]
    imported_ids = data.draw(st.sets(st.sampled_from([f"e{i}" for i in range(count)] + ["ghost"])))

    database = LocalDatabase(None)
    store = DuckDBProfileStore(database)
    repository = DuckDBSegmentRepository(database)
    store.put_endpoints([endpoint for endpoint, _ in drawn])
    store.record_activity({e.id: ms for e, ms in drawn if ms is not None})
    repository.save_segment(_stored("imported", 1, {"Name": "file"}, "IMPORT"))
    repository.put_imported_members("imported", imported_ids)
    repository.save_segment(
        _stored("dimensional", 1, {"Name": "v1", "Dimensions": source_v1}, "DIMENSIONAL")
    )
    repository.save_segment(
        _stored("dimensional", 2, {"Name": "v2", "Dimensions": source_v2}, "DIMENSIONAL")
    )

    def resolve(segment_id: str, version: int | None) -> SegmentResponse:
        return validate_segment_response(repository.get_segment(segment_id, version))

    request = validate_write_request(segment)

    # The stored last activity is the later of EffectiveDate and recorded activity.
    activity: dict[str, int | None] = {}
    for endpoint, recorded in drawn:
        candidates = [recorded] if recorded is not None else []
        if endpoint.effective_date:
            candidates.append(int(parse_iso8601(endpoint.effective_date).timestamp() * 1000))
        activity[endpoint.id] = max(candidates) if candidates else None
    oracle = ReferenceEvaluator(resolve, AS_OF, {"imported": imported_ids})
    audience = DuckDBAudienceQuery(database)

    # The whole segment, and each of its SegmentDimensions objects on its own (so that a
    # disagreement in one criterion is not hidden by the others).
    checks = [request] + [
        WriteSegmentRequest(dimensions=dims) for _, dims in iter_dimensions(request)
    ]
    for check in checks:
        sql = compile_segment(check, resolve, AS_OF)
        selected = list(audience.endpoint_ids(sql))
        expected = oracle.members(check, [endpoint for endpoint, _ in drawn], activity)
        assert len(selected) == len(set(selected))
        assert set(selected) == expected, sql
    database.close()
