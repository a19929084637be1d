"""What the handlers share: the container's composition root, Powertools (Logger,
Tracer, Metrics, and the metric names of ``clarion/resources/contracts/metrics.json``),
event parsing with pydantic models (validated as Powertools' Parser validates them),
partial batch responses, and API Gateway bodies and
responses. Part of every function's code asset.

A handler parses its event (a pydantic model, or an event-source data class), makes one
service call through :class:`LazyBootstrap`, publishes its counts and logs, and returns
the response.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.resources import read_json

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
        KinesisStreamRecord,
    )
    from pydantic import BaseModel

    from clarion.services.events import StreamRecord

METRICS_CONTRACT = "contracts/metrics.json"
NAMESPACE: str = read_json(METRICS_CONTRACT)["namespace"]

ModelT = TypeVar("ModelT", bound="BaseModel")


def for_project(boot: Bootstrap, app_id: str | None) -> Bootstrap:
    """The composition root of project ``app_id`` (the default project's when None):
    each step of a campaign run works in the project its input names."""
    return boot.for_project(app_id) if app_id else boot


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


def powertools(namespace: str | None = NAMESPACE) -> tuple[Logger, Tracer, Metrics]:
    """A handler's Logger, Tracer and Metrics (service name and the rest from the
    ``POWERTOOLS_*`` variables; ``namespace`` None reads it from them too)."""
    return Logger(), Tracer(), Metrics(namespace=namespace)


class MetricCounts:
    """The counts one function publishes, under the names its entry in the metrics
    contract gives them (``functions.<function>``), so the dashboards and the handlers
    name each metric the same way.

    Parameters
    ----------
    metrics
        The handler's Powertools Metrics.
    function
        The function's folder under ``lambdas/``.

    Raises
    ------
    KeyError
        When the contract has no entry for ``function``.
    """

    def __init__(self, metrics: Metrics, function: str) -> None:
        self.function = function
        self._metrics = metrics
        functions: Mapping[str, Mapping[str, Mapping[str, str]]] = read_json(METRICS_CONTRACT)[
            "functions"
        ]
        self._groups = functions[function]

    def count(self, key: str, value: float) -> None:
        """Publish ``value`` under the name of ``counts.<key>``.

        Raises
        ------
        KeyError
            When the contract names no such count for the function.
        """
        self._publish(self._groups["counts"][key], value)

    def count_in(self, group: str, member: str, value: float) -> None:
        """Publish ``value`` under the name ``<group>.<member>`` has (an event type, a
        post status); a member the group does not name is not counted.

        Raises
        ------
        KeyError
            When the contract has no such group for the function.
        """
        name = self._groups[group].get(member)
        if name is not None:
            self._publish(name, value)

    def _publish(self, name: str, value: float) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def parse_event(event: Any, model: type[ModelT]) -> ModelT:
    """``event`` validated by a pydantic model, as Powertools' ``parse`` (no envelope)
    validates it: a dict (or any object) by the model, a string as JSON.

    Powertools' Parser is not imported for this: its package imports pydantic's network
    types and the envelopes, up to about 16 ms (a twentieth of the baseline every
    function pays) on top of a function that only needs ``model_validate``
    (tests/unit/test_parse_event.py checks the two agree).

    Raises
    ------
    InvalidRecordError
        Naming each field at fault (dotted, by its name in the event: a missing one
        "is required"), so a refused input fails the task with one error type.
    """
    # Imported here: the functions reading an event-source data class (the streams, S3,
    # the API) never parse with a model.
    from pydantic import ValidationError

    from clarion.domain.common.model import dotted_path

    try:
        if isinstance(event, str):
            return model.model_validate_json(event)
        return model.model_validate(event)
    except ValidationError as exc:
        problems = [
            FieldProblem(
                dotted_path(tuple(error["loc"])),
                "is required"
                if error["type"] == "missing"
                else str(error["msg"]).removeprefix("Value error, "),
            )
            for error in exc.errors()
        ]
        raise InvalidRecordError(problems) from None


class RecordNotProcessedError(RuntimeError):
    """Raised for a batch record to be retried (reported in ``batchItemFailures``)."""


StreamEventType = Literal["KinesisDataStreams", "DynamoDBStreams"]
# Where each stream's records keep their sequence number.
_SEQUENCE_NUMBER = {
    "KinesisDataStreams": ("kinesis", "sequenceNumber"),
    "DynamoDBStreams": ("dynamodb", "SequenceNumber"),
}


def _sequence_number(record: Any) -> str | None:
    stream = getattr(record, "kinesis", None) or getattr(record, "dynamodb", None)
    return None if stream is None else stream.sequence_number


def _sequence_numbers(event: Mapping[str, Any], event_type: StreamEventType) -> list[str] | None:
    """The sequence number of each record of a well-formed stream batch, in order; None
    for any other event (no ``Records`` list, a record without its number)."""
    records = event.get("Records")
    if not isinstance(records, list):
        return None
    stream, key = _SEQUENCE_NUMBER[event_type]
    numbers = []
    for record in records:
        payload = record.get(stream) if isinstance(record, dict) else None
        number = payload.get(key) if isinstance(payload, dict) else None
        if not isinstance(number, str):
            return None
        numbers.append(number)
    return numbers


def batch_response(
    event: dict[str, Any],
    event_type: StreamEventType,
    failures: Mapping[str, str],
    context: LambdaContext | None,
) -> dict[str, Any]:
    """Lambda's partial batch response for a stream batch already processed: the
    records whose sequence numbers are in ``failures`` (with the reason) become
    ``batchItemFailures`` (retried, the batch bisected), and when no record succeeded
    the invocation fails (``BatchProcessingError``).

    The response is that of Powertools' ``process_partial_response`` over the batch with
    a record handler raising for each failed record. For a well-formed batch in which a
    record succeeded it is written here as Powertools writes it (the failed records'
    sequence numbers, in order), so that the function's invocations need not import the
    batch utility (its processors, and the data-class package for the records); any
    other event (an empty batch, the whole batch failed, a malformed record) goes
    through Powertools itself, errors and all (tests/unit/test_batch_response.py checks
    the two agree).
    """
    numbers = _sequence_numbers(event, event_type)
    if numbers:
        failed = [number for number in numbers if number in failures]
        if len(failed) < len(numbers):
            return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}

    def report(record: Any) -> None:
        sequence_number = _sequence_number(record)
        if sequence_number is not None and sequence_number in failures:
            raise RecordNotProcessedError(failures[sequence_number])

    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    response = process_partial_response(
        event=event,
        record_handler=report,
        processor=BatchProcessor(event_type=EventType(event_type)),
        context=context,
    )
    return dict(response)


def stream_record(record: KinesisStreamRecord) -> StreamRecord:
    """A Kinesis record of Lambda's batch as the services read it (arrival in epoch ms)."""
    # Imported here: most functions read no stream, and the events services are many.
    from clarion.services.events import StreamRecord

    kinesis = record.kinesis
    return StreamRecord(
        sequence_number=kinesis.sequence_number,
        data=kinesis.data,
        arrival_ms=round(float(kinesis.approximate_arrival_timestamp) * 1000),
        raw=record.raw_event,
    )


def api_body(event: Mapping[str, Any]) -> str | bytes:
    """An API Gateway proxy event's body (the event as a dict, or Powertools'
    ``APIGatewayProxyEvent``): its text, or its bytes when it came base64 encoded (the
    intake's JSON reader refuses bytes that are not UTF-8 with the reason, rather than
    reading replacement characters into a record)."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(raw)
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
