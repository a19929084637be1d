"""What the conformance suite's fixtures are made of: a local server in a thread, and
boto3's own pinpoint client pointed at Clarion."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

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
