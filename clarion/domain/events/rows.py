"""The event record as a row of the ``events`` table, and as a line on the event stream.

The columns are declared once, in ``clarion/resources/contracts/events_columns.json``:
the local DuckDB table and the Glue table over the Parquet lake (built by the CDK stack
from the same file) have exactly those columns, so one SQL text runs on both.

On AWS, Firehose turns each JSON line of the Kinesis stream into a Parquet row by column
name. :func:`stream_json` therefore writes the full Pinpoint record (which the consumer
Lambda reads back) plus the derived keys the table adds: ``endpoint_id``,
``endpoint_json`` and ``facets_json`` (nested objects of no fixed shape are stored as
JSON text, which Parquet and Athena read without a schema).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from clarion.domain.events.records import EventRecord, Reject
from clarion.resources import read_json

PARTITION_KEY = "dt"


@cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = read_json("contracts/events_columns.json")
    return spec


def event_columns() -> tuple[tuple[str, str], ...]:
    """(column, Hive/Glue type) of the events table, in order (without ``dt``)."""
    return tuple((c["name"], c["type"]) for c in _spec()["columns"])


def event_column_names() -> tuple[str, ...]:
    return tuple(name for name, _ in event_columns())


def event_date(epoch_ms: int) -> str:
    """The ``dt`` partition of an event time: its UTC date, ``YYYY-MM-DD``."""
    return _utc_date(epoch_ms // 86_400_000)


@lru_cache(maxsize=4096)
def _utc_date(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%d")


def compact_json(value: Any) -> str | None:
    """A nested value as the table stores it: compact JSON text with sorted keys."""
    if value is None:
        return None
    return _COMPACT.encode(value)


# What ``json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)``
# uses, made once rather than per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def event_row(record: EventRecord) -> dict[str, Any]:
    """The record flattened to the events table's columns, plus ``dt``."""
    app = record.application
    device = record.device
    locale = device.locale
    session = record.session
    return {
        "event_id": record.event_id,
        "event_type": record.event_type,
        "event_timestamp": record.event_timestamp,
        "arrival_timestamp": record.arrival_timestamp,
        "event_version": record.event_version,
        "application": {
            "app_id": app.app_id,
            "package_name": app.package_name,
            "title": app.title,
            "version_name": app.version_name,
            "version_code": app.version_code,
            "sdk": {"name": app.sdk.name, "version": app.sdk.version},
        },
        "client": {"client_id": record.client.client_id, "cognito_id": record.client.cognito_id},
        "device": {
            "locale": None
            if locale is None
            else {"code": locale.code, "country": locale.country, "language": locale.language},
            "make": device.make,
            "model": device.model,
            "platform": {"name": device.platform.name, "version": device.platform.version},
        },
        "session": {
            "session_id": session.session_id,
            "start_timestamp": session.start_timestamp,
            "stop_timestamp": session.stop_timestamp,
            "duration": session.duration,
        },
        "attributes": dict(record.attributes),
        "metrics": {name: float(value) for name, value in record.metrics.items()},
        "awsaccountid": record.aws_account_id,
        "endpoint_id": record.endpoint_id,
        "endpoint_json": compact_json(record.endpoint),
        "facets_json": compact_json(record.facets),
        PARTITION_KEY: event_date(record.event_timestamp),
    }


def stream_json(record: EventRecord) -> dict[str, Any]:
    """What goes on the Kinesis stream: the Pinpoint record with ``event_id``, and the
    derived keys of the table's columns."""
    data = record.to_json(with_event_id=True)
    data["endpoint_id"] = record.endpoint_id
    data["endpoint_json"] = compact_json(record.endpoint)
    data["facets_json"] = compact_json(record.facets)
    return data


DERIVED_STREAM_KEYS = ("endpoint_id", "endpoint_json", "facets_json")


def from_stream_json(data: dict[str, Any]) -> EventRecord:
    """Read a stream line back into a record (the derived keys are dropped)."""
    body = {key: value for key, value in data.items() if key not in DERIVED_STREAM_KEYS}
    return EventRecord.from_json(body)


def dead_letter_entry(reject: Reject, origin: str, at: datetime) -> dict[str, Any]:
    """The JSON object kept for one reject, on both backends."""
    return {
        "at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "origin": origin,
        "source": reject.source,
        "index": reject.index,
        "record_id": reject.record_id,
        "problems": [{"field": p.field, "reason": p.reason} for p in reject.problems],
        "raw": reject.raw,
    }


def dead_letter_lines(rejects: Sequence[Reject], origin: str, at: datetime) -> str:
    return "".join(
        json.dumps(dead_letter_entry(r, origin, at), ensure_ascii=False, default=str) + "\n"
        for r in rejects
    )
