"""One contract for EventSink and DeadLetterSink, run on both backends: the local store
and dead-letter files, and Kinesis and S3 on moto. Each harness reads back what the port
wrote (the events table; the stream's records; the dead-letter lines)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import FieldProblem
from clarion.domain.events.normalise.ses import normalise_ses_events
from clarion.domain.events.records import EventRecord, Reject
from clarion.domain.events.rows import from_stream_json
from clarion.ports.events import DeadLetterSink, EventSink

EVENTS = Path(__file__).resolve().parents[1] / "events"
REGION = "us-east-1"
STREAM = "contract-events"
BUCKET = "contract-data"


@dataclass
class SinkBackend:
    name: str
    sink: EventSink
    dead_letters: DeadLetterSink
    stored: Callable[[], list[EventRecord]]
    letters: Callable[[], list[dict[str, Any]]]
    deduplicates: bool


def _local(tmp_path: Path) -> Iterator[SinkBackend]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    database = LocalDatabase(tmp_path / "home")
    letters = FileDeadLetterSink(tmp_path / "home")

    def stored() -> list[EventRecord]:
        rows = (
            database.cursor()
            .execute(
                "SELECT event_id, event_type, event_timestamp, arrival_timestamp, "
                "application.app_id, client.client_id, attributes FROM events"
            )
            .fetchall()
        )
        return [
            EventRecord(
                event_id=r[0],
                event_type=r[1],
                event_timestamp=r[2],
                arrival_timestamp=r[3],
                application={"app_id": r[4]},
                client={"client_id": r[5]},
                attributes=dict(r[6]),
            )
            for r in rows
        ]

    yield SinkBackend("local", DuckDBEventStore(database), letters, stored, letters.read_all, True)
    database.close()


def _aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[SinkBackend]:
    from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink
    from clarion.adapters.aws.events.event_sink import KinesisEventSink

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)

        def stored() -> list[EventRecord]:
            out = []
            shards = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"]
            for shard in shards:
                iterator = kinesis.get_shard_iterator(
                    StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for record in kinesis.get_records(ShardIterator=iterator)["Records"]:
                    out.append(from_stream_json(json.loads(record["Data"])))
            return out

        letters = S3DeadLetterSink(s3, BUCKET)
        yield SinkBackend(
            "aws",
            KinesisEventSink(kinesis, STREAM, sleep=lambda _: None),
            letters,
            stored,
            letters.read_all,
            False,
        )


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SinkBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws(monkeypatch)


def ses_records() -> list[EventRecord]:
    names = ("send.json", "delivery.json", "open.json", "click.json", "complaint.json")
    raw = [json.loads((EVENTS / "ses" / n).read_text()) for n in names]
    out = normalise_ses_events(raw, app_id="app")
    assert not out.rejects
    return out.records


def test_put_records_returns_ids_and_keeps_the_records(backend: SinkBackend) -> None:
    records = ses_records()
    accepted = backend.sink.put_records(records)
    assert accepted == {r.event_id for r in records}
    stored = {r.event_id: r for r in backend.stored()}
    assert set(stored) == accepted
    for record in records:
        copy = stored[record.event_id]
        assert copy.event_type == record.event_type
        assert copy.event_timestamp == record.event_timestamp
        assert copy.endpoint_id == record.endpoint_id
        assert copy.attributes["campaign_id"] == record.attributes["campaign_id"]


def test_a_replay_is_accepted_and_new_ids_say_what_is_new(backend: SinkBackend) -> None:
    records = ses_records()
    backend.sink.put_records(records[:2])
    again = backend.sink.put_records(records)
    if backend.deduplicates:
        assert again == {r.event_id for r in records[2:]}
        assert len(backend.stored()) == len(records)
    else:
        # A stream forwards every record; the consumer and the views count distinct ids.
        assert again == {r.event_id for r in records}


def test_empty_put(backend: SinkBackend) -> None:
    assert backend.sink.put_records([]) == set()
    assert backend.dead_letters.put_rejects([], origin="x") is None


def test_dead_letters_keep_reason_position_and_raw_input(backend: SinkBackend) -> None:
    rejects = [
        Reject(
            "ses",
            3,
            "msg-1",
            (FieldProblem("eventType", "'Nope' is not known"),),
            {"eventType": "Nope"},
        ),
        Reject("kinesis", None, "4959", (FieldProblem("kinesis.data", "is not JSON"),), "b@d"),
    ]
    where = backend.dead_letters.put_rejects(rejects, origin="contract file.jsonl")
    assert where
    letters = backend.letters()
    assert len(letters) == 2
    first = next(x for x in letters if x["source"] == "ses")
    assert first["index"] == 3 and first["record_id"] == "msg-1"
    assert first["problems"] == [{"field": "eventType", "reason": "'Nope' is not known"}]
    assert first["raw"] == {"eventType": "Nope"}
    assert first["origin"] == "contract file.jsonl"
    assert next(x for x in letters if x["source"] == "kinesis")["raw"] == "b@d"


def test_kinesis_retries_throttled_records() -> None:
    """PutRecords may refuse part of a call; the refused entries are sent again."""
    from clarion.adapters.aws.events.event_sink import KinesisEventSink

    class FlakyKinesis:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
            self.calls.append(len(Records))
            if len(self.calls) == 1:
                results = [{"SequenceNumber": "1", "ShardId": "s"}] + [
                    {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "x"}
                ] * (len(Records) - 1)
                return {"FailedRecordCount": len(Records) - 1, "Records": results}
            return {
                "FailedRecordCount": 0,
                "Records": [{"SequenceNumber": "2", "ShardId": "s"}] * len(Records),
            }

    client = FlakyKinesis()
    records = ses_records()
    KinesisEventSink(client, STREAM, sleep=lambda _: None).put_records(records)
    assert client.calls == [len(records), len(records) - 1]


def test_kinesis_chunks_at_500() -> None:
    from clarion.adapters.aws.events.event_sink import KinesisEventSink

    calls: list[int] = []

    class Counting:
        def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
            calls.append(len(Records))
            return {"FailedRecordCount": 0, "Records": []}

    record = ses_records()[0]
    many = [record.model_copy(update={"event_id": f"id-{i}"}) for i in range(1201)]
    assert len(KinesisEventSink(Counting(), STREAM).put_records(many)) == 1201
    assert calls == [500, 500, 201]
