"""The HandleLookup contract, on both backends: endpoints found by the social handle in
a user attribute, compared without ``@`` and case-insensitively.

``local`` looks handles up in the DuckDB ``endpoints`` table the local profile store
writes; ``aws`` queries the endpoints table's ``SocialHandleIndex`` on moto, which the
DynamoDB profile store fills from the one attribute it is told to index (the sentiment
rules' ``matching.handle_attribute``; here ``TwitterHandle``). The suite looks up that
attribute only: on AWS a lookup on any other attribute finds nothing, as documented in
docs/sentiment.md. The handle is the attribute's first value, on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.audience.endpoint import Endpoint
from clarion.ports.audience import ProfileStore
from clarion.ports.sentiment import HandleLookup

REGION = "us-east-1"
ENDPOINTS_TABLE = "test-endpoints"
ATTRIBUTE = "TwitterHandle"

MakeEndpoint = Callable[..., Endpoint]


@dataclass
class HandleBackend:
    name: str
    store: ProfileStore
    lookup: HandleLookup


def _local(tmp_path: Path) -> Iterator[HandleBackend]:
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.sentiment.social_store import DuckDBHandleLookup

    database = LocalDatabase(tmp_path / "home")
    yield HandleBackend("local", DuckDBProfileStore(database), DuckDBHandleLookup(database))
    database.close()


def _aws() -> Iterator[HandleBackend]:
    from clarion.adapters.aws.audience.profile_store import (
        DynamoDBProfileStore,
        endpoints_table_spec,
    )
    from clarion.adapters.aws.sentiment.social_store import DynamoDBHandleLookup

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        store = DynamoDBProfileStore(client, ENDPOINTS_TABLE, social_handle_attribute=ATTRIBUTE)
        yield HandleBackend("aws", store, DynamoDBHandleLookup(client, ENDPOINTS_TABLE))


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[HandleBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws()


@pytest.fixture
def with_handle(make_endpoint: MakeEndpoint) -> Callable[..., Endpoint]:
    """An endpoint whose user has ``TwitterHandle`` (and any other user attributes)."""

    def build(endpoint_id: str, *handles: str, **attributes: list[str]) -> Endpoint:
        user_attributes = {ATTRIBUTE: list(handles), **attributes} if handles else attributes
        return make_endpoint(
            endpoint_id, User={"UserId": f"u-{endpoint_id}", "UserAttributes": user_attributes}
        )

    return build


def test_finds_every_endpoint_with_the_handle(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints(
        [
            with_handle("e-2", "ana_q"),
            with_handle("e-1", "ana_q"),
            with_handle("e-3", "bo"),
            with_handle("e-4"),
        ]
    )

    found = backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["ana_q", "bo"])

    assert found == {"ana_q": ["e-1", "e-2"], "bo": ["e-3"]}


def test_handles_compare_without_at_and_case(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints([with_handle("e-1", "@Ana_Q"), with_handle("e-2", "ZOË")])

    found = backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["ana_q", "@ANA_q", " zoë "])

    # Keyed by the normalised handle, each once.
    assert found == {"ana_q": ["e-1"], "zoë": ["e-2"]}


def test_handles_nobody_has_are_left_out(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints([with_handle("e-1", "ana_q")])

    assert backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["nobody", "ana"]) == {}
    assert backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, []) == {}
    assert backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["", "  ", "@"]) == {}


def test_only_the_handle_attribute_counts(
    backend: HandleBackend, with_handle: Callable[..., Endpoint], make_endpoint: MakeEndpoint
) -> None:
    backend.store.put_endpoints(
        [
            with_handle("e-1", InstagramHandle=["ana_q"], FirstName=["ana_q"]),
            make_endpoint("e-2", Attributes={ATTRIBUTE: ["ana_q"]}),  # not a user attribute
        ]
    )

    assert backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["ana_q"]) == {}


def test_the_handle_is_the_first_value(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints([with_handle("e-1", "current", "older")])

    assert backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["current", "older"]) == {
        "current": ["e-1"]
    }


def test_a_changed_or_deleted_endpoint_leaves_its_old_handle(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints(
        [with_handle("e-1", "old"), with_handle("e-2", "gone"), with_handle("e-3", "dropped")]
    )
    backend.store.put_endpoints([with_handle("e-1", "new"), with_handle("e-3")])
    backend.store.delete_endpoints(["e-2"])

    found = backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, ["old", "new", "gone", "dropped"])

    assert found == {"new": ["e-1"]}


def test_many_handles_in_one_call(
    backend: HandleBackend, with_handle: Callable[..., Endpoint]
) -> None:
    backend.store.put_endpoints([with_handle(f"e-{n:02d}", f"user{n % 20}") for n in range(60)])

    found = backend.lookup.endpoint_ids_by_handle(ATTRIBUTE, [f"USER{n}" for n in range(25)])

    assert set(found) == {f"user{n}" for n in range(20)}
    assert found["user7"] == ["e-07", "e-27", "e-47"]
