"""What the handlers share: the container's composition root, Powertools, Kinesis batch
processing and API Gateway bodies and responses. Part of every function's code asset."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.errors import FieldProblem, InvalidRecordError


class LazyBootstrap:
    """A handler's composition root, made on first use and kept between calls: one per
    Lambda container, reused by warm invocations. Call it for the Bootstrap; tests
    replace a handler's ``bootstrap`` with ``LazyBootstrap(their_bootstrap)``, or with a
    fresh ``LazyBootstrap()`` to have it built from the environment they set."""

    def __init__(self, boot: Bootstrap | None = None) -> None:
        self._boot = boot

    def __call__(self) -> Bootstrap:
        if self._boot is None:
            self._boot = Bootstrap()
        return self._boot


def powertools(namespace: str | None = "Clarion") -> tuple[Logger, Tracer, Metrics]:
    """A handler's Logger, Tracer and Metrics (service name and the rest from the
    ``POWERTOOLS_*`` variables; ``namespace`` None reads it from them too)."""
    return Logger(), Tracer(), Metrics(namespace=namespace)


def process_kinesis_batch(
    event: dict[str, Any],
    record_handler: Callable[[KinesisStreamRecord], Any],
    context: LambdaContext,
) -> dict[str, Any]:
    """Run ``record_handler`` on each Kinesis record; the records it raised for become
    Lambda's ``batchItemFailures`` (retried, the batch bisected)."""
    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.KinesisDataStreams),
        context=context,
    )
    return dict(response)


def api_body(event: Mapping[str, Any]) -> str:
    """The text of an API Gateway proxy event's body (base64-decoded when it says so)."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    return str(raw)


def json_response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """An API Gateway proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, ensure_ascii=False),
    }


def problems_json(problems: Iterable[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": p.field, "reason": p.reason} for p in problems]


def bad_request(status: int, problems: Iterable[FieldProblem]) -> dict[str, Any]:
    """A refused request: ``{"Message": "Bad request", "Problems": [...]}``."""
    return json_response(status, {"Message": "Bad request", "Problems": problems_json(problems)})


def required_string(event: Mapping[str, Any], name: str) -> str:
    """``event[name]``, a non-empty string. Raises InvalidRecordError naming it."""
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRecordError([FieldProblem(name, "is required")])
    return value
