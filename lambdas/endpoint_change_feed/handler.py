"""Puts every change of the ``endpoints`` table on the endpoint-changes Firehose stream.

Triggered by the table's DynamoDB stream in batches. Each INSERT or MODIFY becomes the
endpoint's flat row (the ``endpoints`` relation columns) plus change metadata; each
REMOVE becomes a tombstone (the id, ``deleted`` true). Firehose turns the JSON rows into
Parquet for the ``endpoint_changes`` table.

Records that cannot be turned into a row, or that Firehose still refuses after retries,
are reported as batch item failures: Lambda retries from the first of them, and the
already delivered records after it arrive again, which the view's ranking absorbs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.domain.endpoint import Endpoint
from clarion.domain.endpoint_rows import COLUMN_NAMES, endpoint_row

STREAM_ENV = "CLARION_ENDPOINT_CHANGES_STREAM"
# Items of the endpoints table under this prefix are Clarion's own bookkeeping (the
# attribute-name registry), not endpoints.
RESERVED_ID_PREFIX = "#clarion/"
# DynamoDB stream sequence numbers have 21 to 40 digits; padded, string order is numeric.
SEQUENCE_DIGITS = 40
# PutRecordBatch limits: 500 records and 4 MiB a call.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_PUT_ATTEMPTS = 5

logger = Logger()
tracer = Tracer()


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One row for Firehose, and the stream record it came from."""

    sequence_number: str
    data: bytes


def change_row(record: DynamoDBRecord) -> dict[str, Any] | None:
    """The ``endpoint_changes`` row for one stream record, or None to skip it.

    Raises
    ------
    ValueError
        When the record carries no usable endpoint (no key, a broken ``Document``).
    """
    stream = record.dynamodb
    if stream is None or not stream.keys or "Id" not in stream.keys:
        raise ValueError("stream record without the table key Id")
    endpoint_id = str(stream.keys["Id"])
    if endpoint_id.startswith(RESERVED_ID_PREFIX):
        return None
    sequence_number = stream.sequence_number or ""
    metadata = {
        "change_sequence": sequence_number.zfill(SEQUENCE_DIGITS),
        "changed_at_ms": _changed_at_ms(record),
    }
    if record.event_name == DynamoDBRecordEventName.REMOVE:
        tombstone: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
        return {**tombstone, "id": endpoint_id, **metadata, "deleted": True}
    image = stream.new_image
    if not image or "Document" not in image:
        raise ValueError(f"endpoint {endpoint_id!r}: new image without Document")
    endpoint = Endpoint.model_validate(json.loads(image["Document"]))
    last_active = image.get("LastActiveMs")
    row = endpoint_row(endpoint, last_active_ms=int(last_active) if last_active else None)
    # The table key is what tombstones carry: keep rows keyed the same way.
    row["id"] = endpoint_id
    return {**row, **metadata, "deleted": False}


def _changed_at_ms(record: DynamoDBRecord) -> int | None:
    seconds = record.raw_event.get("dynamodb", {}).get("ApproximateCreationDateTime")
    return None if seconds is None else int(Decimal(str(seconds)) * 1000)


def _chunks(rows: Sequence[ChangeRow]) -> Iterator[list[ChangeRow]]:
    chunk: list[ChangeRow] = []
    size = 0
    for row in rows:
        if chunk and (len(chunk) == MAX_BATCH_RECORDS or size + len(row.data) > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += len(row.data)
    if chunk:
        yield chunk


class ChangeFeed:
    """Delivers change rows to a Firehose stream, retrying what it refuses.

    Parameters
    ----------
    firehose
        A boto3 Firehose client.
    stream_name
        The DirectPut delivery stream.
    sleep
        Called between retries with the delay in seconds (tests pass a no-op).
    """

    def __init__(
        self,
        firehose: Any,
        stream_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._firehose = firehose
        self._stream_name = stream_name
        self._sleep = sleep

    def deliver(self, rows: Sequence[ChangeRow]) -> dict[str, str]:
        """Put the rows; returns the sequence numbers still refused, with the reason."""
        refused: dict[str, str] = {}
        for chunk in _chunks(rows):
            refused.update(self._put_with_retries(chunk))
        return refused

    def _put_with_retries(self, chunk: list[ChangeRow]) -> dict[str, str]:
        pending = chunk
        reasons: dict[str, str] = {}
        for attempt in range(MAX_PUT_ATTEMPTS):
            if attempt:
                self._sleep(min(0.1 * 2**attempt, 2.0))
            response = self._firehose.put_record_batch(
                DeliveryStreamName=self._stream_name,
                Records=[{"Data": row.data} for row in pending],
            )
            if not response.get("FailedPutCount"):
                return {}
            retry: list[ChangeRow] = []
            reasons = {}
            for row, result in zip(pending, response["RequestResponses"], strict=True):
                if result.get("ErrorCode"):
                    retry.append(row)
                    reasons[row.sequence_number] = (
                        f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
                    )
            logger.warning(
                "Firehose refused records", extra={"refused": len(retry), "attempt": attempt + 1}
            )
            pending = retry
        return reasons


class _RecordFailedError(RuntimeError):
    """Marks a stream record as a batch item failure."""


def process_stream_event(
    event: dict[str, Any], context: LambdaContext | None, feed: ChangeFeed
) -> dict[str, Any]:
    """Convert, deliver and report: the partial batch response for Lambda."""
    rows: list[ChangeRow] = []
    failed: dict[str, str] = {}
    for raw in event.get("Records", []):
        record = DynamoDBRecord(raw)
        sequence_number = (record.dynamodb.sequence_number if record.dynamodb else None) or ""
        try:
            row = change_row(record)
        except ValueError as exc:  # pydantic's ValidationError is one too
            failed[sequence_number] = f"not an endpoint: {exc}"
            continue
        if row is not None:
            data = (json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
            rows.append(ChangeRow(sequence_number, data))
    failed.update(feed.deliver(rows))
    if failed:
        logger.error("Change records failed", extra={"failures": failed})

    def report(record: DynamoDBRecord) -> None:
        sequence_number = record.dynamodb.sequence_number if record.dynamodb else None
        if sequence_number in failed:
            raise _RecordFailedError(failed[sequence_number])

    # The processor turns the outcome of each record into Lambda's batchItemFailures
    # (and fails the whole invocation when nothing succeeded).
    response = process_partial_response(
        event=event,
        record_handler=report,
        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
        context=context,
    )
    return dict(response)


_feed: ChangeFeed | None = None


def change_feed() -> ChangeFeed:
    """The container's feed, made on first use and kept between invocations."""
    global _feed  # one per Lambda container, reused by warm invocations
    if _feed is None:
        from clarion.adapters.aws.clients import make_client

        _feed = ChangeFeed(make_client("firehose"), os.environ[STREAM_ENV])
    return _feed


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_stream_event(event, context, change_feed())
