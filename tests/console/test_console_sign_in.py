"""Signing in to the console on AWS, in a real headless Chromium (see conftest.py), with
every challenge the Cognito user pool may ask: NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA
and SMS_MFA, answered through RespondToAuthChallenge.

The user pool is moto's, in server mode (``moto.server.ThreadedMotoServer``), which runs
these flows itself: USER_PASSWORD_AUTH answers each challenge for a user in
FORCE_CHANGE_PASSWORD status or with a preferred MFA, and with
``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`` it checks authenticator codes against the
secret it hands out (an SMS code it cannot send, so any six digits pass). The page keeps
calling Cognito's real address (``https://cognito-idp.<region>.amazonaws.com/``, which
the console's Content-Security-Policy allows); the browser's requests to it are handed to
the moto server, so the console code under test is the deployed code. ``config.json``
is the one the console stack deploys (mode ``aws``, the region, the pool and client ids),
given to the page in place of the local server's; the API calls after sign-in go to the
local server, which accepts the ID token's ``Authorization`` header without checking it
(API Gateway's Cognito authorizer checks it on AWS).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from console_harness import ConsoleUnderTest

REGION = "eu-west-1"
TEMPORARY = "Temporary-Pass-1"
CHOSEN = "Chosen-Pass-42"
PERMANENT = "Permanent-Pass-7"


class _Pool:
    """The moto user pool and its public app client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = boto3.client(
            "cognito-idp",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        pool = self.client.create_user_pool(
            PoolName="clarion-console",
            MfaConfiguration="OPTIONAL",
            SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
        )["UserPool"]
        self.pool_id = pool["Id"]
        self.client.set_user_pool_mfa_config(
            UserPoolId=self.pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="OPTIONAL",
        )
        self.client_id = self.client.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName="console",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]

    def user(self, name: str, password: str | None = None) -> None:
        self.client.admin_create_user(
            UserPoolId=self.pool_id,
            Username=name,
            TemporaryPassword=TEMPORARY,
            UserAttributes=[{"Name": "phone_number", "Value": "+447700900123"}],
            MessageAction="SUPPRESS",
        )
        if password:
            self.client.admin_set_user_password(
                UserPoolId=self.pool_id, Username=name, Password=password, Permanent=True
            )

    def tokens(self, name: str, password: str) -> dict[str, Any]:
        return self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )


def _totp_code() -> str:
    from moto.cognitoidp.models import COGNITO_TOTP_MFA_SECRET
    from moto.cognitoidp.utils import cognito_totp

    # moto checks the code of the current 30-second step only: not one about to change.
    if 30 - time.time() % 30 < 3:
        time.sleep(3)
    return cognito_totp(COGNITO_TOTP_MFA_SECRET).generate(time.time()).decode()


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Pool]:
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield _Pool(f"http://{host}:{port}")
    finally:
        server.stop()


def _as_deployed(console: ConsoleUnderTest, pool: _Pool) -> list[str]:
    """The page as the console stack deploys it: its config.json, and Cognito's address
    answered by the moto server. Answers the Cognito operations the page called."""
    page = console.page
    called: list[str] = []
    config = {
        "mode": "aws",
        "apiBase": "",
        "region": REGION,
        "userPoolId": pool.pool_id,
        "clientId": pool.client_id,
    }
    page.route(
        "**/console/config.json",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(config)
        ),
    )

    def cognito(route: Any) -> None:
        request = route.request
        if request.method == "OPTIONS":  # the CORS preflight Cognito answers
            route.fulfill(status=200, headers=_CORS)
            return
        called.append(str(request.headers.get("x-amz-target", "")).split(".")[-1])
        answer = route.fetch(url=pool.url + "/")
        route.fulfill(response=answer, headers={**answer.headers, **_CORS})

    page.route(f"https://cognito-idp.{REGION}.amazonaws.com/**", cognito)
    return called


_CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "content-type, x-amz-target, x-amz-user-agent",
    "access-control-allow-methods": "POST",
}


def _sign_in(console: ConsoleUnderTest, name: str, password: str) -> None:
    page = console.page
    console.open("/console/")
    page.evaluate("() => sessionStorage.clear()")  # the last user signs out
    console.open("/console/")
    page.get_by_label("User name or email").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _signed_in(console: ConsoleUnderTest) -> dict[str, Any]:
    console.page.wait_for_selector("main h1:text('Projects')")
    console.settle()
    session = json.loads(console.page.evaluate("() => sessionStorage.getItem('clarion-session')"))
    assert session["idToken"].count(".") == 2 and session["refreshToken"]
    return session


def test_sign_in_walks_every_cognito_challenge(console: ConsoleUnderTest, pool: _Pool) -> None:
    page = console.page
    called = _as_deployed(console, pool)
    # Cognito's refusals are HTTP 400s, which Chromium reports on the console.
    console.expect_error(r"status of 400 \(Bad Request\)")

    # A wrong password: Cognito's reason beside the password field.
    pool.user("ana", PERMANENT)
    _sign_in(console, "ana", "not-her-password")
    error = page.locator("[aria-invalid='true'] + .field-error, .field-error:not(:empty)")
    error.first.wait_for()
    assert page.get_by_label("Password", exact=True).get_attribute("aria-invalid") == "true"
    assert "Incorrect username or password" in error.first.inner_text()
    console.shot("wrong-password")

    # NEW_PASSWORD_REQUIRED: a user an admin created sets their own password.
    pool.user("bea")
    _sign_in(console, "bea", TEMPORARY)
    page.wait_for_selector("main h1:text('Set a new password')")
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("Repeat the new password").fill(CHOSEN + "x")
    page.get_by_role("button", name="Set the password and sign in").click()
    mismatch = page.locator(".field-error:not(:empty)")
    mismatch.wait_for()
    assert mismatch.inner_text() == "The two passwords differ."
    assert page.get_by_label("Repeat the new password").get_attribute("aria-invalid") == "true"
    # A password the pool's policy refuses: Cognito's reason under the new password.
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Set the password and sign in").click()
    page.wait_for_function(
        "() => document.querySelector('[aria-invalid=true]')?.labels?.[0]?.textContent"
        " === 'New password'"
    )
    assert page.locator(".field-error:not(:empty)").inner_text()
    console.shot("new-password-refused")
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("Repeat the new password").fill(CHOSEN)
    page.get_by_role("button", name="Set the password and sign in").click()
    _signed_in(console)
    assert "AuthenticationResult" in pool.tokens("bea", CHOSEN)  # the pool has it now
    console.shot("signed-in-after-new-password")

    # SOFTWARE_TOKEN_MFA: an authenticator code, a wrong one first.
    pool.user("cai", PERMANENT)
    access = pool.tokens("cai", PERMANENT)["AuthenticationResult"]["AccessToken"]
    pool.client.associate_software_token(AccessToken=access)
    pool.client.verify_software_token(AccessToken=access, UserCode=_totp_code())
    pool.client.admin_set_user_mfa_preference(
        UserPoolId=pool.pool_id,
        Username="cai",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    _sign_in(console, "cai", PERMANENT)
    page.wait_for_selector("main h1:text('Enter your code')")
    assert page.get_by_text("authenticator app").is_visible()
    code = page.get_by_label("Authenticator code")
    code.fill("12345")
    page.get_by_role("button", name="Verify and sign in").click()
    assert page.locator(".field-error:not(:empty)").inner_text() == "The code is six digits."
    wrong = f"{(int(_totp_code()) + 1) % 1_000_000:06d}"
    code.fill(wrong)
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.field-error')].some(e => /Mismatch/.test("
        "e.textContent))"
    )
    assert code.get_attribute("aria-invalid") == "true"
    console.shot("totp-code-refused")
    code.fill(_totp_code())
    page.get_by_role("button", name="Verify and sign in").click()
    _signed_in(console)

    # SMS_MFA: the code sent by SMS.
    pool.user("dev", PERMANENT)
    pool.client.admin_set_user_mfa_preference(
        UserPoolId=pool.pool_id,
        Username="dev",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    _sign_in(console, "dev", PERMANENT)
    page.wait_for_selector("main h1:text('Enter your code')")
    assert page.get_by_text("sent by SMS").is_visible()
    page.get_by_label("SMS code").fill("654321")
    console.shot("sms-code")
    page.get_by_role("button", name="Verify and sign in").click()
    session = _signed_in(console)
    # The API calls after sign-in carry the ID token.
    with page.expect_request(re.compile(r"/v1/apps")) as request:
        page.reload()
    assert request.value.headers["authorization"] == session["idToken"]
    console.settle()

    assert called == [
        "InitiateAuth",  # ana, refused
        "InitiateAuth",  # bea
        "RespondToAuthChallenge",  # refused by the policy
        "RespondToAuthChallenge",
        "InitiateAuth",  # cai
        "RespondToAuthChallenge",  # the wrong code
        "RespondToAuthChallenge",
        "InitiateAuth",  # dev
        "RespondToAuthChallenge",
    ]
