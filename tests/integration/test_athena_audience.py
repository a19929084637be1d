"""AthenaAudienceQuery against moto's Athena (results injected through moto's API) and,
for what moto cannot do (failures, long runs), botocore's Stubber."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto.athena.responses import AthenaResponse
from moto.moto_api import state_manager

from clarion.adapters.aws.audience import AthenaAudienceQuery, AthenaQueryError

REGION = "us-east-1"
RESULTS_API = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
SERVER_PAGE = 4


def _inject(*results: list[list[str | None]]) -> None:
    """Queue result sets; moto hands them to the next queries, in order. A None value
    is a NULL (Athena leaves out VarCharValue)."""
    body: dict[str, Any] = {
        "region": REGION,
        "results": [
            {
                "rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in rows
                ],
                "column_info": [{"Name": "c", "Type": "varchar"}],
            }
            for rows in results
        ],
    }
    response = requests.post(RESULTS_API, json=body, timeout=5)
    assert response.status_code == 201


@pytest.fixture
def page_sizes_asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make moto's GetQueryResults paginate as Athena does (moto returns everything at
    once), in pages of at most SERVER_PAGE rows; records the MaxResults asked for."""
    asked: list[int] = []

    def paged(self: AthenaResponse) -> str:
        query_id = self._get_param("QueryExecutionId")
        start = int(self._get_param("NextToken") or 0)
        max_results = int(self._get_param("MaxResults") or 1000)
        asked.append(max_results)
        result = self.athena_backend.get_query_results(query_id).to_dict()
        rows = result["ResultSet"]["Rows"]
        end = start + min(max_results, SERVER_PAGE)
        result["ResultSet"]["Rows"] = rows[start:end]
        if end < len(rows):
            result["NextToken"] = str(end)
        return json.dumps(result)

    monkeypatch.setattr(AthenaResponse, "get_query_results", paged)
    return asked


@pytest.fixture
def athena(mocked_aws: None) -> Any:
    client = boto3.client("athena", region_name=REGION)
    client.create_work_group(Name="clarion", Configuration={})
    return client


def _query_audience(client: Any, **kwargs: Any) -> AthenaAudienceQuery:
    return AthenaAudienceQuery(
        client, workgroup="clarion", database="clarion_db", sleep=lambda _: None, **kwargs
    )


def _last_execution(client: Any) -> dict[str, Any]:
    (query_id,) = client.list_query_executions()["QueryExecutionIds"][-1:]
    execution: dict[str, Any] = client.get_query_execution(QueryExecutionId=query_id)[
        "QueryExecution"
    ]
    return execution


def test_endpoint_ids_read_every_page_and_skip_only_the_header(
    athena: Any, page_sizes_asked: list[int]
):
    # The header "id" and an endpoint whose id is literally "id", on a later page.
    values: list[str | None] = ["id", *(f"e-{n}" for n in range(9)), "id", None]
    _inject([[value] for value in values])

    ids = list(_query_audience(athena).endpoint_ids("SELECT id FROM endpoints"))

    assert ids == [*(f"e-{n}" for n in range(9)), "id"]
    assert len(page_sizes_asked) == 3
    assert set(page_sizes_asked) == {1000}


def test_count_wraps_the_segment_query(athena: Any, page_sizes_asked: list[int]):
    _inject([["_col0"], ["4213"]])

    audience = _query_audience(athena)

    assert audience.count("SELECT id FROM endpoints WHERE opt_out = 'NONE'") == 4213
    execution = _last_execution(athena)
    assert execution["Query"] == (
        "SELECT count(*) FROM (SELECT id FROM endpoints WHERE opt_out = 'NONE')"
    )
    assert execution["QueryExecutionContext"]["Database"] == "clarion_db"


def test_a_count_without_a_number_is_an_error(athena: Any, page_sizes_asked: list[int]):
    _inject([["_col0"]])

    with pytest.raises(AthenaQueryError, match="expected one count, got"):
        _query_audience(athena).count("SELECT id FROM endpoints")


def test_run_returns_all_columns(athena: Any, page_sizes_asked: list[int]):
    _inject([["day", "sends"], ["2024-05-01", "10"], ["2024-05-02", None]])

    assert _query_audience(athena).run("SELECT day, sends FROM daily") == [
        ("2024-05-01", "10"),
        ("2024-05-02", None),
    ]


def test_results_are_written_where_asked(athena: Any):
    _query_audience(athena, output_location="s3://results-bucket/athena/").execute("SELECT 1")

    location = _last_execution(athena)["ResultConfiguration"]["OutputLocation"]
    assert location.startswith("s3://results-bucket/athena/")


@pytest.fixture
def slow_queries() -> Iterator[None]:
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 3}
    )
    yield
    state_manager.unset_transition("athena::execution")


def test_waits_until_the_query_finishes(athena: Any, slow_queries: None):
    _inject([["_col0"], ["7"]])
    pauses: list[float] = []
    audience = AthenaAudienceQuery(athena, "clarion", "clarion_db", sleep=pauses.append)

    assert audience.count("SELECT id FROM endpoints") == 7
    # QUEUED and RUNNING each last three polls in this transition.
    assert len(pauses) >= 2
    assert pauses == sorted(pauses)


# -- what moto cannot do: Stubber, which checks every request against the API model ----


@pytest.fixture
def stubbed(aws_credentials: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _start(stubber: Stubber, sql: str, query_id: str, output: str | None = None) -> None:
    expected: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": "clarion_db"},
        "WorkGroup": "clarion",
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


def test_a_failed_query_says_why(stubbed: tuple[Any, Stubber]):
    client, stubber = stubbed
    sql = "SELECT id FROM endpoints WHERE nope = 1"
    _start(stubber, f"SELECT count(*) FROM ({sql})", "q-failed")
    _status(stubber, "q-failed", "RUNNING")
    reason = "COLUMN_NOT_FOUND: line 1:34: Column 'nope' cannot be resolved"
    _status(stubber, "q-failed", "FAILED", reason)

    with pytest.raises(AthenaQueryError) as caught:
        _query_audience(client).count(sql)

    assert caught.value.state == "FAILED"
    assert caught.value.query_execution_id == "q-failed"
    assert str(caught.value) == f"Athena query q-failed FAILED: {reason}"


def test_a_cancelled_query_is_an_error(stubbed: tuple[Any, Stubber]):
    client, stubber = stubbed
    _start(stubber, "SELECT 1", "q-cancelled", output="s3://out/")
    _status(stubber, "q-cancelled", "CANCELLED")

    with pytest.raises(AthenaQueryError, match="q-cancelled CANCELLED: no reason given"):
        _query_audience(client, output_location="s3://out/").run("SELECT 1")


def test_a_query_past_the_timeout_is_stopped(stubbed: tuple[Any, Stubber]):
    client, stubber = stubbed
    _start(stubber, "SELECT 1", "q-slow")
    _status(stubber, "q-slow", "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-slow"})

    with pytest.raises(AthenaQueryError, match="still RUNNING after 0 s; stopped") as caught:
        _query_audience(client, timeout_s=0).execute("SELECT 1")
    assert caught.value.state == "TIMED_OUT"
