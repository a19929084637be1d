"""Clarion's ExplainJourney extension (``GET /clarion/apps/{app}/journeys/{id}/explain
?endpoint=``): the answer ``clarion journeys explain`` gives, over HTTP for the console,
on the local backend; and the validation error of a bad activity, which the console
shows on that activity's node because its field names it (``Activities.<id>...``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app

DEMO = Path(__file__).resolve().parents[2] / "demo" / "journeys"


@pytest.fixture
def root(tmp_path: Path) -> Bootstrap:
    bootstrap = Bootstrap(Settings(home=tmp_path / "home"))
    bootstrap.endpoint_service.update_endpoints(
        [
            {
                "Id": f"e{i}",
                "ChannelType": "EMAIL",
                "Address": f"user{i}@example.com",
                "User": {"UserId": f"u{i}", "UserAttributes": {"FirstName": [f"Name{i}"]}},
            }
            for i in range(3)
        ]
    )
    for part in ("welcome", "tips", "basics"):
        body = json.loads((DEMO / f"onboarding-{part}.json").read_text(encoding="utf-8"))
        bootstrap.template_service.create(body)
    return bootstrap


@pytest.fixture
def client(root: Bootstrap) -> Iterator[TestClient]:
    with TestClient(create_app(root, validate_responses=True)) as test_client:
        yield test_client


def _onboarding() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (DEMO / "onboarding-journey.json").read_text(encoding="utf-8")
    )
    return body


def _sign_up(client: TestClient, app: str, endpoint_ids: list[str]) -> None:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {
        "BatchItem": {
            endpoint_id: {
                "Endpoint": {},
                "Events": {f"sign-up-{endpoint_id}": {"EventType": "sign_up", "Timestamp": now}},
            }
            for endpoint_id in endpoint_ids
        }
    }
    response = client.post(f"/v1/apps/{app}/events", json=body)
    assert response.status_code == 202, response.text


def test_explain_answers_what_the_cli_answers(client: TestClient, root: Bootstrap) -> None:
    app = root.app_id
    created = client.post(f"/v1/apps/{app}/journeys", json=_onboarding())
    assert created.status_code == 201, created.text
    journey_id = created.json()["Id"]
    before = client.get(f"/clarion/apps/{app}/journeys/{journey_id}/explain?endpoint=e0")
    assert before.status_code == 200, before.text
    assert before.json()["Status"] == "NEVER_OFFERED"
    assert "draft" in before.json()["Summary"]

    state = client.put(f"/v1/apps/{app}/journeys/{journey_id}/state", json={"State": "ACTIVE"})
    assert state.status_code == 200, state.text
    _sign_up(client, app, ["e0", "e1"])

    answer = client.get(f"/clarion/apps/{app}/journeys/{journey_id}/explain?endpoint=e0")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The same service as `clarion journeys explain`, asked at the same moment.
    cli = root.journey_reports.explain(journey_id, "e0")
    assert body["Summary"] == cli["Summary"]
    assert body["Status"] == cli["Status"] == "ACTIVE"
    assert [step["Activity"] for step in body["Path"]] == ["welcome"]
    assert body["Path"][0]["Outcome"] == "SUCCESS"
    assert body["Current"]["Activity"] == "week"
    assert body["Summary"].startswith("Waiting at 'week'")
    never = client.get(f"/clarion/apps/{app}/journeys/{journey_id}/explain?endpoint=e2").json()
    assert never["Status"] == "NEVER_OFFERED"

    listed = client.get("/clarion/identity").json()["Extensions"]
    assert {
        "Name": "ExplainJourney",
        "Method": "GET",
        "Path": "/clarion/apps/{application_id}/journeys/{journey_id}/explain",
    }.items() <= next(e for e in listed if e["Name"] == "ExplainJourney").items()


def test_explain_names_what_is_missing(client: TestClient, root: Bootstrap) -> None:
    app = root.app_id
    journey_id = client.post(f"/v1/apps/{app}/journeys", json=_onboarding()).json()["Id"]
    missing = client.get(f"/clarion/apps/{app}/journeys/{journey_id}/explain")
    assert missing.status_code == 400
    assert missing.headers["x-amzn-errortype"] == "BadRequestException"
    assert missing.json()["Message"].startswith("endpoint: ")
    unknown = client.get(f"/clarion/apps/{app}/journeys/nope/explain?endpoint=e0")
    assert unknown.status_code == 404, unknown.text
    assert unknown.headers["x-amzn-errortype"] == "NotFoundException"
    # Another project's journey is explained in that project only.
    other = client.post("/v1/apps", json={"Name": "other"}).json()["Id"]
    theirs = client.post(f"/v1/apps/{other}/journeys", json=_onboarding()).json()["Id"]
    mine = client.get(f"/clarion/apps/{other}/journeys/{theirs}/explain?endpoint=e0")
    assert mine.status_code == 200, mine.text
    assert mine.json()["JourneyId"] == theirs
    elsewhere = client.get(f"/clarion/apps/{app}/journeys/{theirs}/explain?endpoint=e0")
    assert elsewhere.status_code == 404, elsewhere.text


def test_a_bad_activity_is_named_by_its_id_in_the_error(
    client: TestClient, root: Bootstrap
) -> None:
    """The console puts each problem on the node whose id follows ``Activities.``."""
    app = root.app_id
    journey_id = client.post(f"/v1/apps/{app}/journeys", json=_onboarding()).json()["Id"]
    bad = _onboarding()
    bad["Activities"]["week"]["Wait"]["WaitTime"]["WaitFor"] = "PT5M"
    bad["Activities"]["tips"]["EMAIL"]["NextActivity"] = "nowhere"
    response = client.put(f"/v1/apps/{app}/journeys/{journey_id}", json=bad)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "BadRequestException"
    problems = response.json()["Message"].split("; ")
    assert sorted(p.split(": ", 1)[0] for p in problems) == [
        "Activities.tips.EMAIL.NextActivity",
        "Activities.week.Wait.WaitTime.WaitFor",
    ]
