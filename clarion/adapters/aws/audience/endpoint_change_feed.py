"""The AWS EndpointChangeFeed: rows of the ``endpoint_changes`` relation on a DirectPut
Firehose stream, which writes them to S3 as Parquet."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from aws_lambda_powertools import Logger

# PutRecordBatch limits: 500 records and 4 MiB a call.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_PUT_ATTEMPTS = 5

logger = Logger(child=True)


def _chunks(lines: Mapping[str, bytes]) -> Iterator[dict[str, bytes]]:
    chunk: dict[str, bytes] = {}
    size = 0
    for sequence_number, data in lines.items():
        if chunk and (len(chunk) == MAX_BATCH_RECORDS or size + len(data) > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = {}, 0
        chunk[sequence_number] = data
        size += len(data)
    if chunk:
        yield chunk


class FirehoseEndpointChangeFeed:
    """EndpointChangeFeed on a Firehose stream: one JSON line a row, put in
    PutRecordBatch-sized chunks, the records Firehose refuses retried with backoff.

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

    def put_rows(self, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        lines = {
            sequence_number: (
                json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n"
            ).encode()
            for sequence_number, row in rows.items()
        }
        refused: dict[str, str] = {}
        for chunk in _chunks(lines):
            refused.update(self._put_with_retries(chunk))
        return refused

    def _put_with_retries(self, chunk: dict[str, bytes]) -> dict[str, str]:
        pending = chunk
        reasons: dict[str, str] = {}
        for attempt in range(MAX_PUT_ATTEMPTS):
            if attempt:
                self._sleep(min(0.1 * 2**attempt, 2.0))
            response = self._firehose.put_record_batch(
                DeliveryStreamName=self._stream_name,
                Records=[{"Data": data} for data in pending.values()],
            )
            if not response.get("FailedPutCount"):
                return {}
            retry: dict[str, bytes] = {}
            reasons = {}
            for (sequence_number, data), result in zip(
                pending.items(), response["RequestResponses"], strict=True
            ):
                if result.get("ErrorCode"):
                    retry[sequence_number] = data
                    reasons[sequence_number] = (
                        f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
                    )
            logger.warning(
                "Firehose refused records", extra={"refused": len(retry), "attempt": attempt + 1}
            )
            pending = retry
        return reasons
