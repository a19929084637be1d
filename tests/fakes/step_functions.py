"""Waiting for a Step Functions execution under moto's interpreter."""

from __future__ import annotations

import time
from typing import Any


def wait_for_execution(stepfunctions: Any, execution_arn: str, timeout_s: float) -> dict[str, Any]:
    """The execution once it has ended (``describe_execution``); fails the test when it
    is still running after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        described: dict[str, Any] = stepfunctions.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{execution_arn} still running"
        time.sleep(0.05)
