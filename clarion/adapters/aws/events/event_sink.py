"""The AWS EventSink: records on the events Kinesis stream.

Records go on the stream as JSON (see :func:`clarion.domain.events.rows.stream_json`),
partition key the endpoint id (the event id when there is none), so one endpoint's
events stay in order on one shard. Firehose reads the stream and writes the Parquet lake;
the consumer Lambda reads it for real-time effects."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from clarion.adapters.aws.common.kinesis import chunks, put_records
from clarion.domain.events.records import EventRecord
from clarion.domain.events.rows import stream_json

MAX_RECORD_BYTES = 1024 * 1024


class KinesisEventSink:
    """EventSink on a Kinesis data stream: PutRecords in chunks of 500 (and 5 MB), with
    the failed entries of each call retried with backoff (throttling)."""

    def __init__(
        self, client: Any, stream_name: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._stream = stream_name
        self._sleep = sleep

    def put_records(self, records: Sequence[EventRecord]) -> set[str]:
        entries = []
        for record in records:
            data = json.dumps(stream_json(record), separators=(",", ":"), ensure_ascii=False)
            blob = data.encode("utf-8") + b"\n"
            if len(blob) > MAX_RECORD_BYTES:
                raise ValueError(
                    f"event {record.event_id} is {len(blob)} bytes; Kinesis takes 1 MiB a record"
                )
            key = record.endpoint_id or record.event_id
            entries.append({"Data": blob, "PartitionKey": key[:256]})
        for chunk in chunks(entries):
            self._put(chunk)
        return {record.event_id for record in records}

    def _put(self, entries: list[dict[str, Any]]) -> None:
        put_records(self._client, self._stream, entries, self._sleep)
