"""The AWS EndpointCompactor: the compaction statement the stack configures
(``clarion/resources/sql/audience/compact_endpoints.sql``, rendered), run on Athena
with the snapshot's time as the new ``endpoint_snapshot`` partition; and the deletion of
the change objects (``endpoint-changes/`` in the data bucket) a snapshot absorbed.

The bucket is versioned: a deletion leaves a delete marker, and the previous version
expires with the bucket's noncurrent-version rule, so a mistaken deletion can be undone
for that long."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery, AthenaQueryError

SNAPSHOT_PLACEHOLDER = "{snapshot_ms}"
DEFAULT_TIMEOUT_S = 600.0
CHANGES_PREFIX = "endpoint-changes/"
SNAPSHOT_PREFIX = "endpoint-snapshot/"
_SNAPSHOT_PARTITION = re.compile(r"/snapshot_ms=(\d+)/")
_DELETE_BATCH = 1000  # DeleteObjects' limit

logger = Logger(child=True)


def compaction_statement(template: str, snapshot_ms: int) -> str:
    """The compaction SQL for one run.

    Raises
    ------
    ValueError
        When the template has no ``{snapshot_ms}`` placeholder (a misconfigured stack).
    """
    if SNAPSHOT_PLACEHOLDER not in template:
        raise ValueError(f"the compaction SQL has no {SNAPSHOT_PLACEHOLDER} placeholder")
    return template.replace(SNAPSHOT_PLACEHOLDER, str(int(snapshot_ms)))


class AthenaEndpointCompactor:
    """EndpointCompactor running the configured statement on Athena.

    Parameters
    ----------
    client
        A boto3 Athena client.
    statement
        The compaction SQL with a ``{snapshot_ms}`` placeholder.
    workgroup, database, output_location
        Where the statement runs (as for :class:`AthenaAudienceQuery`).
    s3, bucket
        A boto3 S3 client and the data bucket holding the change objects (needed by
        ``expire_absorbed_changes`` only).
    sleep
        Called between status polls (tests pass a no-op).
    """

    def __init__(
        self,
        client: Any,
        statement: str,
        *,
        workgroup: str,
        database: str,
        output_location: str | None = None,
        s3: Any = None,
        bucket: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._client = client
        self._statement = statement
        self._workgroup = workgroup
        self._database = database
        self._output_location = output_location
        self._sleep = sleep

    def compact(self, snapshot_ms: int, *, timeout_s: float | None = None) -> str:
        """Raises ``ValueError`` for a statement without the placeholder and
        ``AthenaQueryError`` (logged with Athena's reason) when the query fails."""
        statement = compaction_statement(self._statement, snapshot_ms)
        # The wait is the caller's to bound (a Lambda stops short of its own timeout).
        athena = AthenaAudienceQuery(
            self._client,
            self._workgroup,
            self._database,
            self._output_location,
            timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
            sleep=self._sleep,
        )
        try:
            return athena.execute(statement)
        except AthenaQueryError as exc:
            logger.error(
                "Compaction query failed",
                extra={
                    "query_execution_id": exc.query_execution_id,
                    "state": exc.state,
                    "reason": exc.reason,
                    "snapshot_ms": snapshot_ms,
                },
            )
            raise

    def _require_bucket(self) -> None:
        if self._s3 is None or not self._bucket:
            raise ValueError(
                "expiring endpoint changes needs the data bucket (CLARION_DATA_BUCKET)"
            )

    def latest_snapshot_ms(self) -> int | None:
        """The newest ``snapshot_ms=`` partition under ``endpoint-snapshot/`` in S3."""
        self._require_bucket()
        newest: int | None = None
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=SNAPSHOT_PREFIX
        ):
            for item in page.get("Contents", []):
                found = _SNAPSHOT_PARTITION.search("/" + item["Key"])
                if found and (newest is None or int(found.group(1)) > newest):
                    newest = int(found.group(1))
        return newest

    def _keys(self, prefix: str) -> list[dict[str, Any]]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        return [item for page in pages for item in page.get("Contents", [])]

    def _delete(self, keys: list[str], what: str) -> int:
        deleted = 0
        for start in range(0, len(keys), _DELETE_BATCH):
            chunk = keys[start : start + _DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
            )
            errors = response.get("Errors") or []
            if errors:
                raise RuntimeError(
                    f"{len(errors)} {what} objects could not be deleted "
                    f"({errors[0].get('Code')}); {deleted} were"
                )
            deleted += len(chunk)
        return deleted

    def expire_snapshots(self, older_than_ms: int) -> int:
        """Delete the objects of snapshot partitions older than ``older_than_ms``; the
        newest partition is always kept, however old (a compaction failing for months
        must not leave the view without a snapshot)."""
        self._require_bucket()
        partitions: dict[int, list[str]] = {}
        for item in self._keys(SNAPSHOT_PREFIX):
            found = _SNAPSHOT_PARTITION.search("/" + item["Key"])
            if found:
                partitions.setdefault(int(found.group(1)), []).append(item["Key"])
        if not partitions:
            return 0
        newest = max(partitions)
        old = [
            k
            for ms, keys in partitions.items()
            if ms < older_than_ms and ms != newest
            for k in keys
        ]
        deleted = self._delete(old, "endpoint snapshot")
        logger.info("Expired old endpoint snapshots", extra={"deleted": deleted})
        return deleted

    def expire_absorbed_changes(self, written_before_ms: int) -> int:
        """Delete the change objects last modified before ``written_before_ms``.

        Raises
        ------
        ValueError
            No S3 client or bucket was given (a misconfigured function).
        RuntimeError
            S3 refused to delete some objects (their count and the first error code).
        """
        self._require_bucket()
        cutoff = datetime.fromtimestamp(written_before_ms / 1000, UTC)
        keys = [i["Key"] for i in self._keys(CHANGES_PREFIX) if i["LastModified"] < cutoff]
        deleted = self._delete(keys, "endpoint change")
        logger.info("Expired absorbed endpoint changes", extra={"deleted": deleted})
        return deleted
