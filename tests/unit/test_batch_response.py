"""``batch_response`` answers as Powertools' ``process_partial_response`` does (the
reference: the handlers answered with it before) for any stream batch and any failed
records: the same ``batchItemFailures``, and the same error when every record failed
or the event is not a batch it can read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from hypothesis import given
from hypothesis import strategies as st

from lambdas._runtime import RecordNotProcessedError, StreamEventType, batch_response

KEYS: dict[str, tuple[str, str]] = {
    "KinesisDataStreams": ("kinesis", "sequenceNumber"),
    "DynamoDBStreams": ("dynamodb", "SequenceNumber"),
}


def _error(exc: Exception) -> tuple[Any, ...]:
    """An error as compared: its type, its message without the tracebacks Powertools
    appends (they name the record handler's file and lines), and its records' errors."""
    children = getattr(exc, "child_exceptions", None) or []
    return (
        type(exc),
        str(exc).split("\n\n")[0].strip(),
        [(info[0], str(info[1])) for info in children],
    )


def _reference(
    event: dict[str, Any], event_type: StreamEventType, failures: Mapping[str, str]
) -> Any:
    def report(record: Any) -> None:
        stream = getattr(record, "kinesis", None) or getattr(record, "dynamodb", None)
        number = None if stream is None else stream.sequence_number
        if number is not None and number in failures:
            raise RecordNotProcessedError(failures[number])

    try:
        processor = BatchProcessor(event_type=EventType(event_type))
        return dict(process_partial_response(event, report, processor, None))
    except Exception as exc:
        return _error(exc)


def _mine(event: dict[str, Any], event_type: StreamEventType, failures: Mapping[str, str]) -> Any:
    try:
        return batch_response(event, event_type, failures, None)
    except Exception as exc:
        return _error(exc)


def _record(event_type: str, number: str) -> dict[str, Any]:
    stream, key = KEYS[event_type]
    return {stream: {key: number, "data": "e30="}, "eventSource": "aws:x"}


@given(
    event_type=st.sampled_from(sorted(KEYS)),
    numbers=st.lists(st.sampled_from(["1", "2", "3", "4", "5"]), max_size=6),
    failed=st.sets(st.sampled_from(["1", "2", "3", "4", "9"])),
)
def test_a_stream_batch_gets_the_response_powertools_gives(
    event_type: StreamEventType, numbers: list[str], failed: set[str]
) -> None:
    event = {"Records": [_record(event_type, n) for n in numbers]}
    failures = {n: f"reason {n}" for n in failed}

    assert _mine(event, event_type, failures) == _reference(event, event_type, failures)


def test_a_batch_whose_records_all_failed_fails_as_with_powertools() -> None:
    event = {"Records": [_record("DynamoDBStreams", "7"), _record("DynamoDBStreams", "8")]}
    failures = {"7": "no row", "8": "refused"}

    mine = _mine(event, "DynamoDBStreams", failures)

    assert mine == _reference(event, "DynamoDBStreams", failures)
    assert mine[0].__name__ == "BatchProcessingError"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": None},
        {"Records": [{"kinesis": {}}, {"kinesis": {"sequenceNumber": "1"}}]},
        {"Records": [{"dynamodb": {"SequenceNumber": "1"}}, {"kinesis": None}]},
        {"Records": [{"kinesis": {"sequenceNumber": 5}}, {"kinesis": {"sequenceNumber": "1"}}]},
    ],
)
@pytest.mark.parametrize("event_type", sorted(KEYS))
def test_any_other_event_is_answered_as_powertools_answers_it(
    event: dict[str, Any], event_type: StreamEventType
) -> None:
    failures = {"1": "failed"}

    assert _mine(event, event_type, failures) == _reference(event, event_type, failures)
