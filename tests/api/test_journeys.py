"""Journeys through boto3's pinpoint client: the lifecycle operations, the metrics
operations, paging, validation errors and project scoping on both backends; an event
journey sending through the engine on the local one."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.domain.events.records import MessageContext

DEMO = Path(__file__).resolve().parents[2] / "demo" / "journeys"
# Where the outbox message carries each MessageContext field.
HEADERS = {
    "app_id": "X-Clarion-App-Id",
    "endpoint_id": "X-Clarion-Endpoint-Id",
    "run_id": "X-Clarion-Run-Id",
    "journey_id": "X-Clarion-Journey-Id",
    "journey_activity_id": "X-Clarion-Journey-Activity-Id",
    "journey_run_id": "X-Clarion-Journey-Run-Id",
}


def _templates(pinpoint: Any) -> dict[str, str]:
    """The onboarding templates under names of this test's own (templates are
    account-wide); returns the demo's names mapped to them."""
    names = {}
    suffix = uuid.uuid4().hex[:8]
    for part in ("welcome", "tips", "basics"):
        body = json.loads((DEMO / f"onboarding-{part}.json").read_text(encoding="utf-8"))
        name = f"{body['TemplateName']}-{suffix}"
        pinpoint.create_email_template(
            TemplateName=name, EmailTemplateRequest=body["EmailTemplateRequest"]
        )
        names[body["TemplateName"]] = name
    return names


def _journey(names: dict[str, str], **changes: Any) -> dict[str, Any]:
    body = json.loads((DEMO / "onboarding-journey.json").read_text(encoding="utf-8"))
    for activity in body["Activities"].values():
        email = activity.get("EMAIL")
        if email and email.get("TemplateName") in names:
            email["TemplateName"] = names[email["TemplateName"]]
    body.update(changes)
    return body


def test_the_journey_lifecycle(pinpoint: Any, project: str) -> None:
    names = _templates(pinpoint)
    created = pinpoint.create_journey(ApplicationId=project, WriteJourneyRequest=_journey(names))
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    journey = created["JourneyResponse"]
    journey_id = journey["Id"]
    assert journey["ApplicationId"] == project and journey["State"] == "DRAFT"
    assert journey["Activities"]["week"]["Wait"]["WaitTime"]["WaitFor"] == "P7D"

    got = pinpoint.get_journey(ApplicationId=project, JourneyId=journey_id)["JourneyResponse"]
    assert got["Id"] == journey_id and got["Name"] == "onboarding"

    renamed = pinpoint.update_journey(
        ApplicationId=project,
        JourneyId=journey_id,
        WriteJourneyRequest=_journey(names, Name="onboarding-2"),
    )["JourneyResponse"]
    assert renamed["Name"] == "onboarding-2"

    active = pinpoint.update_journey_state(
        ApplicationId=project, JourneyId=journey_id, JourneyStateRequest={"State": "ACTIVE"}
    )["JourneyResponse"]
    assert active["State"] == "ACTIVE"
    changed = _journey(names)
    del changed["Activities"]["basics"]
    changed["Activities"]["opened"]["ConditionalSplit"]["FalseActivity"] = "tips"
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="ACTIVE"):
        pinpoint.update_journey(
            ApplicationId=project, JourneyId=journey_id, WriteJourneyRequest=changed
        )

    metrics = pinpoint.get_journey_execution_metrics(ApplicationId=project, JourneyId=journey_id)[
        "JourneyExecutionMetricsResponse"
    ]
    assert metrics["JourneyId"] == journey_id and metrics["ApplicationId"] == project
    assert metrics["Metrics"]["ENDPOINT_ENTERED"] == "0"
    activity = pinpoint.get_journey_execution_activity_metrics(
        ApplicationId=project, JourneyId=journey_id, JourneyActivityId="welcome"
    )["JourneyExecutionActivityMetricsResponse"]
    # Pinpoint's activity types of metrics: MESSAGE for every message activity.
    assert activity["ActivityType"] == "MESSAGE" and activity["JourneyActivityId"] == "welcome"
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_journey_execution_activity_metrics(
            ApplicationId=project, JourneyId=journey_id, JourneyActivityId="nowhere"
        )
    runs = pinpoint.get_journey_runs(ApplicationId=project, JourneyId=journey_id)[
        "JourneyRunsResponse"
    ]
    assert isinstance(runs["Item"], list)

    paused = pinpoint.update_journey_state(
        ApplicationId=project, JourneyId=journey_id, JourneyStateRequest={"State": "PAUSED"}
    )["JourneyResponse"]
    assert paused["State"] == "PAUSED"
    cancelled = pinpoint.update_journey_state(
        ApplicationId=project, JourneyId=journey_id, JourneyStateRequest={"State": "CANCELLED"}
    )["JourneyResponse"]
    assert cancelled["State"] == "CANCELLED"

    deleted = pinpoint.delete_journey(ApplicationId=project, JourneyId=journey_id)
    assert deleted["JourneyResponse"]["Id"] == journey_id
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_journey(ApplicationId=project, JourneyId=journey_id)


def test_journeys_are_listed_in_pages_and_belong_to_their_project(
    pinpoint: Any, project: str
) -> None:
    names = _templates(pinpoint)
    ids = {
        pinpoint.create_journey(
            ApplicationId=project, WriteJourneyRequest=_journey(names, Name=f"j{n}")
        )["JourneyResponse"]["Id"]
        for n in range(3)
    }
    first = pinpoint.list_journeys(ApplicationId=project, PageSize="2")["JourneysResponse"]
    assert len(first["Item"]) == 2 and first["NextToken"]
    second = pinpoint.list_journeys(ApplicationId=project, PageSize="2", Token=first["NextToken"])[
        "JourneysResponse"
    ]
    assert "NextToken" not in second
    assert {j["Id"] for j in first["Item"] + second["Item"]} == ids

    other = pinpoint.create_app(CreateApplicationRequest={"Name": "other"})
    other_id = other["ApplicationResponse"]["Id"]
    assert pinpoint.list_journeys(ApplicationId=other_id)["JourneysResponse"]["Item"] == []
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_journey(ApplicationId=other_id, JourneyId=next(iter(ids)))


def test_bad_journeys_name_the_activity_and_field(pinpoint: Any, project: str) -> None:
    names = _templates(pinpoint)
    body = _journey(names)
    body["Activities"]["week"]["Wait"]["NextActivity"] = "nowhere"
    with pytest.raises(pinpoint.exceptions.BadRequestException, match=r"week.*NextActivity"):
        pinpoint.create_journey(ApplicationId=project, WriteJourneyRequest=body)

    split = copy.deepcopy(_journey(names))
    split["Activities"]["welcome"] = {
        "RandomSplit": {
            "Branches": [
                {"Percentage": 50, "NextActivity": "week"},
                {"Percentage": 40, "NextActivity": "week"},
            ]
        }
    }
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="100"):
        pinpoint.create_journey(ApplicationId=project, WriteJourneyRequest=split)

    center = _journey(names)
    center["Activities"]["tips"] = {"ContactCenter": {}}
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="ContactCenter"):
        pinpoint.create_journey(ApplicationId=project, WriteJourneyRequest=center)


def _outbox(bootstrap: Bootstrap, project: str) -> list[Any]:
    folder = bootstrap.for_project(project).settings.home / "outbox" / "email"
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def _ses_open(project: Bootstrap, message: Any, at: datetime) -> None:
    """SES's Delivery and Open records of one outbox message, ingested as SES would
    publish them."""
    context = MessageContext(**{f: str(message[h]) for f, h in HEADERS.items() if message[h]})
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    mail = {
        "timestamp": stamp,
        "source": str(message["From"]),
        "messageId": f"ses-{message['X-Clarion-Endpoint-Id']}",
        "destination": [str(message["To"])],
        "tags": {t["Name"]: [t["Value"]] for t in context.to_ses_tags()},
    }
    records = [
        {"eventType": "Delivery", "mail": mail, "delivery": {"timestamp": stamp}},
        {"eventType": "Open", "mail": mail, "open": {"timestamp": stamp, "userAgent": "x"}},
    ]
    text = "\n".join(json.dumps(r) for r in records)
    project.event_ingest_service.ingest_text(text, "ses", origin="test")


@pytest.mark.local_only("reads the outbox and the event store's KPIs (Athena on AWS)")
def test_an_event_journey_runs_and_reports_through_the_api(
    pinpoint: Any, project: str, api: Any
) -> None:
    names = _templates(pinpoint)
    pinpoint.update_endpoints_batch(
        ApplicationId=project,
        EndpointBatchRequest={
            "Item": [
                {
                    "Id": f"j{n}",
                    "ChannelType": "EMAIL",
                    "Address": f"j{n}@example.com",
                    "User": {"UserAttributes": {"FirstName": [f"J{n}"]}},
                }
                for n in range(2)
            ]
        },
    )
    journey = pinpoint.create_journey(
        ApplicationId=project, WriteJourneyRequest=_journey(names, State="ACTIVE")
    )["JourneyResponse"]
    assert journey["State"] == "ACTIVE"
    now = datetime.now(UTC)
    pinpoint.put_events(
        ApplicationId=project,
        EventsRequest={
            "BatchItem": {
                f"j{n}": {
                    "Endpoint": {},
                    "Events": {
                        "signup": {
                            "EventType": "sign_up",
                            "Timestamp": now.isoformat().replace("+00:00", "Z"),
                        }
                    },
                }
                for n in range(2)
            }
        },
    )

    mail = _outbox(api.bootstrap, project)
    assert len(mail) == 2
    assert {m["X-Clarion-Journey-Id"] for m in mail} == {journey["Id"]}
    metrics = pinpoint.get_journey_execution_metrics(ApplicationId=project, JourneyId=journey["Id"])
    assert metrics["JourneyExecutionMetricsResponse"]["Metrics"]["ENDPOINT_ENTERED"] == "2"
    runs = pinpoint.get_journey_runs(ApplicationId=project, JourneyId=journey["Id"])[
        "JourneyRunsResponse"
    ]["Item"]
    (run,) = runs
    run_metrics = pinpoint.get_journey_run_execution_metrics(
        ApplicationId=project, JourneyId=journey["Id"], RunId=run["RunId"]
    )["JourneyRunExecutionMetricsResponse"]
    assert run_metrics["RunId"] == run["RunId"]
    assert run_metrics["Metrics"]["ENDPOINT_ENTERED"] == "2"
    welcome = pinpoint.get_journey_run_execution_activity_metrics(
        ApplicationId=project,
        JourneyId=journey["Id"],
        RunId=run["RunId"],
        JourneyActivityId="welcome",
    )["JourneyRunExecutionActivityMetricsResponse"]
    assert welcome["Metrics"]["SUCCESS"] == "2"
    # SES opens one of the welcome emails (its tags carry the journey's ids).
    _ses_open(api.bootstrap.for_project(project), mail[0], now)
    kpi = pinpoint.get_journey_date_range_kpi(
        ApplicationId=project,
        JourneyId=journey["Id"],
        KpiName="journey-emails-opened",
        StartTime=now - timedelta(days=1),
        EndTime=now + timedelta(hours=1),
    )["JourneyDateRangeKpiResponse"]
    assert kpi["JourneyId"] == journey["Id"] and kpi["KpiName"] == "journey-emails-opened"
    assert kpi["KpiResult"]["Rows"][0]["Values"][0]["Value"] == "1"
    # KPIs are daily, as Pinpoint's: a range of later days holds none of it.
    later = pinpoint.get_journey_date_range_kpi(
        ApplicationId=project,
        JourneyId=journey["Id"],
        KpiName="journey-emails-opened",
        StartTime=now + timedelta(days=2),
        EndTime=now + timedelta(days=3),
    )["JourneyDateRangeKpiResponse"]
    assert later["KpiResult"]["Rows"][0]["Values"][0]["Value"] == "0"
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="KpiName"):
        pinpoint.get_journey_date_range_kpi(
            ApplicationId=project, JourneyId=journey["Id"], KpiName="no-such-kpi"
        )
