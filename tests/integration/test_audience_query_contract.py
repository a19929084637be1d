"""The AudienceQuery contract, on both backends: segment SQL (Trino) over ``endpoints``
and ``imported_segment_members``, counted or streamed as endpoint ids.

``local`` is the DuckDB adapter on a database in ``tmp_path``. ``aws`` is the Athena
adapter on moto, whose queries are answered by DuckDB over a stand-in lake holding the
same relations (``athena_lake`` in conftest.py): the adapter's own work (the SQL it
sends, polling, paging, the header row, turning text into ids and counts) runs for real.
Each harness writes the relations through the local profile store and segment
repository, as the change feed and imports fill them.

What only one backend can show follows the shared tests: the local transpiling, and the
Athena adapter's paging, header handling and failures (moto's result API for the first,
botocore's Stubber, which checks every request against the service model, for the rest).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.moto_api import state_manager

from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery, AthenaQueryError
from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.segments.model import validate_write_request
from clarion.domain.segments.sql import compile_segment, missing_value_condition, tally_sql
from clarion.domain.templates.engine.runtime import CompiledPart
from clarion.ports.audience import ProfileStore
from clarion.ports.segments import AudienceQuery, SegmentRepository

# The ``athena_lake`` fixture (tests/integration/conftest.py) is an AthenaLake.
AthenaLake = Any
MakeEndpoint = Callable[..., Endpoint]
QueueResult = Callable[..., None]
REGION = "us-east-1"
WORKGROUP = "clarion"
DATABASE = "clarion_db"
AS_OF = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)


@dataclass
class AudienceBackend:
    """An AudienceQuery and the writers of the relations it reads; ``sent`` lists the SQL
    texts the Athena adapter started (None locally, where nothing is sent)."""

    name: str
    audience: AudienceQuery
    profiles: ProfileStore
    segments: SegmentRepository
    sent: list[str] | None


def _local(tmp_path: Path) -> Iterator[AudienceBackend]:
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery
    from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository

    database = LocalDatabase(tmp_path / "home")
    yield AudienceBackend(
        "local",
        DuckDBAudienceQuery(database),
        DuckDBProfileStore(database),
        DuckDBSegmentRepository(database),
        None,
    )
    database.close()


def _aws(lake: AthenaLake) -> AudienceBackend:
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository

    audience = AthenaAudienceQuery(
        lake.client, lake.workgroup, lake.database_name, sleep=lambda _: None
    )
    return AudienceBackend(
        "aws",
        audience,
        DuckDBProfileStore(lake.database),
        DuckDBSegmentRepository(lake.database),
        lake.queries,
    )


@pytest.fixture
def away_from_utc() -> Iterator[None]:
    """Run in a process time zone 14 hours from UTC, so no result can depend on it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, away_from_utc: None
) -> Iterator[AudienceBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield _aws(request.getfixturevalue("athena_lake"))


def _compiled(request: dict[str, Any]) -> str:
    def no_sources(segment_id: str, version: int | None) -> Any:
        raise AssertionError(f"no source segment expected, got {segment_id}")

    return compile_segment(validate_write_request(request), no_sources, AS_OF)


# -- the shared contract ---------------------------------------------------------------


def test_endpoint_ids_are_the_selected_ids_in_the_query_order(
    backend: AudienceBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.profiles.put_endpoints(
        [
            make_endpoint(f"e-{n}", Attributes={"Plan": ["Gold" if n % 2 else "Free"]})
            for n in range(6)
        ]
    )
    sql = (
        "SELECT id FROM endpoints WHERE contains(element_at(attributes, 'Plan'), 'Gold') "
        "ORDER BY id DESC"
    )

    ids = backend.audience.endpoint_ids(sql)

    assert isinstance(ids, Iterator)
    assert list(ids) == ["e-5", "e-3", "e-1"]
    if backend.sent is not None:
        assert backend.sent[-1] == sql  # sent as written: Athena speaks Trino


def test_count_is_the_number_of_rows_selected(
    backend: AudienceBackend, make_endpoint: MakeEndpoint
) -> None:
    texts = [
        make_endpoint(f"s-{n}", ChannelType="SMS", Address=f"+1415555{n:04d}") for n in range(4)
    ]
    mails = [make_endpoint(f"e-{n}") for n in range(6)]
    backend.profiles.put_endpoints([*texts, *mails])
    sql = "SELECT id FROM endpoints WHERE channel_type = 'SMS'"

    count = backend.audience.count(sql)

    assert count == 4
    assert type(count) is int
    assert count == len(list(backend.audience.endpoint_ids(sql)))
    if backend.sent is not None:
        assert backend.sent[0] == f"SELECT count(*) FROM ({sql})"


def test_an_empty_audience(backend: AudienceBackend, make_endpoint: MakeEndpoint) -> None:
    backend.profiles.put_endpoints([make_endpoint("e-1")])
    sql = "SELECT id FROM endpoints WHERE channel_type = 'VOICE'"

    assert backend.audience.count(sql) == 0
    assert list(backend.audience.endpoint_ids(sql)) == []


def test_a_compiled_segment_selects_its_members(
    backend: AudienceBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.profiles.put_endpoints(
        [
            make_endpoint(
                "ios-gold", Demographic={"Platform": "ios"}, Attributes={"Plan": ["Gold"]}
            ),
            make_endpoint(
                "ios-free", Demographic={"Platform": "ios"}, Attributes={"Plan": ["Free"]}
            ),
            make_endpoint(
                "android-gold", Demographic={"Platform": "android"}, Attributes={"Plan": ["Gold"]}
            ),
            make_endpoint("ios-none", Demographic={"Platform": "ios"}),
        ]
    )
    sql = _compiled(
        {
            "Name": "gold on ios",
            "Dimensions": {
                "Demographic": {"Platform": {"DimensionType": "INCLUSIVE", "Values": ["ios"]}},
                "Attributes": {"Plan": {"AttributeType": "EXCLUSIVE", "Values": ["Free"]}},
            },
        }
    )

    assert sorted(backend.audience.endpoint_ids(sql)) == ["ios-gold", "ios-none"]
    assert backend.audience.count(sql) == 2


def test_imported_members_are_a_relation_of_the_query(
    backend: AudienceBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.profiles.put_endpoints([make_endpoint(f"e-{n}") for n in range(5)])
    backend.segments.put_imported_members("imp-1", ["e-1", "e-3", "not-an-endpoint"])
    backend.segments.put_imported_members("imp-2", ["e-2"])
    sql = (
        "SELECT id FROM endpoints WHERE id IN (SELECT endpoint_id FROM "
        "imported_segment_members WHERE segment_id = 'imp-1') ORDER BY id"
    )

    assert list(backend.audience.endpoint_ids(sql)) == ["e-1", "e-3"]
    assert backend.audience.count(sql) == 2


def test_naive_timestamps_are_utc(backend: AudienceBackend, make_endpoint: MakeEndpoint) -> None:
    # Athena's session time zone is UTC; the local adapter sets DuckDB's to match, whatever
    # the process's zone (see away_from_utc).
    backend.profiles.put_endpoints(
        [
            # 10:00 on the 12th in UTC; 20:00Z on the 11th read at UTC+14.
            make_endpoint("naive-12th", Attributes={"Signup": ["2025-03-12T10:00:00"]}),
            make_endpoint("naive-11th", Attributes={"Signup": ["2025-03-11T23:30:00"]}),
            make_endpoint("zoned-12th", Attributes={"Signup": ["2025-03-12T00:30:00Z"]}),
        ]
    )
    sql = _compiled(
        {
            "Name": "signed up on the 12th",
            "Dimensions": {
                "Attributes": {
                    "Signup": {"AttributeType": "ON", "Values": ["2025-03-12T00:00:00Z"]}
                }
            },
        }
    )

    assert sorted(backend.audience.endpoint_ids(sql)) == ["naive-12th", "zoned-12th"]


def test_ids_are_kept_exactly(backend: AudienceBackend, make_endpoint: MakeEndpoint) -> None:
    awkward = ["id", "Ünïcode", "with,comma", 'with"quote', "  spaced  ", "UPPER", "upper"]
    backend.profiles.put_endpoints(
        [
            make_endpoint(endpoint_id, Address=f"a{n}@example.com")
            for n, endpoint_id in enumerate(awkward)
        ]
    )

    ids = list(backend.audience.endpoint_ids("SELECT id FROM endpoints"))

    # "id" is an endpoint here, not the header row of Athena's first page.
    assert sorted(ids) == sorted(awkward)


def test_large_audiences_stream_whole(backend: AudienceBackend) -> None:
    # 12,000 ids cross the local fetch size (10,000) and twelve Athena result pages.
    sql = "SELECT CAST(n AS varchar) AS id FROM UNNEST(sequence(1, 12000)) AS t(n) ORDER BY n"

    ids = list(backend.audience.endpoint_ids(sql))

    assert ids == [str(n) for n in range(1, 12001)]
    assert backend.audience.count(sql) == 12000


def test_tally_counts_the_audience_and_each_condition(
    backend: AudienceBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.profiles.put_endpoints(
        [
            make_endpoint("full", Attributes={"Plan": ["Gold"]}, Location={"City": "Oslo"}),
            make_endpoint("blank", Attributes={"Plan": [""]}, Location={"City": ""}),
            make_endpoint("none"),
            make_endpoint("sms", ChannelType="SMS", Address="+14155550100"),
        ]
    )
    sql = "SELECT id FROM endpoints WHERE channel_type = 'EMAIL'"
    conditions = [
        missing_value_condition(("Attributes", "Plan")),
        missing_value_condition(("Location", "City")),
        "TRUE",
    ]

    targeted, counts = backend.audience.tally(sql, [c for c in conditions if c])

    assert (targeted, counts) == (3, [2, 2, 3])
    assert backend.audience.tally(sql, []) == (3, [])
    if backend.sent is not None:
        assert backend.sent[0] == tally_sql(sql, [c for c in conditions if c])


_MISSING_FIELDS = [
    ("Attributes", "Plan"),
    ("Attributes", "Plan", "0"),
    ("Attributes", "Plan", "1"),
    ("User", "UserAttributes", "FirstName"),
    ("Metrics", "Visits"),
    ("Location", "City"),
    ("Location", "Latitude"),
    ("Demographic", "Timezone"),
    ("User", "UserId"),
    ("Address",),
]
_values = st.lists(st.sampled_from(["", "x", "Gold"]), max_size=3)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "Attributes": st.fixed_dictionaries({}, optional={"Plan": _values}),
                "User": st.fixed_dictionaries(
                    {},
                    optional={
                        "UserId": st.sampled_from(["", "u-1"]),
                        "UserAttributes": st.fixed_dictionaries(
                            {}, optional={"FirstName": _values}
                        ),
                    },
                ),
                "Metrics": st.fixed_dictionaries({}, optional={"Visits": st.just(2.0)}),
                "Location": st.fixed_dictionaries(
                    {},
                    optional={"City": st.sampled_from(["", "Oslo"]), "Latitude": st.just(1.5)},
                ),
                "Demographic": st.fixed_dictionaries(
                    {}, optional={"Timezone": st.just("Europe/Oslo")}
                ),
            },
        ),
        min_size=1,
        max_size=6,
    )
)
def test_tally_of_missing_values_agrees_with_the_template_engine(
    backend: AudienceBackend, make_endpoint: MakeEndpoint, people: list[dict[str, Any]]
) -> None:
    # The dry run counts in SQL what a render would find missing: the same endpoints.
    backend.profiles.delete_endpoints(
        list(backend.audience.endpoint_ids("SELECT id FROM endpoints"))
    )
    endpoints = [make_endpoint(f"p-{n}", **fields) for n, fields in enumerate(people)]
    backend.profiles.put_endpoints(endpoints)
    conditions = [missing_value_condition(f) for f in _MISSING_FIELDS]
    targeted, counts = backend.audience.tally(
        "SELECT id FROM endpoints", [c for c in conditions if c is not None]
    )
    assert targeted == len(endpoints)
    for field, count in zip(_MISSING_FIELDS, counts, strict=True):
        path = ".".join(f"[{s}]" if s.isdigit() else s for s in field)
        part = CompiledPart("{{" + path + "}}")
        blank = sum(part.render(e.to_pinpoint()) == "" for e in endpoints)
        assert count == blank, path


# -- local only: transpiling ---------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> Iterator[AudienceBackend]:
    yield from _local(tmp_path)


def test_local_refuses_more_than_one_statement(local: AudienceBackend) -> None:
    with pytest.raises(ValueError, match="one SQL statement"):
        local.audience.count("SELECT id FROM endpoints; SELECT id FROM endpoints")


def test_local_reports_sql_it_cannot_read(local: AudienceBackend) -> None:
    import sqlglot

    with pytest.raises(sqlglot.ParseError):
        list(local.audience.endpoint_ids("SELECT id FROM endpoints WHERE ("))


# -- aws only: results through moto's result API -------------------------------------------


@pytest.fixture
def athena(mocked_aws: None) -> Any:
    client = boto3.client("athena", region_name=REGION)
    client.create_work_group(Name=WORKGROUP, Configuration={})
    return client


def _athena_audience(client: Any, **kwargs: Any) -> AthenaAudienceQuery:
    return AthenaAudienceQuery(client, WORKGROUP, DATABASE, sleep=lambda _: None, **kwargs)


def _last_execution(client: Any) -> dict[str, Any]:
    (query_id,) = client.list_query_executions()["QueryExecutionIds"][-1:]
    execution: dict[str, Any] = client.get_query_execution(QueryExecutionId=query_id)[
        "QueryExecution"
    ]
    return execution


def test_aws_reads_every_page_and_skips_only_the_header(
    athena: Any, athena_paging: Callable[[int], list[int]], athena_result_queue: QueueResult
) -> None:
    asked = athena_paging(4)
    # An endpoint whose id is literally "id", on a later page, and a NULL.
    values: list[str | None] = [*(f"e-{n}" for n in range(9)), "id", None]
    athena_result_queue([("id", "varchar")], [[value] for value in values])

    ids = list(_athena_audience(athena).endpoint_ids("SELECT id FROM endpoints"))

    assert ids == [*(f"e-{n}" for n in range(9)), "id"]
    assert len(asked) == 3  # 12 rows with the header, 4 a page
    assert set(asked) == {1000}  # the most Athena gives


def test_aws_runs_in_the_workgroup_and_database(
    athena: Any, athena_result_queue: QueueResult
) -> None:
    athena_result_queue([("_col0", "bigint")], [["4213"]])

    assert _athena_audience(athena).count("SELECT id FROM endpoints") == 4213
    execution = _last_execution(athena)
    assert execution["QueryExecutionContext"]["Database"] == DATABASE
    assert execution["WorkGroup"] == WORKGROUP


def test_aws_a_count_without_a_number_is_an_error(
    athena: Any, athena_result_queue: QueueResult
) -> None:
    athena_result_queue([("_col0", "bigint")], [])

    with pytest.raises(AthenaQueryError, match="expected one count, got"):
        _athena_audience(athena).count("SELECT id FROM endpoints")


def test_aws_run_returns_every_column(athena: Any, athena_result_queue: QueueResult) -> None:
    athena_result_queue(
        [("day", "varchar"), ("sends", "bigint")], [["2024-05-01", "10"], ["2024-05-02", None]]
    )

    assert _athena_audience(athena).run("SELECT day, sends FROM daily") == [
        ("2024-05-01", "10"),
        ("2024-05-02", None),
    ]


def test_aws_results_are_written_where_asked(athena: Any) -> None:
    _athena_audience(athena, output_location="s3://results-bucket/athena/").execute("SELECT 1")

    location = _last_execution(athena)["ResultConfiguration"]["OutputLocation"]
    assert location.startswith("s3://results-bucket/athena/")


@pytest.fixture
def slow_queries() -> Iterator[None]:
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 3}
    )
    yield
    state_manager.unset_transition("athena::execution")


def test_aws_waits_until_the_query_finishes(
    athena: Any, slow_queries: None, athena_result_queue: QueueResult
) -> None:
    athena_result_queue([("_col0", "bigint")], [["7"]])
    pauses: list[float] = []
    audience = AthenaAudienceQuery(athena, WORKGROUP, DATABASE, sleep=pauses.append)

    assert audience.count("SELECT id FROM endpoints") == 7
    # QUEUED and RUNNING each last three polls in this transition.
    assert len(pauses) >= 2
    assert pauses == sorted(pauses)


# -- aws only: what moto cannot do (Stubber) ---------------------------------------------


@pytest.fixture
def stubbed(aws_credentials: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _start(stubber: Stubber, sql: str, query_id: str, output: str | None = None) -> None:
    expected: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": DATABASE},
        "WorkGroup": WORKGROUP,
    }
    if output is not None:
        expected["ResultConfiguration"] = {"OutputLocation": output}
    stubber.add_response("start_query_execution", {"QueryExecutionId": query_id}, expected)


def _status(stubber: Stubber, query_id: str, state: str, reason: str | None = None) -> None:
    status: dict[str, Any] = {"State": state}
    if reason is not None:
        status["StateChangeReason"] = reason
    stubber.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": query_id, "Status": status}},
        {"QueryExecutionId": query_id},
    )


def test_aws_a_failed_query_says_why(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    sql = "SELECT id FROM endpoints WHERE nope = 1"
    _start(stubber, f"SELECT count(*) FROM ({sql})", "q-failed")
    _status(stubber, "q-failed", "RUNNING")
    reason = "COLUMN_NOT_FOUND: line 1:34: Column 'nope' cannot be resolved"
    _status(stubber, "q-failed", "FAILED", reason)

    with pytest.raises(AthenaQueryError) as caught:
        _athena_audience(client).count(sql)

    assert caught.value.state == "FAILED"
    assert caught.value.query_execution_id == "q-failed"
    assert str(caught.value) == f"Athena query q-failed FAILED: {reason}"


def test_aws_a_cancelled_query_is_an_error(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    _start(stubber, "SELECT 1", "q-cancelled", output="s3://out/")
    _status(stubber, "q-cancelled", "CANCELLED")

    with pytest.raises(AthenaQueryError, match="q-cancelled CANCELLED: no reason given"):
        _athena_audience(client, output_location="s3://out/").run("SELECT 1")


def test_aws_a_query_past_the_timeout_is_stopped(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    _start(stubber, "SELECT 1", "q-slow")
    _status(stubber, "q-slow", "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-slow"})

    with pytest.raises(AthenaQueryError, match="still RUNNING after 0 s; stopped") as caught:
        _athena_audience(client, timeout_s=0).execute("SELECT 1")
    assert caught.value.state == "TIMED_OUT"
