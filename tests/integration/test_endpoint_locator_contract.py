"""The EndpointLocator contract: finding endpoints by (channel, address), on both backends.

Locally the locator reads the DuckDB ``endpoints`` table the profile store writes; on AWS
the DynamoDB profile store is the locator itself (its ``AddressIndex``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.ports.audience import EndpointLocator, ProfileStore

REGION = "us-east-1"
ENDPOINTS_TABLE = "test-endpoints"

MakeEndpoint = Callable[..., Endpoint]
EMAIL, SMS = ChannelType.EMAIL, ChannelType.SMS


@dataclass
class LocatorBackend:
    name: str
    store: ProfileStore
    locator: EndpointLocator


def _local(tmp_path: Path) -> Iterator[LocatorBackend]:
    from clarion.adapters.local.audience.endpoint_locator import DuckDBEndpointLocator
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(tmp_path / "home")
    yield LocatorBackend("local", DuckDBProfileStore(database), DuckDBEndpointLocator(database))
    database.close()


def _aws() -> Iterator[LocatorBackend]:
    from clarion.adapters.aws.audience.profile_store import (
        DynamoDBProfileStore,
        endpoints_table_spec,
    )

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        store = DynamoDBProfileStore(client, ENDPOINTS_TABLE)
        yield LocatorBackend("aws", store, store)


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[LocatorBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws()


def test_finds_every_endpoint_at_an_address(
    backend: LocatorBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.store.put_endpoints(
        [
            make_endpoint("e-2", Address="shared@example.com"),
            make_endpoint("e-1", Address="shared@example.com"),
            make_endpoint("e-3", Address="other@example.com"),
            make_endpoint("s-1", ChannelType="SMS", Address="+14155550100"),
        ]
    )

    found = backend.locator.endpoint_ids_by_address(
        [(EMAIL, "shared@example.com"), (SMS, "+14155550100"), (EMAIL, "other@example.com")]
    )

    assert found == {
        (EMAIL, "shared@example.com"): ["e-1", "e-2"],
        (SMS, "+14155550100"): ["s-1"],
        (EMAIL, "other@example.com"): ["e-3"],
    }


def test_unknown_addresses_have_no_entry(
    backend: LocatorBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.store.put_endpoints([make_endpoint("e-1", Address="known@example.com")])

    assert backend.locator.endpoint_ids_by_address([(EMAIL, "missing@example.com")]) == {}
    assert backend.locator.endpoint_ids_by_address([]) == {}


def test_the_channel_is_part_of_the_address(
    backend: LocatorBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.store.put_endpoints([make_endpoint("s-1", ChannelType="SMS", Address="+14155550100")])

    assert backend.locator.endpoint_ids_by_address([(ChannelType.VOICE, "+14155550100")]) == {}


def test_a_changed_or_deleted_endpoint_leaves_its_old_address(
    backend: LocatorBackend, make_endpoint: MakeEndpoint
) -> None:
    backend.store.put_endpoints(
        [make_endpoint("e-1", Address="old@example.com"), make_endpoint("e-2")]
    )
    backend.store.put_endpoints([make_endpoint("e-1", Address="new@example.com")])
    backend.store.delete_endpoints(["e-2"])

    found = backend.locator.endpoint_ids_by_address(
        [(EMAIL, "old@example.com"), (EMAIL, "new@example.com"), (EMAIL, "e-2@example.com")]
    )

    assert found == {(EMAIL, "new@example.com"): ["e-1"]}


def test_endpoints_without_an_address_are_not_indexed(
    backend: LocatorBackend, make_endpoint: MakeEndpoint
) -> None:
    endpoint = make_endpoint("e-1")
    bare = endpoint.model_copy(update={"address": None, "channel_type": None})
    backend.store.put_endpoints([bare])

    assert backend.store.get_endpoint("e-1") == bare
    assert backend.locator.endpoint_ids_by_address([(EMAIL, "e-1@example.com")]) == {}
