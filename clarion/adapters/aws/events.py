"""Events on AWS: the Kinesis EventSink and the S3 DeadLetterSink.

Records go on the events stream as JSON (see :func:`clarion.domain.event_rows.stream_json`),
partition key the endpoint id (the event id when there is none), so one endpoint's
events stay in order on one shard. Firehose reads the stream and writes the Parquet lake;
the consumer Lambda reads it for real-time effects.

Dead letters are JSON-lines objects in the data bucket under
``dead-letters/dt=<UTC date>/<origin>-<time>-<uuid>.jsonl``: S3 keeps raw inputs of any
size (an SQS message stops at 256 KB), and Athena can read them where they lie.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from clarion.adapters.aws.kinesis import chunks, put_records
from clarion.domain.event_rows import dead_letter_lines, stream_json
from clarion.domain.events import EventRecord, Reject

MAX_RECORD_BYTES = 1024 * 1024
DEAD_LETTERS_PREFIX = "dead-letters/"


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


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class S3DeadLetterSink:
    """DeadLetterSink writing one JSON-lines object per call to the data bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = DEAD_LETTERS_PREFIX) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def put_rejects(self, rejects: Sequence[Reject], *, origin: str) -> str | None:
        if not rejects:
            return None
        now = datetime.now(UTC)
        name = _SAFE.sub("-", origin).strip("-")[:100] or "input"
        key = f"{self._prefix}dt={now:%Y-%m-%d}/{name}-{now:%H%M%S%f}-{uuid.uuid4().hex[:12]}.jsonl"
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=dead_letter_lines(rejects, origin, now).encode("utf-8"),
            ContentType="application/x-ndjson",
        )
        return f"s3://{self._bucket}/{key}"

    def read_all(self) -> list[dict[str, Any]]:
        """Every dead letter under the prefix (for tests and operators)."""
        entries: list[dict[str, Any]] = []
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                body = self._client.get_object(Bucket=self._bucket, Key=item["Key"])["Body"]
                entries.extend(json.loads(line) for line in body.read().decode().splitlines())
        return entries
