"""Fixtures of the handler tests: a Lambda environment on moto and a Lambda context."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes.lambda_context import FakeLambdaContext


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
