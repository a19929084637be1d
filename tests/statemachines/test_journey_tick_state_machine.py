"""The journey tick on AWS, end to end: the real state machine (the ASL file, executed by
moto's interpreter) whose tasks run the real handlers in process against moto DynamoDB
(endpoints, definitions, sends, journeys), S3, SES v2, Kinesis and Athena.

A segment journey (the whitepaper's onboarding journey starting from a segment): the
first tick starts its run, the Athena query's batches are admitted by the entries'
Distributed Map and the welcome emails sent; a week later the second tick's shard
workers split the participants on opening the welcome and send tips or basics; the run
and the journey complete. Retried invocations send nothing twice; a failing step
notifies and fails the execution.
"""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import requests
from fakes.segments import NEAR_LIMIT_CODES, near_limit_segment
from moto.core import DEFAULT_ACCOUNT_ID

from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.events.records import MessageContext
from clarion.domain.segments import MAX_SEGMENT_SQL_BYTES
from clarion.services.events import IngestSource

JourneyDeployment = Any  # tests/statemachines/conftest.py's (conftest is not importable)
MEMBERS = [f"m{n:02d}" for n in range(12)]
ROOT_JOURNEY = "demo/journeys/onboarding-journey.json"


def _queue_batches(batches: list[list[str]]) -> None:
    rows = [{"Data": [{"VarCharValue": "batch"}, {"VarCharValue": "ids"}]}]
    for number, ids in enumerate(batches):
        value = json.dumps(ids, separators=(",", ":")).replace('"', '""')
        rows.append({"Data": [{"VarCharValue": str(number)}, {"VarCharValue": value}]})
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={
            "account_id": DEFAULT_ACCOUNT_ID,
            "region": "us-east-1",
            "results": [
                {
                    "rows": rows,
                    "column_info": [
                        {"Name": "batch", "Type": "varchar"},
                        {"Name": "ids", "Type": "varchar"},
                    ],
                }
            ],
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def _setup(deployment: JourneyDeployment) -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for name in ("welcome", "tips", "basics"):
        deployment.boot.template_service.create(
            json.loads((root / "demo" / "journeys" / f"onboarding-{name}.json").read_text())
        )
    return _journey(deployment.boot, MEMBERS)


def _journey(boot: Any, members: list[str]) -> str:
    """The onboarding journey, active, from a segment of ``members`` (the first opted
    out), in the project of ``boot``; the templates are the account's."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    endpoints = [
        {
            "Id": member,
            "ChannelType": "EMAIL",
            "Address": f"{member}@example.com",
            "User": {"UserAttributes": {"FirstName": [member]}},
            "Demographic": {"Timezone": "Europe/Paris"},
        }
        for member in members
    ]
    endpoints[0]["OptOut"] = "ALL"
    boot.adapters.profile_store.put_endpoints([validate_endpoint(e) for e in endpoints])
    segment = boot.segment_service.create_imported_segment("starters")
    boot.segment_service.add_imported_members(segment, members)
    body = json.loads((root / ROOT_JOURNEY).read_text(encoding="utf-8"))
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": segment}}
    journey = boot.journey_service.create_journey(body)["Id"]
    boot.journey_service.update_journey_state(journey, {"State": "ACTIVE"})
    return str(journey)


def _mail(deployment: JourneyDeployment) -> list[Any]:
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(sent.raw_data.encode()) for sent in deployment.sent_mail()]


def _subjects(deployment: JourneyDeployment) -> list[str]:
    return sorted(str(m["Subject"]).split(",")[0] for m in _mail(deployment))


def _open(deployment: JourneyDeployment, endpoint_ids: set[str], boot: Any = None) -> None:
    """SES Open records for the welcome emails of these endpoints, through the journeys'
    stream consumer (as its Lambda would receive them) of the project of ``boot`` (the
    default project's when None)."""
    boot = boot or deployment.boot
    records = []
    for message in _mail(deployment):
        if message["X-Clarion-Endpoint-Id"] not in endpoint_ids:
            continue
        fields = {
            "journey_id": "X-Clarion-Journey-Id",
            "journey_activity_id": "X-Clarion-Journey-Activity-Id",
            "journey_run_id": "X-Clarion-Journey-Run-Id",
            "endpoint_id": "X-Clarion-Endpoint-Id",
            "run_id": "X-Clarion-Run-Id",
        }
        context = MessageContext(**{f: str(message[h]) for f, h in fields.items() if message[h]})
        tags = {t["Name"]: [t["Value"]] for t in context.to_ses_tags()}
        mail = {
            "timestamp": "2025-03-03T10:00:00.000Z",
            "messageId": f"ses-{message['X-Clarion-Endpoint-Id']}",
            "destination": [str(message["To"])],
            "tags": tags,
        }
        records.append(
            {"eventType": "Open", "mail": mail, "open": {"timestamp": "2025-03-03T10:00:00.000Z"}}
        )
    result = boot.event_ingest_service.normalise(list(enumerate(records)), IngestSource.SES)
    assert not result.rejects
    boot.journey_event_trigger.handle_events(result.records)


def test_a_segment_journey_runs_through_the_state_machine(journey_deployment: JourneyDeployment):
    deployment = journey_deployment
    journey = _setup(deployment)
    _queue_batches([MEMBERS[:5], MEMBERS[5:]])

    first = deployment.tick()

    assert first["status"] == "SUCCEEDED", first
    assert len(deployment.invoked("enter")) == 2
    assert len(deployment.invoked("advance")) >= 16
    assert _subjects(deployment).count("Welcome aboard") == 11  # m00 opted out
    reports = deployment.boot.journey_reports
    metrics = reports.execution_metrics(journey)["Metrics"]
    assert metrics["ENDPOINT_ENTERED"] == "11" and metrics["ENDPOINT_OPT_OUT"] == "1"

    _open(deployment, {"m01", "m02", "m03"})
    deployment.clock.advance_to(deployment.clock.now + timedelta(days=7, minutes=10))
    second = deployment.tick()

    assert second["status"] == "SUCCEEDED", second
    subjects = _subjects(deployment)
    assert subjects.count("Tips and tricks for you") == 3
    assert subjects.count("The basics") == 8
    assert reports.execution_activity_metrics(journey, "opened")["Metrics"] == {
        "Branch_1": "3",
        "Branch_2": "8",
    }
    assert deployment.boot.journey_service.get_journey(journey)["State"] == "COMPLETED"
    assert [r["Status"] for r in reports.runs(journey)["Item"]] == ["COMPLETED"]
    tags = _mail(deployment)[0]
    assert tags["X-Clarion-Journey-Id"] == journey


def _welcomed(deployment: JourneyDeployment, subject: str) -> set[str]:
    return {
        str(m["X-Clarion-Endpoint-Id"])
        for m in _mail(deployment)
        if str(m["Subject"]).startswith(subject)
    }


def test_another_projects_journey_moves_in_the_same_tick(journey_deployment: JourneyDeployment):
    deployment = journey_deployment
    journey = _setup(deployment)
    project = deployment.boot.project_service.create_app({"Name": "second"})["Id"]
    other = deployment.boot.for_project(project)
    members = [f"p{n:02d}" for n in range(5)]
    other_journey = _journey(other, members)
    _queue_batches([MEMBERS])  # the default project's run is offered first
    _queue_batches([members])

    first = deployment.tick()

    assert first["status"] == "SUCCEEDED", first
    assert {e["ApplicationId"] for e in deployment.invoked("enter")} == {
        deployment.boot.app_id,
        project,
    }
    assert {(e["ApplicationId"], e["JourneyId"]) for e in deployment.invoked("advance")} == {
        (deployment.boot.app_id, journey),
        (project, other_journey),
    }
    assert _welcomed(deployment, "Welcome aboard") == set(MEMBERS[1:]) | set(members[1:])
    metrics = other.journey_reports.execution_metrics(other_journey)["Metrics"]
    assert metrics["ENDPOINT_ENTERED"] == "4" and metrics["ENDPOINT_OPT_OUT"] == "1"
    defaults = deployment.boot.journey_reports.execution_metrics(journey)["Metrics"]
    assert defaults["ENDPOINT_ENTERED"] == "11"
    # each project's keys hold its own journey and participants only
    stored = {j["Id"] for j in deployment.boot.adapters.journey_repository.list_journeys()}
    assert stored == {journey}
    assert {j["Id"] for j in other.adapters.journey_repository.list_journeys()} == {other_journey}
    apps = {(str(m["X-Clarion-Journey-Id"]), str(m["X-Clarion-App-Id"])) for m in _mail(deployment)}
    assert apps == {(journey, deployment.boot.app_id), (other_journey, project)}

    _open(deployment, {"p01"}, other)
    deployment.clock.advance_to(deployment.clock.now + timedelta(days=7, minutes=10))
    second = deployment.tick()

    assert second["status"] == "SUCCEEDED", second
    assert _welcomed(deployment, "Tips and tricks for you") == {"p01"}
    assert _welcomed(deployment, "The basics") == set(MEMBERS[1:]) | set(members[2:])
    assert other.journey_service.get_journey(other_journey)["State"] == "COMPLETED"
    assert deployment.boot.journey_service.get_journey(journey)["State"] == "COMPLETED"
    assert [r["Status"] for r in other.journey_reports.runs(other_journey)["Item"]] == ["COMPLETED"]
    finished = json.loads(second["output"])["Finished"]
    assert {(f["ApplicationId"], f["JourneyId"]) for f in finished} == {
        (deployment.boot.app_id, journey),
        (project, other_journey),
    }


def test_a_retried_shard_sends_nothing_twice(journey_deployment: JourneyDeployment):
    deployment = journey_deployment
    _setup(deployment)
    _queue_batches([MEMBERS])
    deployment.fail_next_call("enter", times=2)

    done = deployment.tick()

    assert done["status"] == "SUCCEEDED"
    assert len(deployment.invoked("enter")) == 3
    assert _subjects(deployment).count("Welcome aboard") == 11


def test_a_tick_with_nothing_to_do_is_cheap(journey_deployment: JourneyDeployment):
    deployment = journey_deployment

    done = deployment.tick()

    assert done["status"] == "SUCCEEDED"
    assert deployment.invoked("advance") == [] and len(deployment.invoked("plan")) == 1


def test_a_failing_step_notifies_and_fails_the_execution(journey_deployment: JourneyDeployment):
    deployment = journey_deployment
    _setup(deployment)
    _queue_batches([MEMBERS])
    deployment.fail_next_call("finish", times=10)

    done = deployment.tick()

    assert done["status"] == "FAILED"
    history = deployment.history(done["executionArn"])
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    assert "NotifyFailure" in entered


def test_a_plan_retried_after_starting_its_query_admits_each_member_once(
    journey_deployment: JourneyDeployment,
):
    """Plan times out after starting the audience query and is retried. On AWS the
    retry's ClientRequestToken (the execution, Now, the run, the SQL) gets the same
    query back; moto ignores the token, so here the retry starts a second query: the
    case of a token forgotten."""
    deployment = journey_deployment
    journey = _setup(deployment)
    _queue_batches([MEMBERS])  # the first attempt's query
    _queue_batches([MEMBERS[:6], MEMBERS[6:]])  # the retry's
    deployment.fail_after_call("plan")

    done = deployment.tick()

    assert done["status"] == "SUCCEEDED", done
    plans = deployment.invoked("plan")
    assert len(plans) == 2 and plans[0] == plans[1]
    assert plans[0]["ExecutionName"] == "tick-1"
    queries = deployment.clients["athena"].list_query_executions()["QueryExecutionIds"]
    assert len(queries) == 2
    assert _subjects(deployment).count("Welcome aboard") == 11
    metrics = deployment.boot.journey_reports.execution_metrics(journey)["Metrics"]
    assert metrics["ENDPOINT_ENTERED"] == "11"


def test_a_run_offered_again_through_a_second_query_admits_each_member_once(
    journey_deployment: JourneyDeployment,
):
    """The first tick admits the run's members, then its Entered step fails (the run
    is still to be offered); the next tick's plan offers the run again through a new
    audience query, and every member, already a participant, is refused a second
    entry (the participant store's compare-and-set)."""
    deployment = journey_deployment
    journey = _setup(deployment)
    _queue_batches([MEMBERS])
    deployment.fail_next_call("entered", times=10)

    failed = deployment.tick()
    deployment.fail_next.clear()
    _queue_batches([MEMBERS[:3], MEMBERS[3:]])
    deployment.clock.advance_to(deployment.clock.now + timedelta(minutes=5))
    again = deployment.tick()

    assert failed["status"] == "FAILED" and again["status"] == "SUCCEEDED", again
    plans = deployment.invoked("plan")
    assert len(plans) == 2
    assert len(deployment.invoked("enter")) == 3  # one batch, then two
    assert _subjects(deployment).count("Welcome aboard") == 11
    reports = deployment.boot.journey_reports
    assert reports.execution_metrics(journey)["Metrics"]["ENDPOINT_ENTERED"] == "11"
    assert len(reports.runs(journey)["Item"]) == 1


def test_a_segment_near_the_sql_limit_ticks_with_no_sql_in_the_execution_state(
    journey_deployment: JourneyDeployment,
):
    deployment = journey_deployment
    boot = deployment.boot
    # The endpoints and templates; the starters' journey is cancelled (it never ran).
    boot.journey_service.update_journey_state(_setup(deployment), {"State": "CANCELLED"})
    segment = near_limit_segment(boot)
    body = json.loads(
        (Path(__file__).resolve().parents[2] / ROOT_JOURNEY).read_text(encoding="utf-8")
    )
    body["Name"] = "long list journey"
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": segment["Id"]}}
    journey = boot.journey_service.create_journey(body)["Id"]
    boot.journey_service.update_journey_state(journey, {"State": "ACTIVE"})
    _queue_batches([MEMBERS[1:]])

    done = deployment.tick()

    assert done["status"] == "SUCCEEDED", done
    metrics = boot.journey_reports.execution_metrics(journey)["Metrics"]
    assert metrics["ENDPOINT_ENTERED"] == "11"
    history = deployment.history(done["executionArn"])
    # Athena was given the whole query by the plan step...
    (plan,) = [e for e in history if e["type"] == "TaskSucceeded"][:1]
    entry = json.loads(plan["taskSucceededEventDetails"]["output"])["Payload"]["Entry"]
    assert entry["AudienceSqlBytes"] > 0.9 * MAX_SEGMENT_SQL_BYTES
    query = deployment.clients["athena"].get_query_execution(
        QueryExecutionId=entry["AudienceQueryExecutionId"]
    )
    assert NEAR_LIMIT_CODES[-1] in query["QueryExecution"]["Query"]
    # ...and no state's input or output, nor any task's parameters, ever held it.
    # (GetQueryExecution's raw answer repeats the query, under the 256 KiB task-result
    # limit since the SQL is at most MAX_SEGMENT_SQL_BYTES; its ResultSelector keeps
    # only the query's state.)
    states_seen = set()
    for event in history:
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if details is not None:
            states_seen.add(details["name"])
            assert NEAR_LIMIT_CODES[0] not in json.dumps(details), (event["type"], details["name"])
        scheduled = event.get("taskScheduledEventDetails", {}).get("parameters", "")
        assert NEAR_LIMIT_CODES[0] not in scheduled, event["type"]
        result = event.get("taskSucceededEventDetails", {}).get("output", "")
        assert len(result.encode("utf-8")) < 256 * 1024
    assert {"Plan", "AudienceQueryStarted", "GetAudienceQuery", "AdmitBatches", "Entered"} <= (
        states_seen
    )
    assert "SELECT" not in done.get("input", "") + done.get("output", "")


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ASL's retries back off for seconds and moto sleeps them for real: the sleep
    between attempts is skipped here (the retry rules, and so the attempts, are kept)."""
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=lambda seconds: None))
