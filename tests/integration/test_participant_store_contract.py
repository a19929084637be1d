"""The ParticipantStore contract: compare-and-set commits with their counters, due
queries by shard, reads and deletes behave the same in DuckDB and in DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.journeys import (
    PARTICIPANT_SHARDS,
    Increment,
    Participant,
    ParticipantChange,
    ParticipantStatus,
    new_participant,
    shard_of,
)
from clarion.ports.journeys import ParticipantStore

REGION = "us-east-1"
TABLE = "test-journeys"


@pytest.fixture(params=["local", "aws"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[ParticipantStore]:
    if request.param == "local":
        from clarion.adapters.local.common.database import LocalDatabase
        from clarion.adapters.local.journeys import DuckDBParticipantStore

        database = LocalDatabase(tmp_path / "home")
        yield DuckDBParticipantStore(database)
        database.close()
        return
    from clarion.adapters.aws.journeys import DynamoDBParticipantStore, journeys_table_spec

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**journeys_table_spec(TABLE))
        yield DynamoDBParticipantStore(client, TABLE, sleep=lambda _: None)


def _active(
    endpoint_id: str, due_at: int, version: int = 1, activity: str = "welcome"
) -> Participant:
    return replace(
        new_participant("j1", endpoint_id),
        status=ParticipantStatus.ACTIVE,
        version=version,
        activity=activity,
        run_id="r1",
        entry=1,
        due_at=due_at,
    )


def _enter(endpoint_id: str, due_at: int = 1000) -> ParticipantChange:
    return ParticipantChange(
        _active(endpoint_id, due_at),
        0,
        (Increment("r1", "", "ENDPOINT_ENTERED"), Increment("r1", "welcome", "ARRIVED")),
    )


def test_new_participants_are_created_once_with_their_counters(store: ParticipantStore):
    first = store.commit("j1", [_enter("e1"), _enter("e2")])
    again = store.commit("j1", [_enter("e1"), _enter("e3")])

    assert sorted(first.applied) == ["e1", "e2"]
    assert again.applied == ["e3"] and again.conflicts == ["e1"]
    assert store.counters("j1") == {
        ("r1", "", "ENDPOINT_ENTERED"): 3,
        ("r1", "welcome", "ARRIVED"): 3,
    }
    assert set(store.get("j1", ["e1", "e2", "e3", "nobody"])) == {"e1", "e2", "e3"}


def test_a_change_applies_only_over_the_version_it_read(store: ParticipantStore):
    store.commit("j1", [_enter("e1")])
    moved = replace(_active("e1", 5000, version=2), activity="week")
    step = (Increment("r1", "welcome", "SUCCESS"),)

    won = store.commit("j1", [ParticipantChange(moved, 1, step)])
    lost = store.commit("j1", [ParticipantChange(replace(moved, activity="tips"), 1, step)])

    assert won.applied == ["e1"] and lost.conflicts == ["e1"]
    stored = store.get("j1", ["e1"])["e1"]
    assert stored.activity == "week" and stored.version == 2
    assert store.counters("j1")[("r1", "welcome", "SUCCESS")] == 1


def test_due_reads_one_shard_earliest_first_up_to_the_limit(store: ParticipantStore):
    ids = [f"e{n}" for n in range(60)]
    store.commit("j1", [_enter(endpoint_id, due_at=1000 + n) for n, endpoint_id in enumerate(ids)])
    shard = shard_of("e0")
    mine = [endpoint_id for endpoint_id in ids if shard_of(endpoint_id) == shard]

    due = store.due("j1", shard, 10_000, limit=3)
    none_yet = store.due("j1", shard, 999, limit=10)
    everything = [
        p.endpoint_id for s in range(PARTICIPANT_SHARDS) for p in store.due("j1", s, 10_000, 100)
    ]

    assert [p.endpoint_id for p in due] == mine[:3]
    assert none_yet == []
    assert sorted(everything) == sorted(ids)
    assert store.due("j2", shard, 10_000, 10) == []


def test_finished_participants_are_no_longer_due(store: ParticipantStore):
    store.commit("j1", [_enter("e1"), _enter("e2")])
    done = replace(
        _active("e1", 1000, version=2),
        status=ParticipantStatus.FINISHED,
        activity=None,
        due_at=None,
    )
    store.commit("j1", [ParticipantChange(done, 1, (Increment("r1", "", "ENDPOINT_LEFT"),))])

    due = [p.endpoint_id for s in range(PARTICIPANT_SHARDS) for p in store.due("j1", s, 10_000, 10)]

    assert due == ["e2"]
    assert store.get("j1", ["e1"])["e1"].status == ParticipantStatus.FINISHED


def test_a_large_commit_keeps_every_change_with_its_counters(store: ParticipantStore):
    changes = [_enter(f"e{n}") for n in range(230)]

    result = store.commit("j1", changes)

    assert len(result.applied) == 230 and result.conflicts == []
    assert store.counters("j1")[("r1", "", "ENDPOINT_ENTERED")] == 230


def test_conflicts_leave_the_others_and_their_counters_applied(store: ParticipantStore):
    store.commit("j1", [_enter("e1")])
    stale = ParticipantChange(_active("e1", 1, version=9), 7, (Increment("r1", "", "X"),))
    fresh = ParticipantChange(_active("e2", 1), 0, (Increment("r1", "", "X"),))

    result = store.commit("j1", [stale, fresh])

    assert result.applied == ["e2"] and result.conflicts == ["e1"]
    assert store.counters("j1")[("r1", "", "X")] == 1


def test_a_commit_may_not_name_an_endpoint_twice(store: ParticipantStore):
    with pytest.raises(ValueError, match="at most once"):
        store.commit("j1", [_enter("e1"), _enter("e1")])


def test_documents_round_trip(store: ParticipantStore):
    p = replace(
        _active("Zoë-1", 1000),
        matched={"opened/0": 1234},
        refusal={"At": 1, "Reason": "REENTRY_CAP_EXCEEDED", "Detail": "entered 1 time(s)"},
        send_times=(10, 20),
        total_sends=2,
        history=({"Entry": 1, "Outcome": "COMPLETED", "Path": []},),
    )
    store.commit("j1", [ParticipantChange(p, 0)])

    assert store.get("j1", ["Zoë-1"])["Zoë-1"] == p


def test_erasure_and_journey_deletion(store: ParticipantStore):
    store.commit("j1", [_enter("e1"), _enter("e2"), _enter("e3")])
    store.commit("j2", [_enter("e1")])

    assert store.delete("j1", ["e1", "missing"]) == 1
    assert set(store.get("j1", ["e1", "e2", "e3"])) == {"e2", "e3"}
    assert store.delete("j1") == 2
    assert store.get("j1", ["e2"]) == {} and store.counters("j1") == {}
    assert set(store.get("j2", ["e1"])) == {"e1"}
