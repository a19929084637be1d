"""JSON lines of mixed records (SES, SMS v2, Pinpoint records, PutEvents bodies), one
record a line, each normalised by the normaliser of its own source: the per-record
reference the local columnar ingestion is tested against."""

from __future__ import annotations

import json
from collections.abc import Iterable

from clarion.domain.common.errors import FieldProblem
from clarion.domain.events.normalise.kinesis import normalise_payload
from clarion.domain.events.records import Normalised, Reject

# The source named by the reject of a line that is not JSON (no source can be detected).
UNKNOWN_SOURCE = "unknown"


def line_not_json(index: int, line: str, exc: json.JSONDecodeError) -> Reject:
    """The reject of a line that is not JSON, with its position and the parser's reason."""
    problem = FieldProblem("(line)", f"is not JSON: {exc.msg} at column {exc.colno}")
    return Reject(UNKNOWN_SOURCE, index, None, (problem,), line)


def normalise_json_lines(
    lines: Iterable[str],
    *,
    app_id: str,
    arrival_timestamp: int,
    aws_account_id: str | None = None,
    first_index: int = 0,
) -> Normalised:
    """Normalise JSON lines of mixed records, detecting each line's source
    (:func:`~clarion.domain.events.normalise.kinesis.normalise_payload`).

    A reject's ``index`` is its line's position counted from ``first_index`` (the line
    number, from 1, is ``index + 1`` when ``first_index`` is 0). Blank lines are skipped;
    a line that is not JSON is rejected (source ``unknown``, field ``(line)``); the good
    lines beside bad ones are kept.
    """
    out = Normalised([], [])
    for index, line in enumerate(lines, start=first_index):
        if not line.strip():
            continue
        try:
            payload = json.loads(line)
        except json.JSONDecodeError as exc:
            out.rejects.append(line_not_json(index, line, exc))
            continue
        result = normalise_payload(
            payload,
            app_id=app_id,
            arrival_timestamp=arrival_timestamp,
            aws_account_id=aws_account_id,
            index=index,
        )
        out.records.extend(result.records)
        out.rejects.extend(result.rejects)
    return out
