"""The fast paths of endpoint validation against the checks they stand in for.

``validate_endpoint`` skips email_validator for plain dot-atom addresses of a domain it
has accepted before, and measures the 15 KB rule with pydantic's JSON unless the size is
near the limit; these tests hold both to the slow answers.
"""

from __future__ import annotations

import json

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from clarion.domain.audience.endpoint import (
    MAX_ENDPOINT_BYTES,
    Endpoint,
    _pinpoint_json_size,
    _plainly_valid_email,
    validate_endpoint,
)
from clarion.domain.common.errors import InvalidRecordError


def email(**extra: object) -> dict[str, object]:
    return {"Id": "e1", "ChannelType": "EMAIL", "Address": "ana@example.com", **extra}


EMAIL_SAMPLES = [
    "user@example.com",
    "first.last+tag@sub.example.co.uk",
    "o'neil@example.org",
    "x@localhost",
    "x@example.test",
    "x@example.invalid",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example",
    "a@exa_mple.com",
    "zoë@example.com",
    "a@exämple.com",
    "a@@example.com",
    "@example.com",
    "a@",
    "a b@example.com",
    '"quoted"@example.com',
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 4) + ".com",
    "a@EXAMPLE.COM",
    "a@123.com",
    "a@[192.168.0.1]",
]


def email_validator_accepts(address: str) -> bool:
    """The slow answer: whether email_validator accepts ``address``."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def endpoint_refuses(address: str) -> bool:
    """Whether endpoint validation refuses ``address`` as an email address."""
    try:
        validate_endpoint(email(Address=address))
    except InvalidRecordError as exc:
        return any(p.field == "Address" for p in exc.problems)
    return False


@pytest.mark.parametrize("address", EMAIL_SAMPLES)
def test_the_email_fast_path_agrees_with_email_validator(address: str) -> None:
    valid = email_validator_accepts(address)
    if _plainly_valid_email(address):
        assert valid
    refused = endpoint_refuses(address)
    assert refused is not valid


@given(
    st.text(alphabet="abcXYZ09.!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=70),
    st.sampled_from(["example.com", "mail.example.org", "localhost", "x.test", "b.c.d.io"]),
)
def test_the_email_fast_path_never_accepts_what_email_validator_refuses(
    local: str, domain: str
) -> None:
    address = f"{local}@{domain}"
    valid = email_validator_accepts(address)
    if _plainly_valid_email(address):
        assert valid
    # Otherwise email_validator decides: validation refuses exactly what it refuses.
    assert endpoint_refuses(address) is not valid


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=50),
        st.lists(st.text(max_size=100), max_size=3),
        max_size=40,
    ),
    st.dictionaries(
        st.text(min_size=1, max_size=50),
        st.floats(allow_nan=False, allow_infinity=False),
        max_size=5,
    ),
)
def test_the_size_rule_measures_as_json_dumps_does(
    attributes: dict[str, list[str]], metrics: dict[str, float]
) -> None:
    endpoint = Endpoint.model_validate(email(Attributes=attributes, Metrics=metrics))
    exact = len(json.dumps(endpoint.to_pinpoint(), separators=(",", ":")).encode())
    assert (_pinpoint_json_size(endpoint) > MAX_ENDPOINT_BYTES) == (exact > MAX_ENDPOINT_BYTES)


def test_the_size_rule_near_the_limit_is_exact() -> None:
    for extra in range(-40, 40, 3):
        attributes = {f"a{i}": ["\x7f" * 99] for i in range(25)}
        base = Endpoint.model_validate(email(Attributes=attributes, Metrics={"m": 1e-7}))
        size = len(json.dumps(base.to_pinpoint(), separators=(",", ":")).encode())
        pad = MAX_ENDPOINT_BYTES - size + extra
        endpoint = Endpoint.model_validate(
            email(Attributes={**attributes, "pad": ["x" * 100] * (pad // 100)}, Metrics={"m": 1e-7})
        )
        exact = len(json.dumps(endpoint.to_pinpoint(), separators=(",", ":")).encode())
        assert (_pinpoint_json_size(endpoint) > MAX_ENDPOINT_BYTES) == (exact > MAX_ENDPOINT_BYTES)
