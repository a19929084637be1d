"""The client helper: requests to a deployed API are signed for execute-api."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

import clarion_client


class _CapturedError(Exception):
    pass


def _authorization_of(client: Any) -> str:
    seen: dict[str, str] = {}

    def capture(request: Any, **_: Any) -> None:
        seen["authorization"] = request.headers["Authorization"].decode()
        raise _CapturedError

    client.meta.events.register("before-send.pinpoint.*", capture)
    with pytest.raises(_CapturedError):
        client.get_apps()
    return seen["authorization"]


def test_the_helper_signs_for_api_gateway() -> None:
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/live"
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
    )
    signed = _authorization_of(clarion_client.pinpoint_client(url, session=session))
    assert "/eu-west-1/execute-api/aws4_request" in signed
    plain = _authorization_of(session.client("pinpoint", endpoint_url=url))
    assert "/eu-west-1/mobiletargeting/aws4_request" in plain


def test_one_line_after_boto3s_own_client() -> None:
    client = boto3.client(
        "pinpoint",
        endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/live",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    clarion_client.sign_for_api_gateway(client)
    assert "/us-east-1/execute-api/aws4_request" in _authorization_of(client)
