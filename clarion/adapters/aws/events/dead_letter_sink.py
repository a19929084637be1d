"""The AWS DeadLetterSink: JSON-lines objects in the data bucket under
``dead-letters/dt=<UTC date>/<origin>-<time>-<uuid>.jsonl``. S3 keeps raw inputs of any
size (an SQS message stops at 256 KB), and Athena can read them where they lie."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from clarion.domain.events.records import Reject
from clarion.domain.events.rows import dead_letter_lines

DEAD_LETTERS_PREFIX = "dead-letters/"


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
