"""Endpoint rules from the Pinpoint documentation (docs/pinpoint-formats.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion.domain.audience.endpoint import (
    MAX_ATTRIBUTE_NAMES_PER_PROJECT,
    AttributeNameBudget,
    ChannelType,
    validate_endpoint,
)
from clarion.domain.audience.rows import COLUMN_NAMES, ENDPOINT_COLUMNS, endpoint_row
from clarion.domain.common.errors import InvalidRecordError

ENDPOINT_COLUMNS_JSON = (
    Path(__file__).resolve().parents[2]
    / "clarion"
    / "resources"
    / "contracts"
    / "endpoint_columns.json"
)


def email(**extra: object) -> dict[str, object]:
    return {"Id": "e1", "ChannelType": "EMAIL", "Address": "ana@example.com", **extra}


def problems(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidRecordError) as caught:
        validate_endpoint(data)
    return {p.field: p.reason for p in caught.value.problems}


def test_a_full_endpoint_round_trips_in_pinpoint_json() -> None:
    body = email(
        EndpointStatus="ACTIVE",
        OptOut="NONE",
        EffectiveDate="2026-01-02T03:04:05.000Z",
        Attributes={"Interests": ["Bus", "Rail"]},
        Metrics={"Visits": 3.0},
        Demographic={"Timezone": "Europe/Paris", "Locale": "fr_FR", "Platform": "ios"},
        Location={"Country": "FR", "City": "Lyon", "Latitude": 45.75, "Longitude": 4.85},
        User={"UserId": "u-1", "UserAttributes": {"FirstName": ["Zoë"]}},
    )
    assert validate_endpoint(body).to_pinpoint() == body


@pytest.mark.parametrize("channel", [c.value for c in ChannelType])
def test_every_pinpoint_channel_type_is_accepted(channel: str) -> None:
    address = {"EMAIL": "a@example.com", "SMS": "+14155550100", "VOICE": "+14155550100"}
    endpoint = validate_endpoint(
        {"Id": "x", "ChannelType": channel, "Address": address.get(channel, "token-123")}
    )
    assert endpoint.channel_type == channel


def test_unknown_channel_type_is_named() -> None:
    assert "ChannelType" in problems(email(ChannelType="FAX"))


@pytest.mark.parametrize(
    "number", ["0612345678", "+0123", "14155550100", "+1 415 555 0100", "+123456789012345678"]
)
def test_phone_numbers_must_be_e164(number: str) -> None:
    assert "E.164" in problems({"Id": "p", "ChannelType": "SMS", "Address": number})["Address"]


def test_e164_number_is_accepted() -> None:
    body = {"Id": "p", "ChannelType": "VOICE", "Address": "+447700900123"}
    endpoint = validate_endpoint(body)
    assert (endpoint.channel_type, endpoint.address) == (ChannelType.VOICE, "+447700900123")
    assert endpoint.to_pinpoint() == body


@pytest.mark.parametrize("address", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_email_syntax_is_checked(address: str) -> None:
    assert "email" in problems(email(Address=address))["Address"]


def test_attribute_limits() -> None:
    found = problems(
        email(Attributes={"n" * 51: ["v"]}, User={"UserAttributes": {"A": ["v" * 101]}})
    )
    assert "50" in found["Attributes"]
    assert "100" in found["User.UserAttributes"]


def test_names_are_case_sensitive() -> None:
    endpoint = validate_endpoint(email(Attributes={"Plan": ["a"], "plan": ["b"]}))
    assert endpoint.attributes == {"Plan": ["a"], "plan": ["b"]}


def test_time_zone_must_be_a_tz_database_name() -> None:
    assert "Demographic.Timezone" in problems(email(Demographic={"Timezone": "UTC+01"}))


def test_unknown_fields_are_rejected_by_name() -> None:
    assert "Colour" in problems(email(Colour="red"))


def test_endpoint_size_limit() -> None:
    attributes = {f"a{i}": ["x" * 100] for i in range(160)}
    assert "(record)" in problems(email(Attributes=attributes))


def test_every_structural_problem_is_reported_at_once() -> None:
    found = problems(email(Location={"Latitude": 91, "Longitude": 200}, OptOut="SOME"))
    assert set(found) == {"Location.Latitude", "Location.Longitude", "OptOut"}


def test_attribute_name_budget_counts_distinct_names_per_project() -> None:
    budget = AttributeNameBudget(
        f"Attributes.a{i}" for i in range(MAX_ATTRIBUTE_NAMES_PER_PROJECT - 1)
    )
    assert budget.check(validate_endpoint(email(Attributes={"a1": ["x"], "new": ["y"]}))) is None
    problem = budget.check(validate_endpoint(email(Metrics={"another": 1})))
    assert problem is not None and problem.field == "Metrics.another"


def test_row_flattening_keeps_every_column() -> None:
    row = endpoint_row(validate_endpoint(email(EffectiveDate="2026-01-01T00:00:00Z")), 5)
    assert set(row) == set(COLUMN_NAMES)
    assert row["last_active_ms"] == 1767225600000  # EffectiveDate is later than 5 ms
    assert row["opt_out"] == "NONE" and row["endpoint_status"] == "ACTIVE"


def test_the_row_has_the_contract_columns_in_order_in_trino_spelling() -> None:
    declared = json.loads(ENDPOINT_COLUMNS_JSON.read_text(encoding="utf-8"))["columns"]
    trino = {
        "string": "varchar",
        "bigint": "bigint",
        "double": "double",
        "map<string,array<string>>": "map(varchar, array(varchar))",
        "map<string,double>": "map(varchar, double)",
    }
    assert [(c["name"], trino[c["type"]]) for c in declared] == list(ENDPOINT_COLUMNS)
    assert tuple(c["name"] for c in declared) == COLUMN_NAMES


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=50), st.lists(st.text(max_size=100), max_size=3), max_size=5
    )
)
def test_any_attributes_within_limits_validate(attributes: dict[str, list[str]]) -> None:
    assert validate_endpoint(email(Attributes=attributes)).attributes == attributes
