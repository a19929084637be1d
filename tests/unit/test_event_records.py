"""The Pinpoint event-stream record model (docs/events.md, docs/pinpoint-formats.md)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from clarion.domain.events.records import (
    MAX_SMS_CONTEXT_VALUE_LENGTH,
    SMS_CONTEXT_KEY,
    TAG_CAMPAIGN_ID,
    TAG_ENDPOINT_ID,
    Application,
    Client,
    EventRecord,
    MessageContext,
    make_event_id,
    string_attributes,
)

# The SMS example record of the Pinpoint developer guide's "SMS events" page.
PINPOINT_SMS = {
    "event_type": "_SMS.SUCCESS",
    "event_timestamp": 1553104954322,
    "arrival_timestamp": 1553104954064,
    "event_version": "3.1",
    "application": {"app_id": "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", "sdk": {}},
    "client": {"client_id": "123456789012"},
    "device": {"platform": {}},
    "session": {},
    "attributes": {
        "record_status": "DELIVERED",
        "iso_country_code": "US",
        "treatment_id": "0",
        "message_id": "1111-2222-3333",
        "campaign_id": "52dc44b35c4742c98c5935269example",
    },
    "metrics": {"price_in_millicents_usd": 645.0},
    "awsAccountId": "123456789012",
}


def record(**changes: object) -> EventRecord:
    base: dict[str, object] = {
        "event_type": "Custom",
        "event_timestamp": 1772442900000,
        "arrival_timestamp": 1772442900500,
        "application": Application(app_id="app-1"),
        "client": Client(client_id="endpoint-1"),
        "event_id": "id-1",
    }
    base.update(changes)
    return EventRecord(**base)  # type: ignore[arg-type]


def test_a_pinpoint_record_reads_and_writes_back_unchanged() -> None:
    assert EventRecord.from_json(PINPOINT_SMS).to_json() == PINPOINT_SMS


def test_the_account_id_keeps_pinpoint_spelling() -> None:
    written = record(aws_account_id="123456789012").to_json()
    assert written["awsAccountId"] == "123456789012"
    assert "aws_account_id" not in written


def test_unknown_pinpoint_keys_survive_a_replay() -> None:
    with_extra = {
        **PINPOINT_SMS,
        "client_context": {"custom": {"legacy_identifier": "a1b2"}},
        "device": {"platform": {"name": "ios"}, "model_version": "15"},
    }
    assert EventRecord.from_json(with_extra).to_json() == with_extra


def test_event_id_is_outside_the_pinpoint_shape_unless_asked() -> None:
    item = record(event_id="abc")
    assert "event_id" not in item.to_json()
    assert item.to_json(with_event_id=True)["event_id"] == "abc"
    line = json.loads(item.to_json_line())
    assert line["event_id"] == "abc"
    assert EventRecord.from_json(line).event_id == "abc"


def test_a_record_without_event_id_gets_one_from_its_content() -> None:
    first = EventRecord.from_json(PINPOINT_SMS)
    again = EventRecord.from_json(json.loads(json.dumps(PINPOINT_SMS)))
    other = EventRecord.from_json({**PINPOINT_SMS, "event_timestamp": 1553104954323})
    assert first.event_id == again.event_id
    assert first.event_id != other.event_id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_timestamp", 1553104954),  # seconds, not milliseconds
        ("arrival_timestamp", 1553104954322000),  # microseconds
        ("event_timestamp", "1553104954322"),
    ],
)
def test_timestamps_must_be_epoch_milliseconds(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        EventRecord.from_json({**PINPOINT_SMS, field: value})
    assert field in str(caught.value)


def test_attribute_values_must_be_short_strings() -> None:
    with pytest.raises(ValidationError, match="201 characters"):
        EventRecord.from_json({**PINPOINT_SMS, "attributes": {"long": "x" * 201}})
    with pytest.raises(ValidationError):
        EventRecord.from_json({**PINPOINT_SMS, "attributes": {"count": 3}})
    assert EventRecord.from_json({**PINPOINT_SMS, "attributes": {"ok": "x" * 200}})


@pytest.mark.parametrize("value", ["645", True, float("inf")])
def test_metrics_must_be_finite_numbers(value: object) -> None:
    with pytest.raises(ValidationError, match="price"):
        EventRecord.from_json({**PINPOINT_SMS, "metrics": {"price": value}})


def test_endpoint_id_comes_from_the_endpoint_or_else_the_client() -> None:
    assert record().endpoint_id == "endpoint-1"
    assert record(endpoint={"Id": "endpoint-2"}).endpoint_id == "endpoint-2"
    assert record(client=Client()).endpoint_id is None


def test_event_ids_are_stable_and_distinguish_their_parts() -> None:
    assert make_event_id("ses", "m1", "Open") == make_event_id("ses", "m1", "Open")
    assert make_event_id("ses", "m1", "Open") != make_event_id("ses", "m1", "Click")
    assert make_event_id("ses", "m1", "Open") != make_event_id("sms_v2", "m1", "Open")
    # Parts are separated, so moving text across a boundary changes the id.
    assert make_event_id("x", "ab", "c") != make_event_id("x", "a", "bc")


def test_string_attributes_clip_long_values_and_skip_missing_ones() -> None:
    built = string_attributes([("a", "x" * 250), ("b", None), ("c", True), ("d", 3)])
    assert built == {"a": "x" * 200, "c": "true", "d": "3"}


def test_message_context_goes_out_as_ses_tags_and_comes_back() -> None:
    context = MessageContext(
        app_id="app-1",
        campaign_id="camp-1",
        treatment_id="0",
        endpoint_id="ana@example.org",  # characters SES refuses in a tag value
        journey_run_id="run 7/β",
    )
    tags = context.to_ses_tags()
    assert {"Name": TAG_CAMPAIGN_ID, "Value": "camp-1"} in tags
    for tag in tags:
        assert all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in tag["Value"])
        assert len(tag["Value"]) <= 256
    published = {tag["Name"]: [tag["Value"]] for tag in tags}  # as SES puts them in mail.tags
    assert MessageContext.from_ses_tags(published) == context


def test_message_context_packs_into_one_sms_context_entry() -> None:
    context = MessageContext(
        app_id="app-1",
        campaign_id="camp-1",
        campaign_activity_id="act-1",
        treatment_id="2",
        endpoint_id="endpoint with spaces&more",
        run_id="run-1",
    )
    packed = context.to_sms_context()
    assert list(packed) == [SMS_CONTEXT_KEY]  # End User Messaging allows five entries
    assert MessageContext.from_sms_context(packed) == context


def test_sms_context_entries_named_like_the_tags_are_read_too() -> None:
    read = MessageContext.from_sms_context({TAG_ENDPOINT_ID: "endpoint-9", "other": "x"})
    assert read == MessageContext(endpoint_id="endpoint-9")


def test_pinpoint_attributes_leave_out_app_and_endpoint() -> None:
    context = MessageContext(app_id="a", endpoint_id="e", campaign_id="c", journey_id="j")
    assert context.pinpoint_attributes() == {"campaign_id": "c", "journey_id": "j"}


@given(
    st.dictionaries(
        st.sampled_from(list(MessageContext.tag_names())),
        st.text(min_size=1, max_size=60).filter(lambda s: s.strip() == s and s),
    )
)
def test_any_context_survives_both_carriers(values: dict[str, str]) -> None:
    context = MessageContext(**values)
    tags = {tag["Name"]: [tag["Value"]] for tag in context.to_ses_tags()}
    assert MessageContext.from_ses_tags(tags) == context
    # End User Messaging caps a context value at 800 characters: a context that packs
    # longer is refused with that reason, never truncated.
    packed = urlencode(sorted(context.values().items()))
    if len(packed) > MAX_SMS_CONTEXT_VALUE_LENGTH:
        with pytest.raises(ValueError, match="800"):
            context.to_sms_context()
    else:
        assert MessageContext.from_sms_context(context.to_sms_context()) == context


@pytest.mark.parametrize("name", ["Sdk", "Client", "Device", "Session"])
def test_the_shared_empty_parts_are_the_parts_validation_makes(name: str) -> None:
    # Made at import without validating (no validator built): each must be what
    # validating no input gives, down to the fields set, extras and nested parts.
    from clarion.domain.events import records

    shared = getattr(records, f"_EMPTY_{name.upper()}")
    validated = getattr(records, name)()

    assert type(shared) is type(validated)
    assert shared == validated
    assert shared.__dict__ == validated.__dict__
    assert list(shared.__dict__) == list(validated.__dict__)
    assert shared.model_fields_set == validated.model_fields_set == set()
    assert shared.__pydantic_extra__ == validated.__pydantic_extra__
    assert shared.model_dump() == validated.model_dump()
