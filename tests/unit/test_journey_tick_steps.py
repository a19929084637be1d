"""The journey tick's steps as the AWS state machine runs them, on the local backend
with a fake audience query: the step naming the next run to offer (plan, entered)
starts that run's audience query and returns its id and the SQL's size, never the SQL;
a retried step gets the query it started; a retry that starts a second query all the
same admits each member once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.journeys import JourneyWorld, journey_json

from clarion.domain.journeys.durations import to_ms
from clarion.services.journeys import JourneyTickSteps, PendingEntry
from clarion.services.journeys.tick_steps import query_token

MEMBERS = ["e0", "e1", "e2", "e3"]


class FakeAudienceQuery:
    """Records each query started; with ``idempotent`` a token seen before gets its
    query back, as Athena's ClientRequestToken does (else every start is a new query)."""

    def __init__(self, *, idempotent: bool = True) -> None:
        self.idempotent = idempotent
        self.started: list[tuple[str, str]] = []
        self._ids: dict[str, str] = {}

    def start(self, sql: str, token: str) -> str:
        self.started.append((sql, token))
        if self.idempotent and token in self._ids:
            return self._ids[token]
        query_id = f"query-{len(self.started)}"
        self._ids[token] = query_id
        return query_id


@pytest.fixture
def world(tmp_path: Path) -> JourneyWorld:
    w = JourneyWorld(tmp_path / "home")
    w.templates()
    w.endpoints(len(MEMBERS))
    return w


def _segment_journey(world: JourneyWorld, name: str) -> str:
    body = journey_json("onboarding")
    body["Name"] = name
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": world.segment(name, MEMBERS)}}
    return world.journey(body)


def _steps(world: JourneyWorld, queries: Any) -> JourneyTickSteps:
    return JourneyTickSteps(
        world.boot.journey_ticker, world.boot.journey_engine, audience_query=queries
    )


def test_plan_starts_the_first_runs_query_and_returns_its_id_never_the_sql(
    world: JourneyWorld,
) -> None:
    journey = _segment_journey(world, "starters")
    queries = FakeAudienceQuery()

    plan = _steps(world, queries).plan(world.now, execution="tick-1")

    entry = plan["Entry"]
    ((sql, token),) = queries.started
    pending = PendingEntry(journey, entry["RunId"], entry["SegmentId"], entry["SegmentVersion"])
    assert sql == world.boot.journey_ticker.audience_sql(pending, 500)
    assert entry["JourneyId"] == journey
    assert entry["AudienceQueryExecutionId"] == "query-1"
    assert entry["AudienceSqlBytes"] == len(sql.encode("utf-8"))
    assert token == query_token("tick-1", plan["Now"], pending, sql) and len(token) == 64
    assert sql not in json.dumps(plan) and "SELECT" not in json.dumps(plan).upper()


def test_a_retried_plan_gets_the_query_it_started_and_another_tick_a_new_one(
    world: JourneyWorld,
) -> None:
    _segment_journey(world, "starters")
    queries = FakeAudienceQuery()
    steps = _steps(world, queries)

    first = steps.plan(world.now, execution="tick-1")
    retried = steps.plan(world.now, execution="tick-1")
    next_tick = steps.plan(world.later(minutes=5), execution="tick-2")

    assert first["Entry"]["RunId"] == retried["Entry"]["RunId"] == next_tick["Entry"]["RunId"]
    assert retried["Entry"]["AudienceQueryExecutionId"] == "query-1"
    assert next_tick["Entry"]["AudienceQueryExecutionId"] == "query-3"
    tokens = [token for _, token in queries.started]
    assert tokens[0] == tokens[1] != tokens[2]


def test_entered_starts_the_next_runs_query(world: JourneyWorld) -> None:
    journeys = {_segment_journey(world, "first"), _segment_journey(world, "second")}
    queries = FakeAudienceQuery()
    steps = _steps(world, queries)
    plan = steps.plan(world.now, execution="tick-1")
    entry = plan["Entry"]

    following = steps.entered(entry["JourneyId"], entry["RunId"], plan["Now"], execution="tick-1")
    after = following["Entry"]
    last = steps.entered(after["JourneyId"], after["RunId"], plan["Now"], execution="tick-1")

    assert {entry["JourneyId"], after["JourneyId"]} == journeys
    assert after["AudienceQueryExecutionId"] == "query-2"
    assert after["AudienceSqlBytes"] == len(queries.started[1][0].encode("utf-8"))
    assert last == {"Entry": None}
    assert len(queries.started) == 2


def test_the_plan_of_a_later_project_starts_no_query(world: JourneyWorld) -> None:
    journey = _segment_journey(world, "starters")
    queries = FakeAudienceQuery()

    plan = _steps(world, queries).plan(world.now, execution="tick-1", start_query=False)

    assert plan["Entry"]["JourneyId"] == journey
    assert "AudienceQueryExecutionId" not in plan["Entry"]
    assert queries.started == []


def test_a_retry_that_starts_a_second_query_admits_each_member_once(world: JourneyWorld) -> None:
    journey = _segment_journey(world, "starters")
    queries = FakeAudienceQuery(idempotent=False)  # the token forgotten: a second query
    steps = _steps(world, queries)
    first = steps.plan(world.now, execution="tick-1")
    retried = steps.plan(world.now, execution="tick-1")
    run_id, now_ms = first["Entry"]["RunId"], first["Now"]

    # Both queries' rows are the same members, each offered by the Map.
    offered = [steps.admit_batch(journey, run_id, MEMBERS, now_ms) for _ in range(2)]

    ids = {plan["Entry"]["AudienceQueryExecutionId"] for plan in (first, retried)}
    assert len(ids) == 2
    assert offered[0]["Entered"] == len(MEMBERS)
    assert offered[1]["Entered"] == 0
    metrics = world.boot.journey_reports.execution_metrics(journey)["Metrics"]
    assert metrics["ENDPOINT_ENTERED"] == str(len(MEMBERS))
    assert len(world.recipients("welcome")) == len(MEMBERS)


def test_a_run_to_offer_needs_an_audience_query(world: JourneyWorld) -> None:
    _segment_journey(world, "starters")
    steps = _steps(world, None)

    with pytest.raises(RuntimeError, match="audience query"):
        steps.plan(world.now)
    # Nothing pending: no query needed.
    idle = JourneyWorld(world.home.parent / "idle")
    assert _steps(idle, None).plan(idle.now)["Entry"] is None


def test_the_audience_query_is_made_on_first_use(world: JourneyWorld) -> None:
    _segment_journey(world, "starters")
    made: list[FakeAudienceQuery] = []

    def make() -> FakeAudienceQuery:
        made.append(FakeAudienceQuery())
        return made[-1]

    steps = _steps(world, make)
    steps.plan(world.now, execution="tick-1")
    steps.next_entry(to_ms(world.now), execution="tick-1")

    assert len(made) == 1 and len(made[0].started) == 2


@pytest.mark.parametrize(
    ("event", "now", "execution"),
    [
        ({}, None, None),
        ({"Now": 1_700_000_000_000}, 1_700_000_000_000, None),
        ({"Input": {}, "ExecutionName": "tick-1"}, None, "tick-1"),
        ({"Input": {"Now": 1_700_000_000_000}, "ExecutionName": "t"}, 1_700_000_000_000, "t"),
    ],
)
def test_the_plan_function_takes_the_input_alone_or_with_the_execution_name(
    event: dict[str, Any], now: int | None, execution: str | None
) -> None:
    from lambdas._runtime import parse_event
    from lambdas.journey_plan.handler import PlanEvent

    request = parse_event(event, PlanEvent)

    assert (request.now, request.execution_name) == (now, execution)
