"""Normalising PutEvents, SES v2, SMS v2, Pinpoint and Kinesis input into Pinpoint
event-stream records (docs/events.md). Fixtures under tests/events/ follow the examples
of the SES, End User Messaging and Pinpoint documentation."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.audience.endpoint import ChannelType, EndpointStatus, OptOut
from clarion.domain.events.effects import (
    ActivityEffect,
    OptOutEffect,
    StatusEffect,
    classify_effects,
    effects_of,
)
from clarion.domain.events.normalise.common import EventSource
from clarion.domain.events.normalise.kinesis import (
    decode_kinesis_event,
    detect_source,
    normalise_kinesis_event,
)
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.domain.events.normalise.put_events import normalise_put_events
from clarion.domain.events.normalise.ses import normalise_ses_events
from clarion.domain.events.normalise.sms import normalise_sms_events, normalise_sms_inbound
from clarion.domain.events.records import RESERVED_EVENT_PREFIXES, EventRecord

EVENTS = Path(__file__).resolve().parents[1] / "events"
ARRIVAL = 1772500000000
APP = "app-default"


def fixture(path: str) -> Any:
    return json.loads((EVENTS / path).read_text(encoding="utf-8"))


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def only(result: Any) -> EventRecord:
    assert result.rejects == [], [str(r) for r in result.rejects]
    assert len(result.records) == 1
    record: EventRecord = result.records[0]
    return record


def reasons(result: Any) -> dict[str | None, str]:
    return {r.record_id: "; ".join(str(p) for p in r.problems) for r in result.rejects}


# --- SES v2 ---------------------------------------------------------------------------

# fixture → (Clarion event type, SES detail key, facet key); written from the mapping in
# docs/events.md, independently of the code's tables.
SES_CASES = {
    "send": ("_email.send", "send", "send"),
    "delivery": ("_email.delivered", "delivery", "delivery"),
    "open": ("_email.open", "open", "open"),
    "click": ("_email.click", "click", "click"),
    "bounce_permanent": ("_email.hardbounce", "bounce", "bounce"),
    "bounce_transient": ("_email.softbounce", "bounce", "bounce"),
    "bounce_undetermined": ("_email.softbounce", "bounce", "bounce"),
    "complaint": ("_email.complaint", "complaint", "complaint"),
    "reject": ("_email.rejected", "reject", "reject"),
    "rendering_failure": ("_email.rendering_failure", "failure", "rendering_failure"),
    "delivery_delay": ("_email.delivery_delay", "deliveryDelay", "delivery_delay"),
    "subscription_unsubscribe": ("_email.unsubscribe", "subscription", "subscription"),
    "subscription_topic_optout": ("_email.unsubscribe", "subscription", "subscription"),
}


def test_every_ses_event_type_has_a_fixture() -> None:
    documented = {
        "Send",
        "Delivery",
        "Open",
        "Click",
        "Bounce",
        "Complaint",
        "Reject",
        "Rendering Failure",
        "DeliveryDelay",
        "Subscription",
    }
    found = {fixture(f"ses/{name}.json")["eventType"] for name in SES_CASES}
    assert found == documented


@pytest.mark.parametrize("name", sorted(SES_CASES))
def test_ses_record_normalises_to_its_pinpoint_event(name: str) -> None:
    source = fixture(f"ses/{name}.json")
    event_type, detail_key, facet_key = SES_CASES[name]
    record = only(normalise_ses_events([source], app_id=APP, arrival_timestamp=ARRIVAL))
    mail = source["mail"]
    detail = source.get(detail_key, {})

    assert record.event_type == event_type
    assert record.event_timestamp == ms(detail.get("timestamp") or mail["timestamp"])
    assert record.arrival_timestamp == ARRIVAL
    # Clarion's ids come back from the message tags.
    assert record.application.app_id == mail["tags"]["clarion-app-id"][0]
    assert record.client.client_id == mail["tags"]["clarion-endpoint-id"][0]
    assert record.attributes["campaign_id"] == mail["tags"]["clarion-campaign-id"][0]
    assert record.attributes["treatment_id"] == mail["tags"]["clarion-treatment-id"][0]
    assert record.attributes["run_id"] == mail["tags"]["clarion-run-id"][0]
    assert record.attributes["message_id"] == mail["messageId"]
    assert record.attributes["destination"] == ",".join(mail["destination"])
    assert record.aws_account_id == mail["sendingAccountId"]
    mail_event = record.facets["email_channel"]["mail_event"]  # type: ignore[index]
    assert mail_event["mail"]["message_id"] == mail["messageId"]
    assert mail_event["mail"]["message_send_timestamp"] == ms(mail["timestamp"])
    assert mail_event["mail"]["destination"] == mail["destination"]
    assert set(mail_event) == {"mail", facet_key}
    written = record.to_json()
    assert all(isinstance(v, str) and len(v) <= 200 for v in written["attributes"].values())
    assert "event_id" not in written


def test_bounce_keeps_type_subtype_and_recipients() -> None:
    source = fixture("ses/bounce_permanent.json")
    record = only(normalise_ses_events([source], app_id=APP, arrival_timestamp=ARRIVAL))
    bounce = source["bounce"]
    assert record.attributes["bounce_type"] == bounce["bounceType"]
    assert record.attributes["bounce_sub_type"] == bounce["bounceSubType"]
    facet = record.facets["email_channel"]["mail_event"]["bounce"]  # type: ignore[index]
    recipient = facet["bounced_recipients"][0]
    assert recipient["email_address"] == bounce["bouncedRecipients"][0]["emailAddress"]
    assert recipient["diagnostic_code"] == bounce["bouncedRecipients"][0]["diagnosticCode"]
    assert facet["reporting_mta"] == bounce["reportingMTA"]


def test_click_link_is_an_attribute_clipped_to_200_with_the_whole_link_in_facets() -> None:
    source = fixture("ses/click.json")
    link = source["click"]["link"]
    assert len(link) > 200  # the fixture's link is long on purpose
    record = only(normalise_ses_events([source], app_id=APP, arrival_timestamp=ARRIVAL))
    assert record.attributes["link"] == link[:200]
    assert record.attributes["feedback"] == link[:200]
    click = record.facets["email_channel"]["mail_event"]["click"]  # type: ignore[index]
    assert click["link"] == link
    assert click["link_tags"] == source["click"]["linkTags"]  # user names kept as they are


def test_a_tagless_record_uses_the_default_app_and_has_no_endpoint() -> None:
    source = fixture("ses/complaint_untagged.json")
    record = only(
        normalise_ses_events([source], app_id=APP, arrival_timestamp=ARRIVAL, aws_account_id="1")
    )
    assert record.application.app_id == APP
    assert record.endpoint_id is None
    assert "campaign_id" not in record.attributes


def test_identity_notifications_use_notification_type() -> None:
    source = fixture("ses/delivery.json")
    source["notificationType"] = source.pop("eventType")
    assert only(normalise_ses_events([source], app_id=APP)).event_type == "_email.delivered"


def test_ses_event_ids_dedupe_repeats_and_tell_events_apart() -> None:
    send, delivery = fixture("ses/send.json"), fixture("ses/delivery.json")
    result = normalise_ses_events([send, delivery, send], app_id=APP, arrival_timestamp=ARRIVAL)
    ids = [r.event_id for r in result.records]
    assert ids[0] == ids[2]
    assert ids[0] != ids[1]


def test_bad_ses_records_are_rejected_and_good_ones_beside_them_kept() -> None:
    good = fixture("ses/open.json")
    no_id = fixture("ses/open.json")
    del no_id["mail"]["messageId"]
    odd_type = {**fixture("ses/send.json"), "eventType": "Teleport"}
    odd_bounce = fixture("ses/bounce_permanent.json")
    odd_bounce["bounce"]["bounceType"] = "Sideways"
    bad_time = fixture("ses/open.json")
    bad_time["open"]["timestamp"] = "last tuesday"
    result = normalise_ses_events(
        [good, no_id, odd_type, "nonsense", odd_bounce, bad_time, good],
        app_id=APP,
        arrival_timestamp=ARRIVAL,
    )
    assert [r.event_type for r in result.records] == ["_email.open", "_email.open"]
    by_index = {r.index: r for r in result.rejects}
    assert set(by_index) == {1, 2, 3, 4, 5}
    assert by_index[1].problems[0].field == "mail.messageId"
    assert by_index[2].problems[0].field == "eventType"
    assert "Teleport" in by_index[2].problems[0].reason
    assert by_index[2].record_id == odd_type["mail"]["messageId"]
    assert by_index[4].problems[0].field == "bounce.bounceType"
    assert by_index[5].problems[0].field == "open.timestamp"
    assert by_index[3].raw == "nonsense"


# --- SMS v2 ---------------------------------------------------------------------------

# End User Messaging event → Pinpoint outcome, from docs/events.md.
EXPECTED_SMS = {
    "TEXT_PENDING": "_SMS.BUFFERED",
    "TEXT_QUEUED": "_SMS.BUFFERED",
    "TEXT_SENT": "_SMS.BUFFERED",
    "TEXT_SUCCESSFUL": "_SMS.SUCCESS",
    "TEXT_DELIVERED": "_SMS.SUCCESS",
    "TEXT_INVALID": "_SMS.FAILURE",
    "TEXT_INVALID_MESSAGE": "_SMS.FAILURE",
    "TEXT_UNREACHABLE": "_SMS.FAILURE",
    "TEXT_CARRIER_UNREACHABLE": "_SMS.FAILURE",
    "TEXT_BLOCKED": "_SMS.FAILURE",
    "TEXT_CARRIER_BLOCKED": "_SMS.FAILURE",
    "TEXT_SPAM": "_SMS.FAILURE",
    "TEXT_UNKNOWN": "_SMS.FAILURE",
    "TEXT_TTL_EXPIRED": "_SMS.FAILURE",
    "TEXT_PROTECT_BLOCKED": "_SMS.FAILURE",
    "MEDIA_PENDING": "_MMS.BUFFERED",
    "MEDIA_QUEUED": "_MMS.BUFFERED",
    "MEDIA_SUCCESSFUL": "_MMS.SUCCESS",
    "MEDIA_DELIVERED": "_MMS.SUCCESS",
    "MEDIA_INVALID": "_MMS.FAILURE",
    "MEDIA_INVALID_MESSAGE": "_MMS.FAILURE",
    "MEDIA_UNREACHABLE": "_MMS.FAILURE",
    "MEDIA_CARRIER_UNREACHABLE": "_MMS.FAILURE",
    "MEDIA_BLOCKED": "_MMS.FAILURE",
    "MEDIA_CARRIER_BLOCKED": "_MMS.FAILURE",
    "MEDIA_SPAM": "_MMS.FAILURE",
    "MEDIA_UNKNOWN": "_MMS.FAILURE",
    "MEDIA_TTL_EXPIRED": "_MMS.FAILURE",
    "MEDIA_FILE_INACCESSIBLE": "_MMS.FAILURE",
    "MEDIA_FILE_TYPE_UNSUPPORTED": "_MMS.FAILURE",
    "MEDIA_FILE_SIZE_EXCEEDED": "_MMS.FAILURE",
    "VOICE_INITIATED": "_VOICE.BUFFERED",
    "VOICE_RINGING": "_VOICE.BUFFERED",
    "VOICE_ANSWERED": "_VOICE.BUFFERED",
    "VOICE_COMPLETED": "_VOICE.SUCCESS",
    "VOICE_BUSY": "_VOICE.FAILURE",
    "VOICE_NO_ANSWER": "_VOICE.FAILURE",
    "VOICE_FAILED": "_VOICE.FAILURE",
    "VOICE_TTL_EXPIRED": "_VOICE.FAILURE",
}


def test_every_documented_sms_v2_event_type_has_a_fixture_and_a_mapping() -> None:
    model = Path(botocore.__file__).parent / "data/pinpoint-sms-voice-v2/2022-03-31"
    service = json.loads(gzip.decompress((model / "service-2.json.gz").read_bytes()))
    documented = {
        name
        for name in service["shapes"]["EventType"]["enum"]
        if name.startswith(("TEXT_", "MEDIA_", "VOICE_")) and not name.endswith("_ALL")
    }
    fixtures = {path.stem.upper() for path in (EVENTS / "sms_v2").glob("*.json")}
    assert documented == set(EXPECTED_SMS)
    assert documented <= fixtures


@pytest.mark.parametrize("kind", sorted(EXPECTED_SMS))
def test_sms_v2_record_normalises_to_its_pinpoint_event(kind: str) -> None:
    source = fixture(f"sms_v2/{kind.lower()}.json")
    assert source["eventType"] == kind
    record = only(
        normalise_sms_events([source], app_id=APP, arrival_timestamp=ARRIVAL, aws_account_id="1")
    )
    assert record.event_type == EXPECTED_SMS[kind]
    assert record.event_timestamp == source["eventTimestamp"]
    assert record.arrival_timestamp == ARRIVAL
    assert record.aws_account_id == "1"
    assert record.attributes["message_id"] == source["messageId"]
    assert record.attributes["destination_phone_number"] == source["destinationPhoneNumber"]
    assert record.attributes["record_status"] == source["messageStatus"]
    assert record.attributes["iso_country_code"] == source["isoCountryCode"]
    if "totalMessagePrice" in source:
        expected = source["totalMessagePrice"] * 100_000  # USD → thousandths of a cent
        assert record.metrics["price_in_millicents_usd"] == pytest.approx(expected)
    else:
        assert "price_in_millicents_usd" not in record.metrics
    assert record.endpoint_id is not None  # the fixtures carry Clarion's context


def test_sms_context_carries_campaign_ids_into_attributes() -> None:
    source = fixture("sms_v2/text_delivered.json")
    record = only(normalise_sms_events([source], app_id=APP, arrival_timestamp=ARRIVAL))
    assert record.attributes["campaign_id"] == "52dc44b35c4742c98c5935269example"
    assert record.attributes["treatment_id"] == "1"
    assert record.attributes["message_type"] == "Promotional"  # Pinpoint's spelling
    assert record.client.client_id == "endpoint-bo"
    assert record.application.app_id == "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    assert record.attributes["number_of_message_parts"] == "1"


def test_voice_context_set_key_by_key_is_read() -> None:
    source = fixture("sms_v2/voice_completed.json")
    record = only(normalise_sms_events([source], app_id=APP, arrival_timestamp=ARRIVAL))
    assert record.client.client_id == source["context"]["clarion-endpoint-id"]
    assert record.attributes["journey_id"] == source["context"]["clarion-journey-id"]
    assert record.application.app_id == APP
    assert "voice_channel" in (record.facets or {})


def test_each_status_of_one_message_is_its_own_event() -> None:
    statuses = [fixture(f"sms_v2/{k}.json") for k in ("text_pending", "text_delivered")]
    result = normalise_sms_events(statuses * 2, app_id=APP, arrival_timestamp=ARRIVAL)
    ids = [r.event_id for r in result.records]
    assert ids[0] != ids[1]
    assert ids[:2] == ids[2:]


def test_bad_sms_records_are_rejected_with_reasons() -> None:
    good = fixture("sms_v2/text_successful.json")
    rcs = {**good, "eventType": "RCS_READ"}
    seconds = {**good, "eventTimestamp": 1772442900}
    no_id = {k: v for k, v in good.items() if k != "messageId"}
    price = {**good, "totalMessagePrice": "cheap"}
    result = normalise_sms_events(
        [good, rcs, seconds, no_id, price], app_id=APP, arrival_timestamp=ARRIVAL
    )
    assert len(result.records) == 1
    fields = {r.index: [p.field for p in r.problems] for r in result.rejects}
    assert fields == {
        1: ["eventType"],
        2: ["eventTimestamp"],
        3: ["messageId"],
        4: ["totalMessagePrice"],
    }


def test_inbound_stop_is_an_opt_out_and_other_replies_are_not() -> None:
    stop, reply = fixture("sms_v2/inbound_stop.json"), fixture("sms_v2/inbound_reply.json")
    result = normalise_sms_inbound([stop, reply], app_id=APP, arrival_timestamp=ARRIVAL)
    assert [r.event_type for r in result.records] == ["_SMS.OPTOUT", "_SMS.RECEIVED"]
    opt_out = result.records[0]
    assert opt_out.attributes["destination_phone_number"] == stop["originationNumber"]
    assert opt_out.event_timestamp == ARRIVAL


# --- PutEvents ------------------------------------------------------------------------


def test_session_start_event_maps_to_the_app_event_shape() -> None:
    body = fixture("put_events/session_start.json")
    record = only(normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL))
    ((endpoint_id, batch),) = body["BatchItem"].items()
    (event,) = batch["Events"].values()
    demo = batch["Endpoint"]["Demographic"]
    assert record.event_type == "_session.start"
    assert record.event_timestamp == ms(event["Timestamp"])
    assert record.client.client_id == endpoint_id
    assert record.application.app_id == APP
    assert record.application.package_name == event["AppPackageName"]
    assert record.application.title == event["AppTitle"]
    assert record.application.version_code == event["AppVersionCode"]
    assert record.application.sdk.name == event["SdkName"]
    assert record.application.sdk.version == event["ClientSdkVersion"]
    assert record.session.session_id == event["Session"]["Id"]
    assert record.session.start_timestamp == ms(event["Session"]["StartTimestamp"])
    assert record.device.platform.name == demo["Platform"]
    assert record.device.make == demo["Make"]
    assert record.device.locale is not None
    assert (record.device.locale.language, record.device.locale.country) == ("fr", "FR")
    assert record.endpoint == {"Id": endpoint_id, **batch["Endpoint"]}


def test_session_stop_carries_stop_time_and_duration() -> None:
    body = fixture("put_events/session_stop.json")
    record = only(normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL))
    (batch,) = body["BatchItem"].values()
    (event,) = batch["Events"].values()
    assert record.session.stop_timestamp == ms(event["Session"]["StopTimestamp"])
    assert record.session.duration == event["Session"]["Duration"]


def test_purchase_keeps_the_sdk_attributes_and_metrics() -> None:
    body = fixture("put_events/purchase.json")
    record = only(normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL))
    (batch,) = body["BatchItem"].values()
    (event,) = batch["Events"].values()
    assert record.event_type == "_monetization.purchase"
    assert record.attributes == event["Attributes"]
    assert record.metrics == {k: float(v) for k, v in event["Metrics"].items()}


def test_a_batch_of_several_endpoints_gives_one_record_per_event() -> None:
    body = fixture("put_events/mixed_batch.json")
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert result.rejects == []
    expected = [
        (endpoint_id, event["EventType"], ms(event["Timestamp"]))
        for endpoint_id, batch in body["BatchItem"].items()
        for event in batch["Events"].values()
    ]
    got = [(r.client.client_id, r.event_type, r.event_timestamp) for r in result.records]
    assert got == expected
    assert len({r.event_id for r in result.records}) == len(expected)


def test_each_limit_violation_is_a_clear_error_and_the_good_event_passes() -> None:
    body = fixture("put_events/limit_violations.json")
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert [r.event_type for r in result.records] == ["Checkout"]
    got = reasons(result)
    expected_words = {
        "endpoint-ana/long-value": ("Attributes.query", "201 characters", "limit is 200"),
        "endpoint-ana/long-name": ("Attributes.nnn", "1 to 50 characters"),
        "endpoint-ana/too-many-keys": ("41 attributes and metrics", "limit is 40"),
        "endpoint-ana/long-type": ("EventType", "51 characters", "limit is 50"),
        "endpoint-ana/no-type": ("EventType", "required"),
        "endpoint-ana/bad-time": ("Timestamp", "yesterday"),
        "endpoint-ana/number-attribute": ("Attributes.count", "must be a string"),
        "endpoint-ana/text-metric": ("Metrics.count", "must be a number"),
        "endpoint-ana/session-without-id": ("Session.Id", "required"),
        "endpoint-ana/unknown-field": ("Colour", "not a field"),
    }
    assert set(got) == set(expected_words)
    for record_id, words in expected_words.items():
        for word in words:
            assert word in got[record_id], (record_id, got[record_id])
    # Each reject points at the event's position in the request and keeps the input.
    events = list(body["BatchItem"]["endpoint-ana"]["Events"])
    for reject in result.rejects:
        assert reject.record_id is not None
        key = reject.record_id.split("/", 1)[1]
        assert reject.index == events.index(key)
        assert reject.raw == body["BatchItem"]["endpoint-ana"]["Events"][key]


def test_more_than_100_events_rejects_the_request_as_pinpoint_did() -> None:
    events = {
        f"e{i}": {"EventType": "Tap", "Timestamp": "2026-03-02T10:00:00Z"} for i in range(101)
    }
    body = {"BatchItem": {"endpoint-1": {"Endpoint": {}, "Events": events}}}
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert result.records == []
    assert len(result.rejects) == 101
    assert all("101 events; the limit is 100" in str(r) for r in result.rejects)
    del events["e100"]
    assert len(normalise_put_events(body, app_id=APP).records) == 100


def test_a_broken_endpoint_rejects_its_events_and_not_the_others() -> None:
    body = fixture("put_events/mixed_batch.json")
    body["BatchItem"]["endpoint-bo"]["Endpoint"]["ChannelType"] = "PIGEON"
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert {r.client.client_id for r in result.records} == {"endpoint-ana"}
    (reject,) = result.rejects
    assert reject.record_id == "endpoint-bo/signup"
    assert reject.problems[0].field == "Endpoint.ChannelType"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "(request)"),
        ({}, "BatchItem"),
        ({"BatchItem": []}, "BatchItem"),
    ],
)
def test_a_malformed_request_is_one_reject(body: object, field: str) -> None:
    result = normalise_put_events(body, app_id=APP)
    assert result.records == []
    (reject,) = result.rejects
    assert reject.problems[0].field == field


def test_a_batch_without_events_is_rejected_by_endpoint() -> None:
    body = {
        "BatchItem": {
            "endpoint-1": {"Endpoint": {}},
            **fixture("put_events/purchase.json")["BatchItem"],
        }
    }
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert len(result.records) == 1
    assert reasons(result) == {"endpoint-1": "Events: is required: a map of event id to Event"}


_names = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50)
_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def _event(draw: st.DrawFn) -> dict[str, Any]:
    attributes = draw(st.dictionaries(_names, _values, max_size=20))
    metrics = draw(
        st.dictionaries(
            _names, st.floats(allow_nan=False, allow_infinity=False), max_size=40 - len(attributes)
        )
    )
    moment = draw(_moments)
    offset = timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60)))
    event: dict[str, Any] = {
        # Reserved system types are refused by rule (tested on their own).
        "EventType": draw(_names.filter(lambda name: not name.startswith(RESERVED_EVENT_PREFIXES))),
        "Timestamp": moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
        if draw(st.booleans())
        else moment.astimezone(timezone(offset)).isoformat(),
        "Attributes": attributes,
        "Metrics": metrics,
    }
    if draw(st.booleans()):
        event["Session"] = {"Id": draw(_names), "StartTimestamp": moment.isoformat()}
    return event


_requests = st.dictionaries(
    _names,
    st.dictionaries(_names, _event(), min_size=1, max_size=5),
    min_size=1,
    max_size=4,
).filter(lambda batch: sum(len(events) for events in batch.values()) <= 100)


@settings(max_examples=60, deadline=None)
@given(_requests)
def test_any_put_events_body_within_limits_normalises_completely(
    batch: dict[str, dict[str, Any]],
) -> None:
    body = {"BatchItem": {eid: {"Endpoint": {}, "Events": ev} for eid, ev in batch.items()}}
    result = normalise_put_events(body, app_id=APP, arrival_timestamp=ARRIVAL)
    assert result.rejects == [], [str(r) for r in result.rejects]
    assert len(result.records) == sum(len(events) for events in batch.values())
    for record, (endpoint_id, event) in zip(
        result.records,
        [(e, ev) for e, events in batch.items() for ev in events.values()],
        strict=True,
    ):
        written = record.to_json()
        assert all(isinstance(v, str) and len(v) <= 200 for v in written["attributes"].values())
        assert written["attributes"] == event["Attributes"]
        assert isinstance(written["event_timestamp"], int)
        moment = datetime.fromisoformat(event["Timestamp"].replace("Z", "+00:00"))
        assert written["event_timestamp"] == int(moment.timestamp() * 1000)
        assert written["arrival_timestamp"] == ARRIVAL
        assert written["client"]["client_id"] == endpoint_id
        assert EventRecord.from_json(json.loads(record.to_json_line())) == record


# --- Pinpoint records -----------------------------------------------------------------


def _kinesis_payloads() -> list[Any]:
    event = fixture("kinesis_mixed.json")
    return [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"][:4]]


def test_pinpoint_json_lines_pass_through_unchanged() -> None:
    pinpoint = _kinesis_payloads()[3]
    lines = [json.dumps(pinpoint), "", "{not json", json.dumps({**pinpoint, "event_timestamp": 5})]
    result = normalise_pinpoint_records(lines)
    assert [r.to_json() for r in result.records] == [pinpoint]
    assert {r.index: r.problems[0].field for r in result.rejects} == {
        2: "(record)",
        3: "event_timestamp",
    }


# --- Kinesis --------------------------------------------------------------------------


def test_kinesis_records_are_decoded_with_arrival_in_milliseconds() -> None:
    event = fixture("kinesis_mixed.json")
    payloads, rejects = decode_kinesis_event(event)
    first = event["Records"][0]["kinesis"]
    assert payloads[0].arrival_timestamp == round(first["approximateArrivalTimestamp"] * 1000)
    assert payloads[0].payload == json.loads(base64.b64decode(first["data"]))
    assert payloads[0].sequence_number == first["sequenceNumber"]
    (bad,) = rejects
    assert bad.index == 7
    assert bad.problems[0].field == "kinesis.data"


def test_sources_are_detected() -> None:
    ses, sms, put, pinpoint = _kinesis_payloads()
    assert detect_source(ses) is EventSource.SES
    assert detect_source(sms) is EventSource.SMS_V2
    assert detect_source(put) is EventSource.PUT_EVENTS
    assert detect_source(pinpoint) is EventSource.PINPOINT
    assert detect_source(fixture("sms_v2/inbound_stop.json")) is EventSource.SMS_INBOUND
    assert detect_source({"hello": "world"}) is None
    assert detect_source([1, 2]) is None


def test_a_mixed_kinesis_batch_normalises_every_source_and_rejects_the_rest() -> None:
    event = fixture("kinesis_mixed.json")
    result = normalise_kinesis_event(event, app_id=APP, aws_account_id="123456789012")
    assert [r.event_type for r in result.records] == [
        "_email.delivered",
        "_SMS.SUCCESS",
        "_monetization.purchase",
        "_SMS.SUCCESS",  # a replayed Pinpoint record
        "_email.open",  # SES through SNS
        "_SMS.SUCCESS",  # SMS v2 through EventBridge
        "_SMS.OPTOUT",
        "_session.stop",  # a replayed Pinpoint app event
    ]
    arrivals = [r["kinesis"]["approximateArrivalTimestamp"] for r in event["Records"]]
    assert result.records[0].arrival_timestamp == round(arrivals[0] * 1000)
    # Pinpoint records keep their own arrival time.
    assert result.records[3].arrival_timestamp == 1553104954064
    sequence = {i: r["kinesis"]["sequenceNumber"] for i, r in enumerate(event["Records"])}
    assert {(r.index, r.record_id) for r in result.rejects} == {
        (6, sequence[6]),
        (7, sequence[7]),
    }
    assert len(result.records) + len(result.rejects) == len(event["Records"])


def test_no_records_list_is_one_reject() -> None:
    result = normalise_kinesis_event({"Nope": []}, app_id=APP)
    assert result.records == []
    assert result.rejects[0].problems[0].field == "Records"


# --- Effects --------------------------------------------------------------------------


def _ses(name: str) -> EventRecord:
    return only(normalise_ses_events([fixture(f"ses/{name}.json")], app_id=APP))


def test_hard_bounce_makes_the_endpoint_inactive_and_soft_bounce_does_nothing() -> None:
    (effect,) = effects_of(_ses("bounce_permanent"))
    assert isinstance(effect, StatusEffect)
    assert effect.endpoint_status is EndpointStatus.INACTIVE
    assert effect.target.endpoint_id == "endpoint-ana"
    assert effect.target.channel is ChannelType.EMAIL
    assert effects_of(_ses("bounce_transient")) == []
    assert effects_of(_ses("bounce_undetermined")) == []


@pytest.mark.parametrize("name", ["complaint", "subscription_unsubscribe"])
def test_complaints_and_list_unsubscribes_opt_the_endpoint_out(name: str) -> None:
    record = _ses(name)
    (effect,) = effects_of(record)
    assert isinstance(effect, OptOutEffect)
    assert effect.opt_out is OptOut.ALL
    assert effect.target.endpoint_id == "endpoint-ana"
    assert effect.at == record.event_timestamp
    assert effect.event_id == record.event_id


def test_a_topic_unsubscribe_is_recorded_but_changes_no_endpoint() -> None:
    record = _ses("subscription_topic_optout")
    assert record.event_type == "_email.unsubscribe"
    assert record.attributes["opted_out_topics"] == "offers"
    assert effects_of(record) == []


def test_an_untagged_complaint_names_the_address_instead() -> None:
    (effect,) = effects_of(_ses("complaint_untagged"))
    assert isinstance(effect, OptOutEffect)
    assert effect.target.endpoint_id is None
    assert effect.target.address == "ana@example.org"
    assert effect.target.channel is ChannelType.EMAIL


@pytest.mark.parametrize(
    "name", ["send", "delivery", "open", "click", "reject", "delivery_delay", "rendering_failure"]
)
def test_other_email_events_change_no_endpoint(name: str) -> None:
    assert effects_of(_ses(name)) == []


def test_an_sms_opt_out_targets_the_phone_number() -> None:
    stop = fixture("sms_v2/inbound_stop.json")
    record = only(normalise_sms_inbound([stop], app_id=APP))
    (effect,) = effects_of(record)
    assert isinstance(effect, OptOutEffect)
    assert effect.target.address == stop["originationNumber"]
    assert effect.target.channel is ChannelType.SMS
    assert effect.opt_out is OptOut.ALL


def test_sms_delivery_failures_change_no_endpoint() -> None:
    sms = [fixture(f"sms_v2/{k.lower()}.json") for k in EXPECTED_SMS]
    assert classify_effects(normalise_sms_events(sms, app_id=APP).records) == []


def test_sessions_and_purchases_record_activity_and_metrics() -> None:
    bodies = [
        fixture(f"put_events/{n}.json") for n in ("session_start", "session_stop", "purchase")
    ]
    records = [only(normalise_put_events(b, app_id=APP)) for b in bodies]
    start, stop, purchase = classify_effects(records)
    for effect, record in zip((start, stop, purchase), records, strict=True):
        assert isinstance(effect, ActivityEffect)
        assert effect.endpoint_id == "endpoint-ana"
        assert effect.at == record.event_timestamp
    assert isinstance(start, ActivityEffect) and isinstance(stop, ActivityEffect)
    assert start.metric_increments == {"clarion_sessions": 1.0}
    assert stop.metric_increments == {}
    metrics = records[2].metrics
    assert isinstance(purchase, ActivityEffect)
    assert purchase.metric_increments == {
        "clarion_purchases": 1.0,
        "clarion_purchase_quantity": metrics["_quantity"],
        "clarion_purchase_revenue": pytest.approx(metrics["_quantity"] * metrics["_item_price"]),
    }


def test_custom_events_change_no_endpoint() -> None:
    records = normalise_put_events(fixture("put_events/mixed_batch.json"), app_id=APP).records
    assert classify_effects(records) == []


def test_an_sms_price_too_large_for_a_float_is_rejected_and_the_rest_kept():
    good = fixture("sms_v2/text_delivered.json")
    huge = {**good, "messageId": "m-huge", "totalMessagePrice": 10**400}
    out = normalise_sms_events([huge, good], app_id=APP, arrival_timestamp=ARRIVAL)

    assert [r.attributes["message_id"] for r in out.records] == [good["messageId"]]
    (reject,) = out.rejects
    assert (reject.index, reject.record_id) == (0, "m-huge")
    assert reject.problems[0].field == "(record)"
    assert "too large" in reject.problems[0].reason
