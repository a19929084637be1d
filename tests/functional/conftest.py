"""Fixtures of the handler tests: a Lambda environment on moto and a Lambda context."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

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


_EVENTS = Path(__file__).resolve().parents[1] / "events"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"\+[1-9]\d{7,14}")


@lru_cache(maxsize=1)
def fixture_addresses() -> frozenset[str]:
    """Every email address and phone number in the event fixtures."""
    found: set[str] = set()
    for path in _EVENTS.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found.update(_EMAIL.findall(text))
            found.update(_PHONE.findall(text))
    return frozenset(found)


@pytest.fixture(autouse=True)
def no_address_in_logs(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[logging.LogRecord]]:
    """In the handler tests, every log record (Powertools' included, whatever stream it
    writes to) is kept and, after the test, scanned for the fixtures' addresses: a
    handler's logs never hold an address or phone number."""
    records: list[logging.LogRecord] = []
    handle = logging.Logger.handle

    def keep(self: logging.Logger, record: logging.LogRecord) -> None:
        records.append(record)
        handle(self, record)

    monkeypatch.setattr(logging.Logger, "handle", keep)
    yield records
    if not request.node.path.name.endswith("_handler.py"):
        return
    addresses = fixture_addresses()
    for record in records:
        text = f"{record.getMessage()} {record.__dict__!r}"
        leaked = sorted(a for a in addresses if a in text)
        assert not leaked, f"log record {record.getMessage()!r} holds {leaked}"
