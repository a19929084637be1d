"""Fixtures of the handler tests: a Lambda environment on moto and a Lambda context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass
class FakeLambdaContext:
    """What Powertools' ``inject_lambda_context`` reads of the Lambda context."""

    function_name: str = "clarion-test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:clarion-test-function"
    )
    aws_request_id: str = "0b1c2d3e-0000-4000-8000-000000000001"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def lambda_environment(
    monkeypatch: pytest.MonkeyPatch, aws_credentials: None
) -> Callable[..., None]:
    """Sets what a deployed function's environment holds: fake credentials, the ``aws``
    backend, tracing off, and the variables given (``CLARION_ENDPOINTS_TABLE="t"``)."""

    def set_environment(**variables: str) -> None:
        for name, value in {
            "CLARION_BACKEND": "aws",
            "POWERTOOLS_TRACE_DISABLED": "1",
            **variables,
        }.items():
            monkeypatch.setenv(name, value)

    return set_environment
