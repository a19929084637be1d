"""The conformance suite's servers and clients, one suite on two backends.

``local``: one server per test session (uvicorn in a thread, on a free loopback port,
over a fresh ``CLARION_HOME``), with response checking on: an answer outside its
operation's output shape fails the test. ``lambda``: the API function itself
(``lambdas/api/handler.py``, Mangum) on the aws backend under moto, each request of the
client turned into the API Gateway proxy event the function receives; one deployment per
test module. Either way the unmodified boto3 ``pinpoint`` client is used, with only
where it sends changed (and retries off, so an error shows at once).

A test that needs what moto cannot do (run Athena SQL, deliver through SES) is marked
``local_only`` with the reason, and is skipped on ``lambda`` with it.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from api_harness import LocalServer, lambda_client, pinpoint_client
from fakes.lambda_context import FakeLambdaContext
from moto import mock_aws

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import RateLimit, create_app

REGION = "us-east-1"
TABLES = {
    "CLARION_ENDPOINTS_TABLE": "api-endpoints",
    "CLARION_DEFINITIONS_TABLE": "api-definitions",
    "CLARION_SENDS_TABLE": "api-sends",
}
BUCKET = "api-data"
EVENTS_STREAM = "api-events"
SCHEDULE_GROUP = "api-campaigns"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "local_only(reason): needs the local backend; skipped on lambda, saying why"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("local_only")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None or callspec.params.get("api") != "lambda":
            continue
        reason = marker.args[0] if marker.args else "needs the local backend"
        item.add_marker(pytest.mark.skip(reason=f"local backend only: {reason}"))


@dataclass
class ApiUnderTest:
    """One backend of the suite: its client and the root Bootstrap behind it."""

    backend: str
    client: Any
    bootstrap: Bootstrap


@pytest.fixture(scope="session")
def api_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clarion-api")


@pytest.fixture(scope="session")
def api_bootstrap(api_home: Path) -> Bootstrap:
    return Bootstrap(Settings(home=api_home))


@pytest.fixture(scope="session")
def api_url(api_bootstrap: Bootstrap) -> Iterator[str]:
    app = create_app(api_bootstrap, validate_responses=True)
    with LocalServer(app) as url:
        yield url


def _deploy() -> None:
    """The resources the stacks create, on moto."""
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(**endpoints_table_spec(TABLES["CLARION_ENDPOINTS_TABLE"]))
    dynamodb.create_table(**definitions_table_spec(TABLES["CLARION_DEFINITIONS_TABLE"]))
    dynamodb.create_table(**sends_table_spec(TABLES["CLARION_SENDS_TABLE"]))
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    boto3.client("kinesis", region_name=REGION).create_stream(
        StreamName=EVENTS_STREAM, ShardCount=1
    )
    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=SCHEDULE_GROUP)
    sesv2 = boto3.client("sesv2", region_name=REGION)
    sesv2.create_email_identity(EmailIdentity="example.com")
    sesv2.create_configuration_set(ConfigurationSetName="api-mail")


@pytest.fixture(scope="module", params=["local", "lambda"])
def api(
    request: pytest.FixtureRequest, api_url: str, api_bootstrap: Bootstrap
) -> Iterator[ApiUnderTest]:
    if request.param == "local":
        yield ApiUnderTest("local", pinpoint_client(api_url), api_bootstrap)
        return
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "CLARION_BACKEND": "aws",
            "CLARION_DATA_BUCKET": BUCKET,
            "CLARION_EVENTS_STREAM": EVENTS_STREAM,
            "CLARION_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
            "CLARION_CAMPAIGN_SCHEDULE_GROUP": SCHEDULE_GROUP,
            "CLARION_FROM_ADDRESS": "news@example.com",
            "CLARION_SES_CONFIGURATION_SET": "api-mail",
            "CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
            "CLARION_CAMPAIGN_STATE_MACHINE_ARN": (
                "arn:aws:states:us-east-1:123456789012:stateMachine:campaign-run"
            ),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_SERVICE_NAME": "clarion-api",
            "POWERTOOLS_METRICS_NAMESPACE": "Clarion",
            **TABLES,
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            _deploy()
            # A fresh module: its app, made at import, holds no earlier deployment's root.
            handler = importlib.reload(importlib.import_module("lambdas.api.handler"))
            root = Bootstrap()
            handler.bootstrap = lambda: root
            yield ApiUnderTest("lambda", lambda_client(handler.handler, FakeLambdaContext()), root)


@pytest.fixture(scope="module")
def pinpoint(api: ApiUnderTest) -> Any:
    return api.client


@pytest.fixture
def project(pinpoint: Any) -> str:
    """A new project for one test (so tests never see each other's data)."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    response = pinpoint.create_app(CreateApplicationRequest={"Name": name})
    return str(response["ApplicationResponse"]["Id"])


@pytest.fixture(scope="session")
def throttled_url(api_bootstrap: Bootstrap) -> Iterator[str]:
    """A second server with a per-caller limit of 2 requests, refilled slowly."""
    app = create_app(api_bootstrap, rate_limit=RateLimit(0.01, 2))
    with LocalServer(app) as url:
        yield url
