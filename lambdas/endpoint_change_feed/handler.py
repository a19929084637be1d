"""Puts every change of the ``endpoints`` table on the endpoint-changes Firehose stream.

Triggered by the table's DynamoDB stream in batches. Each record becomes an
``EndpointChange`` and the batch goes through ``EndpointChangeFeedService.publish``:
each INSERT or MODIFY becomes the endpoint's flat row (the ``endpoints`` relation
columns) plus change metadata, each REMOVE a tombstone (the id, ``deleted`` true), and
Firehose turns the JSON rows into Parquet for the ``endpoint_changes`` table.

Records that cannot be turned into a row, or that Firehose still refuses after retries,
are reported as batch item failures: Lambda retries from the first of them, and the
already delivered records after it arrive again, which the view's ranking absorbs.

The stream's records are read as dicts, their images with Powertools' DynamoDB
deserializer, as its ``DynamoDBRecord`` reads them: the data class's package imports
every event-source class, and the batch response needs none of them
(tests/unit/test_handler_event_reading.py checks both readings agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.services.audience import EndpointChange, EndpointChangeFeedService
from lambdas._runtime import LazyBootstrap, batch_response, powertools

logger, tracer, _ = powertools()  # publishes no metrics

bootstrap = LazyBootstrap()


_DESERIALIZER = TypeDeserializer()
_EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")


def _image(stream: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in (stream.get(key) or {}).items()}


def _event_name(record: Mapping[str, Any]) -> str | None:
    name = record.get("eventName")
    if name is not None and name not in _EVENT_NAMES:
        raise KeyError(name)  # as the data class's DynamoDBRecordEventName[name] does
    return name


def endpoint_change(record: Mapping[str, Any]) -> EndpointChange:
    """One stream record of the endpoints table as the change feed reads it."""
    stream = record.get("dynamodb")
    keys = (_image(stream, "Keys") if stream else None) or {}
    image = (_image(stream, "NewImage") if stream else None) or {}
    seconds = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    last_active = image.get("LastActiveMs")
    return EndpointChange(
        sequence_number=(stream.get("SequenceNumber") if stream else None) or "",
        endpoint_id=str(keys["Id"]) if "Id" in keys else None,
        removed=_event_name(record) == "REMOVE",
        document=image.get("Document"),
        last_active_ms=int(last_active) if last_active else None,
        # Exact: the stream gives seconds with a fraction.
        changed_at_ms=None if seconds is None else int(Decimal(str(seconds)) * 1000),
    )


def process_stream_event(
    event: dict[str, Any], context: LambdaContext | None, service: EndpointChangeFeedService
) -> dict[str, Any]:
    """Convert, deliver and report: the partial batch response for Lambda."""
    changes = [endpoint_change(record) for record in event["Records"]]
    failed = service.publish(changes)
    if failed:
        logger.error("Change records failed", extra={"failures": failed})
    return batch_response(event, "DynamoDBStreams", failed, context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_stream_event(event, context, bootstrap().endpoint_change_feed_service)
