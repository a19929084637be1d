"""Pinpoint event-stream records as they are, replayed from old streams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.events.normalise.common import EventSource, _one
from clarion.domain.events.records import EventRecord, Normalised


def _pinpoint_record(record: Any, **_: Any) -> EventRecord:
    if isinstance(record, str | bytes):
        try:
            record = parse_json(record)
        except JsonInputError as exc:
            raise InvalidRecordError([FieldProblem("(record)", f"is not JSON: {exc}")]) from None
    if not isinstance(record, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    return EventRecord.from_json(record)


def normalise_pinpoint_records(lines: Iterable[str | bytes | Mapping[str, Any]]) -> Normalised:
    """Validate Pinpoint event-stream records (JSON lines or decoded objects) and pass
    them through unchanged. Blank lines are skipped; anything else that is not a valid
    record is rejected with its line number (from 0) as ``index``."""
    out = Normalised([], [])
    for index, line in enumerate(lines):
        if isinstance(line, str | bytes) and not line.strip():
            continue
        result = _one(EventSource.PINPOINT, _pinpoint_record, index, line)
        (out.records if isinstance(result, EventRecord) else out.rejects).append(result)  # type: ignore[arg-type]
    return out
