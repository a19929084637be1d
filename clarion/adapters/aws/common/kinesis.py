"""PutRecords on a Kinesis data stream: entries in chunks within the call's limits, and
the entries Kinesis failed (throttling) retried with backoff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clarion.adapters.aws.common.retry import backoff_delay

MAX_PUT_RECORDS = 500  # PutRecords' limit per call
MAX_PUT_BYTES = 5 * 1024 * 1024  # and per request (data plus partition keys)
MAX_PUT_ATTEMPTS = 8


class KinesisPutError(RuntimeError):
    """Kinesis still refused records after every retry."""

    def __init__(self, stream: str, failed: int, reason: str, what: str = "record(s)") -> None:
        self.stream = stream
        self.failed = failed
        super().__init__(f"{failed} {what} not put on {stream} after retries: {reason}")


def chunks(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``entries`` (``Data`` bytes, ``PartitionKey``) in PutRecords-sized chunks."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["Data"]) + len(entry["PartitionKey"].encode())
        if current and (len(current) == MAX_PUT_RECORDS or size + entry_size > MAX_PUT_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        out.append(current)
    return out


def put_records(
    client: Any,
    stream: str,
    entries: list[dict[str, Any]],
    sleep: Callable[[float], None],
    *,
    what: str = "record(s)",
) -> None:
    """Put every entry of ``entries`` (one PutRecords call's worth: see :func:`chunks`),
    retrying the failed ones up to MAX_PUT_ATTEMPTS calls in all.

    Raises
    ------
    KinesisPutError
        When entries still fail after the last attempt (``what`` names them).
    """
    pending = entries
    reason = ""
    for attempt in range(MAX_PUT_ATTEMPTS):
        response = client.put_records(StreamName=stream, Records=pending)
        if not response.get("FailedRecordCount"):
            return
        results = response["Records"]
        failed = [(e, r) for e, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
        reason = f"{failed[0][1]['ErrorCode']}: {failed[0][1].get('ErrorMessage', '')}"
        pending = [entry for entry, _ in failed]
        sleep(backoff_delay(attempt))
    raise KinesisPutError(stream, len(pending), reason, what)
