"""The segment compiler, dimension type by dimension type, run on DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery, to_duckdb
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository
from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.segments.model import (
    SegmentResponse,
    validate_segment_response,
    validate_write_request,
)
from clarion.domain.segments.sql import compile_segment

AS_OF = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
AS_OF_MS = int(AS_OF.timestamp() * 1000)
HOUR_MS = 3_600_000

ENDPOINTS: list[dict[str, Any]] = [
    {
        "Id": "paris",
        "ChannelType": "EMAIL",
        "Address": "p@example.com",
        "Demographic": {"Make": "Apple", "Model": "iPhone", "Platform": "ios", "AppVersion": "2.0"},
        "Location": {"Country": "FR", "Latitude": 48.8566, "Longitude": 2.3522},
        "Attributes": {"Plan": ["gold", "silver"], "Joined": ["2024-03-01T23:30:00Z"]},
        "User": {"UserAttributes": {"Company": ["AnyCompany"], "Note": ["it's done"]}},
        "Metrics": {"score": 5.0},
    },
    {
        "Id": "london",
        "ChannelType": "SMS",
        "Address": "+447700900123",
        "Demographic": {"Make": "apple", "Model": "iPad", "Platform": "ios"},
        "Location": {"Country": "GB", "Latitude": 51.5074, "Longitude": -0.1278},
        "Attributes": {"Plan": ["Gold"], "Joined": ["2024-03-02T00:00:00Z", "not a date"]},
        "User": {"UserAttributes": {"Company": ["anycompany"]}},
        "Metrics": {"score": 2.5, "Score": 9.0},
    },
    {
        "Id": "bare",
        "ChannelType": "GCM",
        "Address": "device-token",
        "Attributes": {"Joined": ["2024-02-30", "2024-03-01T01:00:00+02:00"]},
    },
]
ACTIVITY = {"paris": AS_OF_MS - 24 * HOUR_MS, "london": AS_OF_MS - 24 * HOUR_MS - 1}


@pytest.fixture
def database() -> Iterator[LocalDatabase]:
    from clarion.domain.audience.endpoint import validate_endpoint

    db = LocalDatabase(None)
    DuckDBProfileStore(db).put_endpoints([validate_endpoint(e) for e in ENDPOINTS])
    DuckDBProfileStore(db).record_activity(ACTIVITY)
    yield db
    db.close()


def _resolver(db: LocalDatabase) -> Callable[[str, int | None], SegmentResponse]:
    repository = DuckDBSegmentRepository(db)

    def resolve(segment_id: str, version: int | None) -> SegmentResponse:
        return validate_segment_response(repository.get_segment(segment_id, version))

    return resolve


def select(db: LocalDatabase, body: dict[str, Any], as_of: datetime = AS_OF) -> set[str]:
    sql = compile_segment(validate_write_request(body), _resolver(db), as_of)
    return set(DuckDBAudienceQuery(db).endpoint_ids(sql))


def dims(**criteria: Any) -> dict[str, Any]:
    return {"Dimensions": criteria}


def test_no_criteria_selects_everyone(database: LocalDatabase) -> None:
    assert select(database, {}) == {"paris", "london", "bare"}


@pytest.mark.parametrize(
    ("field", "kind", "values", "expected"),
    [
        ("Channel", "INCLUSIVE", ["EMAIL", "GCM"], {"paris", "bare"}),
        ("Channel", "EXCLUSIVE", ["EMAIL"], {"london", "bare"}),
        ("Make", "INCLUSIVE", ["Apple"], {"paris"}),  # case-sensitive
        ("Make", "EXCLUSIVE", ["Apple"], {"london", "bare"}),  # missing is EXCLUSIVE
        ("DeviceType", "INCLUSIVE", ["iPad"], {"london"}),  # reads Demographic.Model
        ("Model", "INCLUSIVE", ["iPhone"], {"paris"}),
        ("Platform", "INCLUSIVE", ["ios"], {"paris", "london"}),
        ("AppVersion", "INCLUSIVE", ["2.0"], {"paris"}),
    ],
)
def test_demographic(
    database: LocalDatabase, field: str, kind: str, values: list[str], expected: set[str]
) -> None:
    body = dims(Demographic={field: {"DimensionType": kind, "Values": values}})
    assert select(database, body) == expected


def test_country(database: LocalDatabase) -> None:
    country = {"DimensionType": "INCLUSIVE", "Values": ["FR", "gb"]}
    assert select(database, dims(Location={"Country": country})) == {"paris"}


@pytest.mark.parametrize(
    ("range_km", "expected"), [(340.0, {"paris"}), (350.0, {"paris", "london"})]
)
def test_gps_point_uses_great_circle_distance(
    database: LocalDatabase, range_km: float, expected: set[str]
) -> None:
    # Paris to London is about 344 km.
    point = {
        "Coordinates": {"Latitude": 48.8566, "Longitude": 2.3522},
        "RangeInKilometers": range_km,
    }
    assert select(database, dims(Location={"GPSPoint": point})) == expected


def test_recency_window_ends_at_as_of_and_includes_its_start(database: LocalDatabase) -> None:
    active = dims(Behavior={"Recency": {"Duration": "HR_24", "RecencyType": "ACTIVE"}})
    inactive = dims(Behavior={"Recency": {"Duration": "HR_24", "RecencyType": "INACTIVE"}})
    assert select(database, active) == {"paris"}
    assert select(database, inactive) == {"london", "bare"}  # no activity is inactive
    # Seen from a day earlier, both activities are in the future: not active.
    assert select(database, active, AS_OF - timedelta(days=2)) == set()


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("INCLUSIVE", ["silver"], {"paris"}),  # any of the values
        ("INCLUSIVE", ["gold"], {"paris"}),  # case-sensitive: not London's "Gold"
        ("EXCLUSIVE", ["gold"], {"london", "bare"}),  # no Plan at all is EXCLUSIVE
        ("CONTAINS", ["ol"], {"paris", "london"}),
        ("CONTAINS", ["GOLD"], set()),
    ],
)
def test_attribute_text(
    database: LocalDatabase, kind: str, values: list[str], expected: set[str]
) -> None:
    body = dims(Attributes={"Plan": {"AttributeType": kind, "Values": values}})
    assert select(database, body) == expected


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        # paris 2024-03-01T23:30Z; london 2024-03-02T00:00Z (and a non-date);
        # bare 2024-02-29T23:00Z (and an impossible date, which never matches).
        ("ON", ["2024-03-01"], {"paris"}),
        ("ON", ["2024-03-01T18:00:00-08:00"], {"london"}),  # that instant is 03-02 UTC
        ("BEFORE", ["2024-03-02T00:00:00Z"], {"paris", "bare"}),
        ("AFTER", ["2024-03-01T23:30:00Z"], {"london"}),
        ("BETWEEN", ["2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"], {"paris", "london"}),
        ("BETWEEN", ["2024-02-29", "2024-02-29T23:00:00Z"], {"bare"}),
    ],
)
def test_attribute_dates(
    database: LocalDatabase, kind: str, values: list[str], expected: set[str]
) -> None:
    body = dims(Attributes={"Joined": {"AttributeType": kind, "Values": values}})
    assert select(database, body) == expected


def test_user_attributes_read_the_user_map(database: LocalDatabase) -> None:
    body = dims(
        UserAttributes={"Company": {"AttributeType": "INCLUSIVE", "Values": ["AnyCompany"]}}
    )
    assert select(database, body) == {"paris"}


def test_quotes_in_values_are_literals(database: LocalDatabase) -> None:
    body = dims(UserAttributes={"Note": {"AttributeType": "CONTAINS", "Values": ["it's"]}})
    assert select(database, body) == {"paris"}
    hostile = dims(
        UserAttributes={"Note": {"AttributeType": "INCLUSIVE", "Values": ["x') OR TRUE OR ('"]}}
    )
    assert select(database, hostile) == set()


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("GREATER_THAN", 2.5, {"paris"}),
        ("GREATER_THAN_OR_EQUAL", 2.5, {"paris", "london"}),
        ("LESS_THAN", 5.0, {"london"}),
        ("LESS_THAN_OR_EQUAL", 5.0, {"paris", "london"}),
        ("EQUAL", 2.5, {"london"}),
        ("GREATER_THAN", -1e9, {"paris", "london"}),  # no metric never matches
    ],
)
def test_metrics(database: LocalDatabase, operator: str, value: float, expected: set[str]) -> None:
    body = dims(Metrics={"score": {"ComparisonOperator": operator, "Value": value}})
    assert select(database, body) == expected


def _group(kind: str, *dimensions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": kind, "Dimensions": list(dimensions), **extra}


EMAIL = {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}
IOS = {"Demographic": {"Platform": {"Values": ["ios"]}}}


@pytest.mark.parametrize(
    ("include", "groups", "expected"),
    [
        ("ALL", [_group("ALL", EMAIL, IOS)], {"paris"}),
        ("ALL", [_group("ANY", EMAIL, IOS)], {"paris", "london"}),
        ("ALL", [_group("NONE", EMAIL, IOS)], {"bare"}),
        ("ANY", [_group("ALL", EMAIL), _group("ALL", IOS)], {"paris", "london"}),
        ("NONE", [_group("ALL", EMAIL), _group("ALL", IOS)], {"bare"}),
        ("ALL", [_group("ANY")], {"paris", "london", "bare"}),  # empty list: no condition
    ],
)
def test_segment_groups(
    database: LocalDatabase, include: str, groups: list[dict[str, Any]], expected: set[str]
) -> None:
    assert select(database, {"SegmentGroups": {"Include": include, "Groups": groups}}) == expected


def _store(db: LocalDatabase, segment_id: str, version: int, kind: str, **body: Any) -> None:
    DuckDBSegmentRepository(db).save_segment(
        {
            "Id": segment_id,
            "Version": version,
            "SegmentType": kind,
            "CreationDate": "2024-01-01T00:00:00.000Z",
            **body,
        }
    )


def test_source_segments_imported_and_dimensional_with_versions(database: LocalDatabase) -> None:
    _store(database, "file", 1, "IMPORT")
    DuckDBSegmentRepository(database).put_imported_members("file", ["london", "bare", "ghost"])
    _store(database, "mail", 1, "DIMENSIONAL", Dimensions=EMAIL)
    _store(database, "mail", 2, "DIMENSIONAL", Dimensions=IOS)

    def sources(source_type: str, *refs: dict[str, Any]) -> set[str]:
        group = {"SourceSegments": list(refs), "SourceType": source_type}
        return select(database, {"SegmentGroups": {"Groups": [group]}})

    assert sources("ALL", {"Id": "file"}) == {"london", "bare"}
    assert sources("ALL", {"Id": "mail"}) == {"paris", "london"}  # latest: ios
    assert sources("ALL", {"Id": "mail", "Version": 1}) == {"paris"}
    assert sources("ANY", {"Id": "file"}, {"Id": "mail", "Version": 1}) == {
        "paris",
        "london",
        "bare",
    }
    assert sources("ALL", {"Id": "file"}, {"Id": "mail"}) == {"london"}
    assert sources("NONE", {"Id": "file"}) == {"paris"}


def test_missing_source_and_cycles_are_errors(database: LocalDatabase) -> None:
    with pytest.raises(InvalidRecordError, match=r"SourceSegments\[0\]\.Id.*'nope'"):
        select(database, {"SegmentGroups": {"Groups": [{"SourceSegments": [{"Id": "nope"}]}]}})
    loop = {"Groups": [{"SourceSegments": [{"Id": "b"}]}]}
    _store(database, "a", 1, "DIMENSIONAL", SegmentGroups=loop)
    _store(
        database,
        "b",
        1,
        "DIMENSIONAL",
        SegmentGroups={"Groups": [{"SourceSegments": [{"Id": "a"}]}]},
    )
    with pytest.raises(InvalidRecordError, match="cycle: a -> b -> a"):
        compile_segment(_resolver(database)("a", None), _resolver(database), AS_OF)


def test_trino_text_reads_maps_with_element_at() -> None:
    sql = compile_segment(
        validate_write_request(dims(Metrics={"x": {"ComparisonOperator": "EQUAL", "Value": 1}})),
        lambda i, v: (_ for _ in ()).throw(AssertionError("no sources")),
        AS_OF,
    )
    assert sql.startswith("SELECT id FROM endpoints WHERE ")
    assert "element_at(metrics, 'x')" in sql
    assert "metrics['x']" in to_duckdb(sql)


def test_sql_over_the_size_limit_is_refused_with_its_size_and_the_limit() -> None:
    from clarion.domain.segments import MAX_SEGMENT_SQL_BYTES, MAX_VALUES_PER_DIMENSION

    # Within the values limit; under the SQL limit in characters, over it in UTF-8 bytes.
    values = [f"{n:04d}" + "é" * 120 for n in range(MAX_VALUES_PER_DIMENSION)]
    assert sum(len(v) + 4 for v in values) < MAX_SEGMENT_SQL_BYTES
    request = validate_write_request(
        {"Name": "long", "Dimensions": {"Attributes": {"A": {"Values": values}}}}
    )

    with pytest.raises(InvalidRecordError) as caught:
        compile_segment(request, lambda i, v: pytest.fail("no sources"), datetime.now(UTC))

    (problem,) = caught.value.problems
    assert problem.field == "Dimensions"
    size = int(problem.reason.split()[4])
    assert size > MAX_SEGMENT_SQL_BYTES
    assert f"at most {MAX_SEGMENT_SQL_BYTES}" in problem.reason


def test_sql_at_the_size_limit_passes_and_one_byte_more_does_not() -> None:
    from clarion.domain.segments import MAX_SEGMENT_SQL_BYTES, check_sql_size

    sql = "SELECT id FROM endpoints WHERE " + "x" * (MAX_SEGMENT_SQL_BYTES - 31)
    assert len(sql) == MAX_SEGMENT_SQL_BYTES
    assert check_sql_size(sql) == sql
    with pytest.raises(InvalidRecordError, match=f"{MAX_SEGMENT_SQL_BYTES + 1} bytes"):
        check_sql_size(sql + "x")


@settings(max_examples=500)
@given(st.text())
def test_string_literals_are_the_ones_sqlglot_writes_for_trino(value: str) -> None:
    from sqlglot import exp

    from clarion.domain.segments.sql import sql_string

    assert sql_string(value) == exp.Literal.string(value).sql(dialect="trino")
