"""The DeadLetterSink contract, on both backends: input that could not become an event
record is kept with its reason, position and raw form, as JSON lines.

``local`` writes files under ``CLARION_HOME/dead-letters/`` in ``tmp_path``; ``aws``
writes objects under ``dead-letters/`` in an S3 bucket on moto. Each harness reads back
what a returned location holds, and everything kept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import FieldProblem
from clarion.domain.events.records import Reject
from clarion.ports.events import DeadLetterSink

REGION = "us-east-1"
BUCKET = "test-data-bucket"


@dataclass
class DeadLetterBackend:
    """A DeadLetterSink; ``root`` is where every location it returns must lie,
    ``read_location`` reads the letters at one location, ``read_all`` every letter."""

    name: str
    sink: DeadLetterSink
    root: str
    read_location: Callable[[str], list[dict[str, Any]]]
    read_all: Callable[[], list[dict[str, Any]]]


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _local(tmp_path: Path) -> DeadLetterBackend:
    from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink

    home = tmp_path / "home"
    sink = FileDeadLetterSink(home)

    def read_location(where: str) -> list[dict[str, Any]]:
        return _lines(Path(where).read_text(encoding="utf-8"))

    return DeadLetterBackend(
        "local", sink, str(home / "dead-letters") + "/", read_location, sink.read_all
    )


def _aws() -> Iterator[DeadLetterBackend]:
    from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        sink = S3DeadLetterSink(s3, BUCKET)

        def read_location(where: str) -> list[dict[str, Any]]:
            bucket, key = where.removeprefix("s3://").split("/", 1)
            return _lines(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())

        yield DeadLetterBackend(
            "aws", sink, f"s3://{BUCKET}/dead-letters/", read_location, sink.read_all
        )


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[DeadLetterBackend]:
    if request.param == "local":
        yield _local(tmp_path)
    else:
        yield from _aws()


def _reject(n: int, source: str = "ses", raw: Any = None) -> Reject:
    return Reject(
        source,
        n,
        f"record-{n}",
        (FieldProblem("eventType", f"'Nope{n}' is not known"), FieldProblem("mail", "missing")),
        {"eventType": f"Nope{n}", "n": n} if raw is None else raw,
    )


def test_nothing_to_keep_writes_nothing(backend: DeadLetterBackend) -> None:
    assert backend.sink.put_rejects([], origin="empty.jsonl") is None
    assert backend.read_all() == []


def test_rejects_are_kept_whole_in_order_at_the_location_returned(
    backend: DeadLetterBackend,
) -> None:
    before = datetime.now(UTC)
    rejects = [_reject(n) for n in range(5)]

    where = backend.sink.put_rejects(rejects, origin="ses-events.jsonl")

    after = datetime.now(UTC)
    assert where is not None and where.startswith(backend.root)
    letters = backend.read_location(where)
    assert [letter["record_id"] for letter in letters] == [f"record-{n}" for n in range(5)]
    first = letters[0]
    assert set(first) == {"at", "origin", "source", "index", "record_id", "problems", "raw"}
    assert first["origin"] == "ses-events.jsonl"
    assert first["source"] == "ses"
    assert first["index"] == 0
    assert first["problems"] == [
        {"field": "eventType", "reason": "'Nope0' is not known"},
        {"field": "mail", "reason": "missing"},
    ]
    assert first["raw"] == {"eventType": "Nope0", "n": 0}
    assert first["at"].endswith("Z")
    at = datetime.fromisoformat(first["at"].replace("Z", "+00:00"))
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= at <= after


def test_a_reject_of_the_whole_input(backend: DeadLetterBackend) -> None:
    whole = Reject("kinesis", None, None, (FieldProblem("kinesis.data", "is not JSON"),), "b@d")

    where = backend.sink.put_rejects([whole], origin="kinesis")

    assert where is not None
    (letter,) = backend.read_location(where)
    assert (letter["index"], letter["record_id"], letter["raw"]) == (None, None, "b@d")


def test_raw_input_of_any_kind_is_kept(backend: DeadLetterBackend) -> None:
    raws: list[Any] = [
        "Zoë ünïcode text",
        ["a", 1, None],
        {"nested": {"deep": [1.5, True]}},
        b"\xffnot-json-bytes",
        "x" * 300_000,
    ]
    rejects = [_reject(n, raw=raw) for n, raw in enumerate(raws)]

    where = backend.sink.put_rejects(rejects, origin="api")

    assert where is not None
    kept = [letter["raw"] for letter in backend.read_location(where)]
    assert kept[:3] == raws[:3]
    assert isinstance(kept[3], str) and "not-json-bytes" in kept[3]
    assert kept[4] == "x" * 300_000


def test_every_call_is_kept(backend: DeadLetterBackend) -> None:
    first = backend.sink.put_rejects([_reject(1), _reject(2)], origin="first.jsonl")
    second = backend.sink.put_rejects([_reject(3, "sms-v2")], origin="second.jsonl")

    assert first is not None and second is not None
    assert [x["record_id"] for x in backend.read_location(second)][-1] == "record-3"
    letters = backend.read_all()
    assert Counter((x["origin"], x["record_id"]) for x in letters) == Counter(
        {
            ("first.jsonl", "record-1"): 1,
            ("first.jsonl", "record-2"): 1,
            ("second.jsonl", "record-3"): 1,
        }
    )


def test_the_origin_never_leaves_the_dead_letter_place(backend: DeadLetterBackend) -> None:
    origin = "../../outside/ file?.jsonl"

    where = backend.sink.put_rejects([_reject(1)], origin=origin)

    assert where is not None and where.startswith(backend.root)
    assert ".." not in where.removeprefix(backend.root).split("/")
    (letter,) = backend.read_all()
    assert letter["origin"] == origin  # kept as given inside the letter
