"""Every error class as botocore raises it, the server's own checks of requests (for
clients other than botocore), and the operations table."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_harness import pinpoint_client

from clarion.entrypoints.api import MAX_BODY_BYTES
from clarion.entrypoints.api.model import operation_specs
from clarion.entrypoints.api.registry import NOT_OFFERED, handlers
from clarion.entrypoints.api.table import DOCUMENT, render


def test_bad_request(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException) as caught:
        pinpoint.update_endpoint(
            ApplicationId=project,
            EndpointId="e",
            EndpointRequest={"ChannelType": "EMAIL", "Address": "nope"},
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "BadRequestException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RequestId"]


def test_not_found(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.NotFoundException) as caught:
        pinpoint.get_campaign(ApplicationId=project, CampaignId="missing")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "missing" in str(caught.value)


def test_forbidden(pinpoint: Any) -> None:
    with pytest.raises(pinpoint.exceptions.ForbiddenException) as caught:
        pinpoint.delete_app(ApplicationId="clarion")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_conflict(pinpoint: Any, project: str) -> None:
    base = pinpoint.create_segment(
        ApplicationId=project,
        WriteSegmentRequest={"Name": "base", "Dimensions": {}},
    )["SegmentResponse"]
    pinpoint.create_segment(
        ApplicationId=project,
        WriteSegmentRequest={
            "Name": "built on base",
            "SegmentGroups": {
                "Include": "ALL",
                "Groups": [{"SourceSegments": [{"Id": base["Id"]}], "Type": "ALL"}],
            },
        },
    )
    with pytest.raises(pinpoint.exceptions.ConflictException) as caught:
        pinpoint.delete_segment(ApplicationId=project, SegmentId=base["Id"])
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_not_offered_operations_say_why(pinpoint: Any, project: str) -> None:
    with pytest.raises(pinpoint.exceptions.MethodNotAllowedException) as caught:
        pinpoint.list_journeys(ApplicationId=project)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert "journeys" in str(caught.value)
    with pytest.raises(pinpoint.exceptions.MethodNotAllowedException, match="End User Messaging"):
        pinpoint.send_otp_message(
            ApplicationId=project,
            SendOTPMessageRequestParameters={
                "BrandName": "b",
                "Channel": "SMS",
                "DestinationIdentity": "+14155550100",
                "OriginationIdentity": "+14155550199",
                "ReferenceId": "r",
            },
        )


@pytest.mark.local_only("raw HTTP to the local server (API Gateway refuses large bodies itself)")
def test_payload_too_large(api_url: str, project: str) -> None:
    big = {"Item": [{"Id": "x", "Attributes": {"a": ["b" * 90]}}] * (MAX_BODY_BYTES // 60)}
    response = httpx.put(f"{api_url}/v1/apps/{project}/endpoints", content=json.dumps(big))
    assert response.status_code == 413
    assert response.headers["X-Amzn-ErrorType"] == "PayloadTooLargeException"
    assert set(response.json()) == {"Message", "RequestID"}


def test_too_many_requests(throttled_url: str) -> None:
    client = pinpoint_client(throttled_url, access_key="busy-caller")
    client.get_apps()
    client.get_apps()
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.get_apps()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    # Another caller has its own allowance.
    pinpoint_client(throttled_url, access_key="quiet-caller").get_apps()


@pytest.mark.local_only("raw HTTP to the local server")
def test_the_server_checks_requests_itself(api_url: str, project: str) -> None:
    """Clients other than botocore are checked against the model too."""
    missing = httpx.post(f"{api_url}/v1/apps/{project}/segments", content=b"")
    assert missing.status_code == 400 and "WriteSegmentRequest" in missing.json()["Message"]
    wrong_type = httpx.put(
        f"{api_url}/v1/apps/{project}/endpoints/e1",
        content=json.dumps({"ChannelType": "EMAIL", "Address": 7}),
    )
    assert wrong_type.status_code == 400 and "Address" in wrong_type.json()["Message"]
    not_json = httpx.post(f"{api_url}/v1/apps", content=b"{nope")
    assert not_json.status_code == 400
    assert not_json.headers["X-Amzn-ErrorType"] == "BadRequestException"
    bad_bool = httpx.put(f"{api_url}/v1/templates/t/email?create-new-version=maybe", content=b"{}")
    assert bad_bool.status_code == 400 and "create-new-version" in bad_bool.json()["Message"]
    unknown = httpx.get(f"{api_url}/v2/nothing")
    assert unknown.status_code == 404
    assert unknown.headers["X-Amzn-ErrorType"] == "NotFoundException"
    wrong_method = httpx.patch(f"{api_url}/v1/apps")
    assert wrong_method.status_code == 405


def test_every_operation_is_routed_offered_or_explained() -> None:
    offered = set(handlers())
    assert offered | set(NOT_OFFERED) == set(operation_specs())
    assert not offered & set(NOT_OFFERED)
    assert len(operation_specs()) == 122


def test_the_operations_table_in_docs_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/api-operations.md is stale: run python -m clarion.entrypoints.api.table --write"
    )
