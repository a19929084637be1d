"""The conformance suite's servers and clients.

One local server per test session (uvicorn in a thread, on a free loopback port, over a
fresh ``CLARION_HOME``), answering every request through the app with response checking
on: an answer outside its operation's output shape fails the test. The unmodified boto3
``pinpoint`` client talks to it with only ``endpoint_url`` changed (and retries off, so
an error shows at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import LocalServer, pinpoint_client

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import RateLimit, create_app


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


@pytest.fixture(scope="session")
def pinpoint(api_url: str) -> Any:
    return pinpoint_client(api_url)


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
