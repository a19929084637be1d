"""The console's group rules, at the API: users of a Cognito user pool (moto's
cognito-idp: groups, users, USER_PASSWORD_AUTH as the console signs in) call the API
function through Mangum with the claims API Gateway's Cognito authorizer hands it.
``admin`` may change channels and settings; ``marketer`` may not; a user in neither
group may do nothing; a caller without claims (SigV4, local) is not a console user."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fakes.lambda_context import FakeLambdaContext
from mangum import Mangum
from moto import mock_aws

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app
from clarion.entrypoints.api.access import admin_only

PASSWORD = "Correct-horse-42!"


@pytest.fixture
def tokens(aws_credentials: None) -> Iterator[dict[str, dict[str, Any]]]:
    """Each user's ID token claims, as the user pool issues them at sign-in."""
    with mock_aws():
        idp = boto3.client("cognito-idp", region_name="us-east-1")
        pool = idp.create_user_pool(PoolName="clarion-console")["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool,
            ClientName="console",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        for group in ("admin", "marketer"):
            idp.create_group(GroupName=group, UserPoolId=pool)
        claims = {}
        for user, group in (("ada", "admin"), ("mia", "marketer"), ("nemo", None)):
            idp.admin_create_user(UserPoolId=pool, Username=user, TemporaryPassword="Temp-1234-x!")
            idp.admin_set_user_password(
                UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True
            )
            if group:
                idp.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=group)
            answer = idp.initiate_auth(
                ClientId=client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
            )
            payload = answer["AuthenticationResult"]["IdToken"].split(".")[1]
            claims[user] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        yield claims


@pytest.fixture
def function(tmp_path: Path) -> Mangum:
    """The API application as the API function runs it (Mangum), on the local backend."""
    app = create_app(Bootstrap(Settings(home=tmp_path / "home")))
    return Mangum(app, lifespan="off", api_gateway_base_path="/")


def _authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as a REST API's Cognito authorizer passes them: every value a string,
    ``cognito:groups`` comma-separated."""
    flat = {}
    for key, value in claims.items():
        flat[key] = ",".join(value) if isinstance(value, list) else str(value)
    return flat


def _call(
    function: Mangum,
    method: str,
    path: str,
    claims: dict[str, Any] | None,
    body: Any = None,
) -> tuple[int, dict[str, Any]]:
    event = {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json", "host": "console.example.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/live{path}",
            "stage": "live",
            "requestId": "test",
            "identity": {"sourceIp": "203.0.113.9"},
            **({"authorizer": {"claims": _authorizer_claims(claims)}} if claims else {}),
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
    response = function(event, FakeLambdaContext())
    text = response.get("body") or ""
    return int(response["statusCode"]), json.loads(text) if text else {}


def test_a_marketer_uses_the_console_but_changes_no_channel_or_setting(
    tokens: dict[str, dict[str, Any]], function: Mangum
) -> None:
    mia = tokens["mia"]
    status, apps = _call(function, "GET", "/v1/apps", mia)
    assert status == 200 and apps["Item"]
    status, _ = _call(function, "POST", "/v1/apps", mia, {"Name": "spring"})
    assert status == 201
    status, _ = _call(
        function, "POST", "/clarion/apps/clarion/segments/estimate", mia, {"Dimensions": {}}
    )
    assert status == 200
    for method, path, body in (
        ("PUT", "/v1/apps/clarion/settings", {"CloudWatchMetricsEnabled": True}),
        ("PUT", "/v1/apps/clarion/channels/email", {"FromAddress": "a@example.com"}),
        ("DELETE", "/v1/apps/clarion/channels/sms", None),
        ("POST", "/v1/apps/clarion/eventstream", {"DestinationStreamArn": "x", "RoleArn": "y"}),
    ):
        status, error = _call(function, method, path, mia, body)
        assert status == 403, (method, path)
        assert "only the admin group" in error["Message"]
    status, identity = _call(function, "GET", "/clarion/identity", mia)
    assert identity["User"] == "mia" and identity["Groups"] == ["marketer"]
    assert identity["Admin"] is False


def test_an_admin_changes_settings(tokens: dict[str, dict[str, Any]], function: Mangum) -> None:
    ada = tokens["ada"]
    status, settings = _call(
        function,
        "PUT",
        "/v1/apps/clarion/settings",
        ada,
        {"QuietTime": {"Start": "22:00", "End": "07:00"}},
    )
    assert status == 200, settings
    assert settings["QuietTime"] == {"Start": "22:00", "End": "07:00"}
    status, identity = _call(function, "GET", "/clarion/identity", ada)
    assert identity["Admin"] is True and identity["Groups"] == ["admin"]


def test_a_user_in_no_group_may_do_nothing(
    tokens: dict[str, dict[str, Any]], function: Mangum
) -> None:
    status, error = _call(function, "GET", "/v1/apps", tokens["nemo"])
    assert status == 403 and "no console group" in error["Message"]


def test_a_caller_without_claims_is_not_a_console_user(function: Mangum) -> None:
    # The IAM-authorised API: IAM policies decide (tested in the API suite and infra).
    status, _ = _call(function, "PUT", "/v1/apps/clarion/settings", None, {})
    assert status == 200


def test_which_operations_are_admin_only() -> None:
    assert admin_only("UpdateEmailChannel") and admin_only("DeleteApnsVoipSandboxChannel")
    assert admin_only("UpdateApplicationSettings") and admin_only("DeleteApp")
    assert not admin_only("GetEmailChannel") and not admin_only("GetChannels")
    assert not admin_only("CreateCampaign") and not admin_only("EstimateSegment")
