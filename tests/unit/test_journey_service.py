"""The journey services answer in botocore's shapes (each operation's output validated
by botocore's model), page like Pinpoint, scope by application and keep Pinpoint's
lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from fakes.journeys import JourneyWorld, journey_json

from clarion.domain.common.errors import InvalidRecordError, NotFoundError

SERVICE = botocore.session.get_session().get_service_model("pinpoint")


def _valid(shape: str, body: Any) -> None:
    report = ParamValidator().validate(body, SERVICE.shape_for(shape))
    assert not report.has_errors(), report.generate_report()


@pytest.fixture
def world(tmp_path: Path) -> JourneyWorld:
    w = JourneyWorld(tmp_path / "home")
    w.templates()
    return w


def test_every_operation_answers_in_botocores_shape(world: JourneyWorld):
    service, reports = world.boot.journey_service, world.boot.journey_reports
    world.endpoints(2)
    created = service.create_journey(journey_json("onboarding"))
    journey = created["Id"]
    published = service.update_journey_state(journey, {"State": "ACTIVE"})
    world.sign_up(["e0", "e1"])
    world.later(days=8)
    world.tick()
    run = reports.runs(journey)["Item"][0]["RunId"]

    _valid("JourneyResponse", created)
    _valid("JourneyResponse", published)
    _valid("JourneyResponse", service.get_journey(journey))
    _valid("JourneysResponse", service.list_journeys())
    _valid("JourneyExecutionMetricsResponse", reports.execution_metrics(journey))
    for activity in ("welcome", "week", "opened", "tips", "basics"):
        _valid(
            "JourneyExecutionActivityMetricsResponse",
            reports.execution_activity_metrics(journey, activity),
        )
        _valid(
            "JourneyRunExecutionActivityMetricsResponse",
            reports.run_execution_activity_metrics(journey, run, activity),
        )
    _valid("JourneyRunsResponse", reports.runs(journey))
    _valid("JourneyRunExecutionMetricsResponse", reports.run_execution_metrics(journey, run))
    _valid("JourneyDateRangeKpiResponse", reports.date_range_kpi(journey, "journey-emails-sent"))
    _valid(
        "JourneyDateRangeKpiResponse",
        reports.date_range_kpi(journey, "emails-opened-grouped-by-journey-activity"),
    )
    _valid("JourneyResponse", service.delete_journey(journey))


def test_metric_types_are_pinpoints(world: JourneyWorld):
    journey = world.journey(journey_json("onboarding"))
    types = {
        activity: world.boot.journey_reports.execution_activity_metrics(journey, activity)[
            "ActivityType"
        ]
        for activity in ("welcome", "week", "opened")
    }
    assert types == {"welcome": "MESSAGE", "week": "WAIT", "opened": "CONDITIONAL_SPLIT"}


def test_list_journeys_pages_with_page_size_and_token(world: JourneyWorld):
    service = world.boot.journey_service
    ids = sorted(service.create_journey({"Name": f"j{n}"})["Id"] for n in range(5))

    first = service.list_journeys(page_size_value="2")
    second = service.list_journeys(page_size_value="2", token=first["NextToken"])
    last = service.list_journeys(page_size_value="2", token=second["NextToken"])

    assert [j["Id"] for j in first["Item"] + second["Item"] + last["Item"]] == ids
    assert "NextToken" not in last
    with pytest.raises(InvalidRecordError, match="PageSize"):
        service.list_journeys(page_size_value="0")
    with pytest.raises(InvalidRecordError, match="page token"):
        service.list_journeys(token="not-a-token")


def test_journeys_belong_to_their_application(world: JourneyWorld):
    service = world.boot.journey_service
    mine = service.create_journey({"Name": "mine"}, application_id="app-a")
    service.create_journey({"Name": "theirs"}, application_id="app-b")

    assert [j["Name"] for j in service.list_journeys("app-a")["Item"]] == ["mine"]
    assert mine["ApplicationId"] == "app-a"
    with pytest.raises(NotFoundError):
        service.get_journey(mine["Id"], application_id="app-b")
    with pytest.raises(NotFoundError):
        world.boot.journey_reports.execution_metrics(mine["Id"], application_id="app-b")


def test_an_active_journeys_activities_cannot_change(world: JourneyWorld):
    service = world.boot.journey_service
    journey = world.journey(journey_json("onboarding"))
    body = journey_json("onboarding")
    body["Activities"]["tips"]["EMAIL"]["TemplateName"] = "onboarding-basics"

    with pytest.raises(InvalidRecordError) as caught:
        service.update_journey(journey, body)
    renamed = service.update_journey(journey, {**journey_json("onboarding"), "Name": "renamed"})

    assert caught.value.problems[0].field == "Activities"
    assert "cannot be changed" in caught.value.problems[0].reason
    assert renamed["Name"] == "renamed" and renamed["State"] == "ACTIVE"


@pytest.mark.parametrize(
    ("start", "wanted", "allowed"),
    [
        ("DRAFT", "PAUSED", False),
        ("ACTIVE", "PAUSED", True),
        ("PAUSED", "ACTIVE", True),
        ("ACTIVE", "CANCELLED", True),
        ("CANCELLED", "ACTIVE", False),
        ("ACTIVE", "COMPLETED", False),
        ("ACTIVE", "CLOSED", False),
    ],
)
def test_the_lifecycle(world: JourneyWorld, start: str, wanted: str, allowed: bool):
    service = world.boot.journey_service
    journey = world.journey(journey_json("onboarding"), activate=start != "DRAFT")
    if start in ("PAUSED", "CANCELLED"):
        service.update_journey_state(journey, {"State": start})

    if allowed:
        assert service.update_journey_state(journey, {"State": wanted})["State"] == wanted
    else:
        with pytest.raises(InvalidRecordError) as caught:
            service.update_journey_state(journey, {"State": wanted})
        assert caught.value.problems[0].field == "State"


def test_a_finished_journey_cannot_be_updated(world: JourneyWorld):
    service = world.boot.journey_service
    journey = world.journey(journey_json("onboarding"))
    service.update_journey_state(journey, {"State": "CANCELLED"})

    with pytest.raises(InvalidRecordError, match="CANCELLED journey cannot be changed"):
        service.update_journey(journey, journey_json("onboarding"))


def test_create_refuses_states_it_does_not_create_in_and_missing_segments(world: JourneyWorld):
    service = world.boot.journey_service
    with pytest.raises(InvalidRecordError, match="UpdateJourneyState"):
        service.create_journey({**journey_json("onboarding"), "State": "PAUSED"})
    body = journey_json("onboarding")
    body["StartCondition"] = {"SegmentStartCondition": {"SegmentId": "nope"}}
    with pytest.raises(InvalidRecordError) as caught:
        service.create_journey(body)
    assert caught.value.problems[0].field == "StartCondition.SegmentStartCondition.SegmentId"


def test_create_with_state_active_publishes(world: JourneyWorld):
    created = world.boot.journey_service.create_journey(
        {**journey_json("onboarding"), "State": "ACTIVE"}
    )
    assert created["State"] == "ACTIVE"
    assert [r["Status"] for r in world.boot.journey_reports.runs(created["Id"])["Item"]] == [
        "RUNNING"
    ]


def test_an_unknown_kpi_or_activity_is_refused(world: JourneyWorld):
    journey = world.journey(journey_json("onboarding"))
    with pytest.raises(InvalidRecordError, match="KpiName"):
        world.boot.journey_reports.date_range_kpi(journey, "emails-teleported")
    with pytest.raises(NotFoundError, match="journey activity"):
        world.boot.journey_reports.execution_activity_metrics(journey, "nowhere")
