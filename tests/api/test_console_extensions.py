"""Clarion's extension operations (``/clarion/...``, docs/console.md): what the console
calls beyond Pinpoint's API, checked against the services' own answers (the estimate
against ``segments preview``, the draft preview against a saved version's render), and
the console's pages and the optional local token."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app
from clarion.entrypoints.console import CONTENT_SECURITY_POLICY, STATIC

APP = "clarion"
GOLD = {"Attributes": {"Plan": {"AttributeType": "INCLUSIVE", "Values": ["gold"]}}}


@pytest.fixture
def root(tmp_path: Path) -> Bootstrap:
    bootstrap = Bootstrap(Settings(home=tmp_path / "home"))
    bootstrap.endpoint_service.update_endpoints(
        [
            {
                "Id": f"e{i}",
                "ChannelType": "EMAIL",
                "Address": f"user{i}@example.com",
                "Attributes": {"Plan": ["gold" if i % 3 == 0 else "free"]},
                "User": {"UserId": f"u{i}", "UserAttributes": {"FirstName": [f"Name{i}"]}},
            }
            for i in range(12)
        ]
    )
    return bootstrap


@pytest.fixture
def client(root: Bootstrap) -> Iterator[TestClient]:
    with TestClient(create_app(root, validate_responses=True)) as test_client:
        yield test_client


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"] == code
    return str(response.json()["Message"])


def test_the_estimate_of_a_draft_and_of_a_saved_segment_equal_the_preview(
    client: TestClient, root: Bootstrap
) -> None:
    draft = client.post(f"/clarion/apps/{APP}/segments/estimate", json={"Dimensions": GOLD})
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["Count"] == 4
    assert body["Sql"].startswith("SELECT")
    assert sorted(body["Sample"]) == ["e0", "e3", "e6", "e9"]
    created = client.post(f"/v1/apps/{APP}/segments", json={"Name": "gold", "Dimensions": GOLD})
    segment_id = created.json()["Id"]
    saved = client.get(f"/clarion/apps/{APP}/segments/{segment_id}/estimate?sample=2").json()
    assert saved["Count"] == root.segment_service.preview(segment_id) == body["Count"]
    assert saved["Sql"] == root.segment_service.compile(segment_id)
    assert len(saved["Sample"]) == 2
    assert set(saved["Sample"]) <= set(root.segment_service.members(segment_id))


def test_an_estimate_of_a_bad_definition_names_the_field(client: TestClient) -> None:
    bad = {"Dimensions": {"Demographic": {"Channel": {"DimensionType": "MAYBE", "Values": []}}}}
    message = _error(
        client.post(f"/clarion/apps/{APP}/segments/estimate", json=bad), 400, "BadRequestException"
    )
    assert "Dimensions.Demographic.Channel" in message
    missing = {"SegmentGroups": {"Groups": [{"SourceSegments": [{"Id": "nope"}]}]}}
    response = client.post(f"/clarion/apps/{APP}/segments/estimate", json=missing)
    assert response.status_code in (400, 404) and "nope" in response.json()["Message"]
    _error(
        client.get(f"/clarion/apps/{APP}/segments/estimate?sample=x"),
        405,
        "MethodNotAllowedException",
    )
    _error(
        client.post(f"/clarion/apps/{APP}/segments/estimate?sample=x", json={}),
        400,
        "BadRequestException",
    )


def test_a_draft_template_previews_as_the_saved_version_renders(
    client: TestClient, root: Bootstrap
) -> None:
    request = {
        "Subject": "Hello {{User.UserAttributes.FirstName}}",
        "HtmlPart": "<p>{{Attributes.Plan}} &amp; {{User.UserAttributes.FirstName}}</p>",
        "DefaultSubstitutions": json.dumps({"User.UserAttributes.FirstName": "there"}),
    }
    path = f"/clarion/apps/{APP}/templates/welcome/email/preview"
    draft = client.post(path, json={"EndpointId": "e3", "Draft": request})
    assert draft.status_code == 200, draft.text
    assert client.post("/v1/templates/welcome/email", json=request).status_code == 201
    saved = client.post(path, json={"EndpointId": "e3"}).json()
    expected = root.template_service.render("welcome", "e3", template_type="EMAIL")
    assert saved == expected
    assert draft.json()["Subject"] == saved["Subject"] == "Hello Name3"
    assert draft.json()["HtmlPart"] == saved["HtmlPart"]
    assert "EndpointId" in _error(client.post(path, json={}), 400, "BadRequestException")
    _error(client.post(path, json={"EndpointId": "ghost"}), 404, "NotFoundException")
    broken = {"EndpointId": "e3", "Draft": {"Subject": "{{#if}}", "HtmlPart": "x"}}
    assert "Subject" in _error(client.post(path, json=broken), 400, "BadRequestException")


def test_an_in_app_template_is_not_rendered_for_an_endpoint(client: TestClient) -> None:
    # Pinpoint shows in-app templates as written: a preview answers why, not a push shape.
    body = {"Alignment": "LEFT", "Body": "Hi", "TextColor": "#000000"}
    content = {"Layout": "BOTTOM_BANNER", "Content": [{"BodyConfig": body}]}
    assert client.post("/v1/templates/tip/inapp", json=content).status_code == 201
    path = f"/clarion/apps/{APP}/templates/tip/inapp/preview"
    saved = _error(client.post(path, json={"EndpointId": "e3"}), 400, "BadRequestException")
    assert saved.startswith("TemplateType: an INAPP template is not rendered")
    draft = client.post(path, json={"EndpointId": "e3", "Draft": content})
    assert "INAPP" in _error(draft, 400, "BadRequestException")


def test_an_uploaded_file_is_imported_with_its_bad_rows_reported(
    client: TestClient, root: Bootstrap
) -> None:
    csv = (
        "ChannelType,Address,User.UserId\n"
        "EMAIL,ana@example.com,ana\n"
        "EMAIL,not-an-address,bob\n"
        "EMAIL,cy@example.com,cy\n"
    )
    uploaded = client.post(f"/clarion/apps/{APP}/uploads?name=people.csv", content=csv.encode())
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["S3Url"]
    job = client.post(
        f"/v1/apps/{APP}/jobs/import",
        json={
            "S3Url": url,
            "Format": "CSV",
            "RoleArn": "",
            "DefineSegment": True,
            "SegmentName": "people",
        },
    ).json()
    assert job["JobStatus"] == "COMPLETED"
    assert job["TotalProcessed"] == 2 and job["TotalFailures"] == 1
    assert job["Failures"][0].startswith("people.csv line 3: Address:")
    segment_id = job["Definition"]["SegmentId"]
    assert root.segment_service.preview(segment_id) == 2
    for name in ("../escape.csv", "people.exe", ""):
        response = client.post(f"/clarion/apps/{APP}/uploads?name={name}", content=b"x")
        assert "name" in _error(response, 400, "BadRequestException")
    empty = client.post(f"/clarion/apps/{APP}/uploads?name=a.csv", content=b"")
    assert "file" in _error(empty, 400, "BadRequestException")


def test_endpoints_by_address_and_their_recent_events(client: TestClient) -> None:
    found = client.get(f"/clarion/apps/{APP}/endpoints", params={"address": "user4@example.com"})
    assert [e["Id"] for e in found.json()["Item"]] == ["e4"]
    nobody = client.get(f"/clarion/apps/{APP}/endpoints", params={"address": "x@example.com"})
    assert nobody.json()["Item"] == []
    assert "address" in _error(
        client.get(f"/clarion/apps/{APP}/endpoints"), 400, "BadRequestException"
    )
    events = {
        "BatchItem": {
            "e4": {
                "Endpoint": {},
                "Events": {
                    "a": {"EventType": "purchase", "Timestamp": "2026-11-01T10:00:00Z"},
                    "b": {"EventType": "login", "Timestamp": "2026-11-02T10:00:00Z"},
                },
            }
        }
    }
    assert client.post(f"/v1/apps/{APP}/events", json=events).status_code == 202
    recent = client.get(f"/clarion/apps/{APP}/endpoints/e4/events").json()["Item"]
    assert [e["event_type"] for e in recent] == ["login", "purchase"]
    _error(client.get(f"/clarion/apps/{APP}/endpoints/ghost/events"), 404, "NotFoundException")
    counts = client.get(f"/clarion/apps/{APP}/events/counts", params={"since": "2026-11-02"})
    assert [(r["day"], r["event_type"]) for r in counts.json()["Item"]] == [("2026-11-02", "login")]
    _error(
        client.get(f"/clarion/apps/{APP}/events/counts", params={"since": "soon"}),
        400,
        "BadRequestException",
    )


def test_an_export_is_downloaded_as_json_lines(client: TestClient, root: Bootstrap) -> None:
    created = client.post(f"/v1/apps/{APP}/segments", json={"Name": "gold", "Dimensions": GOLD})
    segment_id = created.json()["Id"]
    job = client.post(f"/clarion/apps/{APP}/exports", json={"SegmentId": segment_id})
    assert job.status_code == 201, job.text
    assert job.json()["TotalProcessed"] == 4
    listed = client.get(f"/v1/apps/{APP}/jobs/export").json()["Item"]
    assert [j["Id"] for j in listed] == [job.json()["Id"]]
    download = client.get(f"/clarion/apps/{APP}/jobs/export/{job.json()['Id']}/file")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    lines = [json.loads(line) for line in download.text.splitlines() if line]
    assert sorted(e["Id"] for e in lines) == ["e0", "e3", "e6", "e9"]
    files = sorted((root.settings.home / "exports").rglob("*.gz"))
    assert len(files) == 1 and gzip.decompress(files[0].read_bytes()) == download.content
    everyone = client.post(f"/clarion/apps/{APP}/exports", json={}).json()
    assert everyone["TotalProcessed"] == 12


def test_campaign_metrics_before_any_event_are_zero(client: TestClient) -> None:
    segment_id = client.post(
        f"/v1/apps/{APP}/segments", json={"Name": "gold", "Dimensions": GOLD}
    ).json()["Id"]
    campaign = client.post(
        f"/v1/apps/{APP}/campaigns",
        json={
            "Name": "later",
            "SegmentId": segment_id,
            "MessageConfiguration": {"EmailMessage": {"Title": "hi", "HtmlBody": "<p>hi</p>"}},
            "Schedule": {"StartTime": "2030-01-01T00:00:00Z", "Frequency": "ONCE"},
        },
    ).json()
    metrics = client.get(f"/clarion/apps/{APP}/campaigns/{campaign['Id']}/metrics").json()
    assert metrics["campaign_id"] == campaign["Id"]
    assert metrics["days"] == [] and metrics["treatments"] == []
    _error(client.get(f"/clarion/apps/{APP}/campaigns/ghost/metrics"), 404, "NotFoundException")
    _error(client.get("/clarion/apps/ghost/campaigns/x/metrics"), 404, "NotFoundException")


def test_the_identity_lists_every_extension(client: TestClient) -> None:
    identity = client.get("/clarion/identity").json()
    assert identity["Admin"] is True and identity["Groups"] == ["admin"]
    names = {e["Name"] for e in identity["Extensions"]}
    assert {"EstimateSegment", "PreviewTemplate", "UploadImportFile", "GetExportFile"} <= names
    assert all(e["Path"].startswith("/clarion/") for e in identity["Extensions"])


@pytest.mark.skipif(not (STATIC / "index.html").is_file(), reason="the console is not built")
def test_every_console_url_answers_the_page_with_its_policy(client: TestClient) -> None:
    for path in ("/console/", "/console/segments/abc", "/console/campaigns/x?project=y"):
        page = client.get(path)
        assert page.status_code == 200 and "<div" not in page.text.split("<body>")[0]
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"
    asset = next((STATIC / "assets").glob("*.js")).name
    served = client.get(f"/console/assets/{asset}")
    assert served.status_code == 200 and "javascript" in served.headers["content-type"]
    assert client.get("/console/assets/missing.js").status_code == 404
    assert client.get("/console/assets/%2e%2e/%2e%2e/pyproject.toml").status_code == 404
    config = client.get("/console/config.json").json()
    assert config == {"mode": "local", "apiBase": "", "tokenRequired": False}


def test_a_token_guards_every_operation_but_not_the_pages(root: Bootstrap) -> None:
    with TestClient(create_app(root, token="s3cret")) as guarded:
        refused = guarded.get("/v1/apps")
        assert "x-clarion-token" in _error(refused, 403, "ForbiddenException")
        _error(guarded.get("/clarion/identity"), 403, "ForbiddenException")
        wrong = guarded.get("/v1/apps", headers={"x-clarion-token": "guess"})
        _error(wrong, 403, "ForbiddenException")
        allowed = guarded.get("/v1/apps", headers={"x-clarion-token": "s3cret"})
        assert allowed.status_code == 200
        assert guarded.get("/console/config.json").json()["tokenRequired"] is True


def test_churn_and_sentiment_reports_before_any_data(client: TestClient) -> None:
    assert client.get(f"/clarion/apps/{APP}/churn/report").json() == {"Evaluated": False}
    report = client.get(f"/clarion/apps/{APP}/sentiment/report?top=3").json()
    assert report["by_sentiment"] == {} and report["top_negative_authors"] == []
    _error(client.get(f"/clarion/apps/{APP}/sentiment/report?top=0"), 400, "BadRequestException")
