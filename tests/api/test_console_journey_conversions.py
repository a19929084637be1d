"""``GetJourneyConversions`` (``/clarion/apps/{id}/journeys/{id}/conversions``, listed in
docs/console.md): a journey's conversions over the API, equal to what
``clarion analytics journey-conversions`` prints (the same ConversionService call), the
days it reads bounded by ``since`` and ``until``, and Pinpoint's errors for a journey
that is not the project's or a date that is not one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app

HOUR = 3_600_000


@pytest.fixture
def root(tmp_path: Path) -> Bootstrap:
    return Bootstrap(Settings(home=tmp_path / "home"))


@pytest.fixture
def client(root: Bootstrap) -> Iterator[TestClient]:
    with TestClient(create_app(root, validate_responses=True)) as test_client:
        yield test_client


def _record(app: str, event_type: str, endpoint: str, at: int, **attributes: Any) -> dict:
    metrics = {"_item_price": 15.0} if event_type == "_monetization.purchase" else {}
    return {
        "event_type": event_type,
        "event_timestamp": at,
        "arrival_timestamp": at,
        "application": {"app_id": app},
        "client": {"client_id": endpoint},
        "attributes": attributes,
        "metrics": metrics,
    }


def _journey(root: Bootstrap) -> str:
    root.template_service.create_template("hello", "EMAIL", {"Subject": "Hi", "HtmlPart": "x"})
    segment = root.segment_service.create_segment(
        {"Name": "all", "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}}
    )
    journey = root.journey_service.create_journey(
        {
            "Name": "hello",
            "StartActivity": "mail",
            "StartCondition": {"SegmentStartCondition": {"SegmentId": segment["Id"]}},
            "Activities": {"mail": {"EMAIL": {"TemplateName": "hello"}}},
        },
        root.app_id,
    )
    now = int(time.time() * 1000)
    records = []
    for n in range(3):
        endpoint = f"e{n}"
        root.endpoint_service.update_endpoint(
            endpoint, {"ChannelType": "EMAIL", "Address": f"{endpoint}@example.com"}
        )
        records.append(
            _record(
                root.app_id,
                "_journey.send",
                endpoint,
                now - 2 * HOUR,
                journey_id=journey["Id"],
                journey_activity_id="mail",
                journey_run_id="r1",
                journey_send_status="SUCCESS",
                journey_activity_type="Email",
                message_id=f"m{n}",
            )
        )
    records.append(_record(root.app_id, "_monetization.purchase", "e1", now - HOUR))
    result = root.event_ingest_service.ingest_records(
        list(enumerate(records)), "pinpoint", origin="test"
    )
    assert not result.rejected
    return str(journey["Id"])


def test_a_journeys_conversions_are_the_services(client: TestClient, root: Bootstrap) -> None:
    journey_id = _journey(root)
    response = client.get(f"/clarion/apps/{root.app_id}/journeys/{journey_id}/conversions")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == root.conversion_service.journey_conversions(journey_id)
    goal = body["goals"][0]
    assert goal["attributed"]["conversions"] == 1
    assert goal["attributed"]["revenue"] == 15.0
    assert [a["activity_id"] for a in goal["activities"]] == ["mail"]
    # Days the journey did not send on: nothing to credit.
    old = client.get(
        f"/clarion/apps/{root.app_id}/journeys/{journey_id}/conversions",
        params={"since": "2020-01-01", "until": "2020-01-02"},
    ).json()
    assert old["goals"][0]["attributed"]["conversions"] == 0
    assert old["scanned_days"]["from"] <= "2020-01-01"


def test_a_journey_not_of_the_project_and_a_bad_date(client: TestClient, root: Bootstrap) -> None:
    journey_id = _journey(root)
    missing = client.get(f"/clarion/apps/{root.app_id}/journeys/nope/conversions")
    assert missing.status_code == 404
    assert missing.headers["x-amzn-errortype"] == "NotFoundException"
    other = client.post("/v1/apps", json={"Name": "other"}).json()["Id"]
    elsewhere = client.get(f"/clarion/apps/{other}/journeys/{journey_id}/conversions")
    assert elsewhere.status_code == 404
    bad = client.get(
        f"/clarion/apps/{root.app_id}/journeys/{journey_id}/conversions",
        params={"since": "yesterday"},
    )
    assert bad.status_code == 400
    assert bad.json()["Message"].startswith("since:")
