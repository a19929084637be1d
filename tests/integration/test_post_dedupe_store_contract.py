"""The PostDedupeStore contract, on both backends: a post (by dedupe key) is processed
once, a claim is a lease, and a released or expired claim can be taken again.

``local`` is the DuckDB store on a database in ``tmp_path``; ``aws`` is the DynamoDB
store on moto, on a social table made from ``social_table_spec`` as the CDK stack makes
it. ``other_process`` is a second store on the same storage, as a second Lambda (or a
retried request) would have.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.ports.sentiment import PostDedupeStore

REGION = "us-east-1"
SOCIAL_TABLE = "test-social"
NOW = 1_741_773_600_000
LEASE = 60_000


@dataclass
class DedupeBackend:
    name: str
    store: PostDedupeStore
    other_process: PostDedupeStore


def _local(tmp_path: Path) -> Iterator[DedupeBackend]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.sentiment.social_store import DuckDBPostDedupeStore

    database = LocalDatabase(tmp_path / "home")
    yield DedupeBackend("local", DuckDBPostDedupeStore(database), DuckDBPostDedupeStore(database))
    database.close()


def _aws() -> Iterator[DedupeBackend]:
    from clarion.adapters.aws.sentiment.social_store import (
        DynamoDBPostDedupeStore,
        social_table_spec,
    )

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**social_table_spec(SOCIAL_TABLE))
        yield DedupeBackend(
            "aws",
            DynamoDBPostDedupeStore(client, SOCIAL_TABLE),
            DynamoDBPostDedupeStore(client, SOCIAL_TABLE),
        )


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[DedupeBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws()


def test_a_new_key_is_claimed_once(backend: DedupeBackend) -> None:
    keys = ["twitter#1", "twitter#2", "instagram#1"]

    assert backend.store.claim(keys, NOW, LEASE) == set(keys)
    assert backend.store.claim(keys, NOW + 1, LEASE) == set()
    assert backend.other_process.claim([*keys, "twitter#3"], NOW + 2, LEASE) == {"twitter#3"}


def test_a_key_repeated_in_one_call_is_claimed_once(backend: DedupeBackend) -> None:
    assert backend.store.claim(["twitter#1", "twitter#1", "twitter#2"], NOW, LEASE) == {
        "twitter#1",
        "twitter#2",
    }
    assert backend.store.claim(["twitter#1"], NOW, LEASE) == set()


def test_an_uncompleted_claim_can_be_taken_again_once_its_lease_ends(
    backend: DedupeBackend,
) -> None:
    backend.store.claim(["twitter#1"], NOW, LEASE)

    assert backend.other_process.claim(["twitter#1"], NOW + LEASE - 1, LEASE) == set()
    assert backend.other_process.claim(["twitter#1"], NOW + LEASE, LEASE) == {"twitter#1"}
    # The new claim is a new lease, counted from when it was taken.
    assert backend.store.claim(["twitter#1"], NOW + 2 * LEASE - 1, LEASE) == set()
    assert backend.store.claim(["twitter#1"], NOW + 2 * LEASE, LEASE) == {"twitter#1"}


def test_a_completed_key_is_never_claimed_again(backend: DedupeBackend) -> None:
    backend.store.claim(["twitter#1", "twitter#2"], NOW, LEASE)

    backend.store.complete(["twitter#1"], NOW + 10)

    years_later = NOW + 10 * 365 * 86_400_000
    assert backend.other_process.claim(["twitter#1", "twitter#2"], years_later, LEASE) == {
        "twitter#2"
    }
    backend.other_process.release(["twitter#1"])  # releasing a done key changes nothing
    assert backend.store.claim(["twitter#1"], years_later + 1, LEASE) == set()


def test_a_released_claim_can_be_taken_at_once(backend: DedupeBackend) -> None:
    backend.store.claim(["twitter#1", "twitter#2"], NOW, LEASE)

    backend.store.release(["twitter#1"])

    assert backend.other_process.claim(["twitter#1", "twitter#2"], NOW + 1, LEASE) == {"twitter#1"}


def test_completing_or_releasing_unclaimed_keys_claims_nothing(backend: DedupeBackend) -> None:
    backend.store.complete(["never-claimed#1"], NOW)
    backend.store.release(["never-claimed#2"])

    assert backend.store.claim(["never-claimed#1", "never-claimed#2"], NOW, LEASE) == {
        "never-claimed#1",
        "never-claimed#2",
    }


def test_nothing_in_nothing_done(backend: DedupeBackend) -> None:
    assert backend.store.claim([], NOW, LEASE) == set()
    backend.store.complete([], NOW)
    backend.store.release([])
    assert backend.store.claim(["twitter#1"], NOW, LEASE) == {"twitter#1"}


def test_many_keys_in_one_call(backend: DedupeBackend) -> None:
    keys = [f"twitter#{n}" for n in range(120)]
    backend.store.claim(keys[:40], NOW, LEASE)
    backend.store.complete(keys[:20], NOW)
    backend.store.release(keys[20:30])

    claimed = backend.other_process.claim(keys, NOW + 1, LEASE)

    assert claimed == set(keys[20:30]) | set(keys[40:])
