"""The conformance suite's servers and clients.

One local server per test session (uvicorn in a thread, on a free loopback port, over a
fresh ``CLARION_HOME``), answering every request through the app with response checking
on: an answer outside its operation's output shape fails the test. The unmodified boto3
``pinpoint`` client talks to it with only ``endpoint_url`` changed (and retries off, so
an error shows at once).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import RateLimit, create_app

REGION = "us-east-1"


class LocalServer:
    """A uvicorn server of the API in a background thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def pinpoint_client(endpoint_url: str, access_key: str = "conformance") -> Any:
    """boto3's own pinpoint client, pointed at Clarion."""
    return boto3.client(
        "pinpoint",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key="not-checked-locally",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


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
