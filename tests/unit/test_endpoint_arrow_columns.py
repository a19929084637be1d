"""The endpoint import's fast paths give exactly what the plain ones did."""

from __future__ import annotations

import gc
import json
import uuid

import pytest

from clarion.adapters.local.audience.profile_store import endpoints_to_arrow, rows_to_arrow
from clarion.domain.audience.endpoint import Endpoint, validate_endpoint
from clarion.domain.audience.import_formats import ADDRESS_ID_NAMESPACE, address_endpoint_id
from clarion.domain.audience.rows import endpoint_document, endpoint_row


def _endpoints() -> list[Endpoint]:
    return [
        validate_endpoint(
            {
                "Id": "full",
                "ChannelType": "EMAIL",
                "Address": "josé@example.com",
                "EffectiveDate": "2026-01-01T00:00:00Z",
                "Attributes": {"Interests": ["a", "b"], "Empty": []},
                "Metrics": {"Visits": 1e-7, "Big": 1e16},
                "Location": {"Latitude": 1.0, "City": "Paris"},
                "Demographic": {"Timezone": "Europe/Paris"},
                "User": {"UserId": "u1", "UserAttributes": {"Name": ["Zoë 😀"]}},
            }
        ),
        Endpoint.model_validate({"Id": "bare"}),
        Endpoint.model_validate({"Id": "odd", "User": {}, "Address": 'é\x7f\u2028\t"\\/'}),
        Endpoint.model_validate({"Id": "surrogate", "Address": "\ud800"}),
    ]


@pytest.mark.parametrize("endpoint", _endpoints(), ids=lambda e: e.id)
def test_document_is_exactly_json_dumps_of_pinpoint(endpoint: Endpoint) -> None:
    assert endpoint_document(endpoint) == json.dumps(endpoint.to_pinpoint(), separators=(",", ":"))


def test_columns_built_directly_equal_the_row_by_row_table() -> None:
    # (A lone surrogate cannot be written to Arrow either way.)
    endpoints = [e for e in _endpoints() if e.id != "surrogate"]
    assert endpoints_to_arrow(endpoints).equals(rows_to_arrow([endpoint_row(e) for e in endpoints]))
    assert endpoints_to_arrow([]).equals(rows_to_arrow([]))


@pytest.mark.parametrize(
    ("channel", "address"),
    [("EMAIL", "a@example.com"), ("SMS", "+14155550100"), ("CUSTOM", "é😀\x00"), ("X", "")],
)
def test_address_ids_are_uuid5_of_channel_and_address(channel: str, address: str) -> None:
    expected = str(uuid.uuid5(ADDRESS_ID_NAMESPACE, f"{channel}:{address}"))
    assert address_endpoint_id(channel, address) == expected


def test_an_import_leaves_automatic_garbage_collection_as_it_found_it() -> None:
    from clarion.services.audience.imports import _young_collections_only

    assert gc.isenabled()
    with _young_collections_only():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _young_collections_only():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
