"""End User Messaging SMS, MMS and voice v2 event records (``TEXT_*``, ``MEDIA_*``,
``VOICE_*``) as Pinpoint ``_SMS.*`` and ``_voice.*`` records, and inbound two-way SMS
messages (opt-out keywords)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.events.normalise.common import EventSource, _many
from clarion.domain.events.normalise.ses import snake_keys
from clarion.domain.events.records import (
    EventRecord,
    MessageContext,
    Normalised,
    application_part,
    build_record,
    check_epoch_ms,
    client_part,
    make_event_id,
    string_attributes,
)

# --- End User Messaging SMS and voice v2 ----------------------------------------------

# Status part of the event type (TEXT_DELIVERED → DELIVERED) → Pinpoint outcome.
_SMS_OUTCOME = {
    "PENDING": "BUFFERED",
    "QUEUED": "BUFFERED",
    "SENT": "BUFFERED",
    "SUCCESSFUL": "SUCCESS",
    "DELIVERED": "SUCCESS",
    "INVALID": "FAILURE",
    "INVALID_MESSAGE": "FAILURE",
    "UNREACHABLE": "FAILURE",
    "CARRIER_UNREACHABLE": "FAILURE",
    "BLOCKED": "FAILURE",
    "CARRIER_BLOCKED": "FAILURE",
    "SPAM": "FAILURE",
    "UNKNOWN": "FAILURE",
    "TTL_EXPIRED": "FAILURE",
    "PROTECT_BLOCKED": "FAILURE",
}
# MMS has no SENT or PROTECT_BLOCKED events, and three of its own about the media file.
_MEDIA_OUTCOME = {
    **{k: v for k, v in _SMS_OUTCOME.items() if k not in ("SENT", "PROTECT_BLOCKED")},
    "FILE_INACCESSIBLE": "FAILURE",
    "FILE_TYPE_UNSUPPORTED": "FAILURE",
    "FILE_SIZE_EXCEEDED": "FAILURE",
}
_VOICE_OUTCOME = {
    "INITIATED": "BUFFERED",
    "RINGING": "BUFFERED",
    "ANSWERED": "BUFFERED",
    "COMPLETED": "SUCCESS",
    "BUSY": "FAILURE",
    "NO_ANSWER": "FAILURE",
    "FAILED": "FAILURE",
    "TTL_EXPIRED": "FAILURE",
}
# eventType prefix → (Clarion event-type prefix, facet key, outcome table).
_SMS_FAMILIES: dict[str, tuple[str, str, dict[str, str]]] = {
    "TEXT_": ("_SMS", "sms_channel", _SMS_OUTCOME),
    "MEDIA_": ("_MMS", "mms_channel", _MEDIA_OUTCOME),
    "VOICE_": ("_VOICE", "voice_channel", _VOICE_OUTCOME),
}
# The documented SMS v2 event types Clarion maps (the *_ALL values only select events).
SMS_V2_EVENT_TYPES = frozenset(
    f"{prefix}{status}" for prefix, (_, _, table) in _SMS_FAMILIES.items() for status in table
)

# End User Messaging's default opt-out keywords; a reply with one opts the number out.
SMS_OPT_OUT_KEYWORDS = frozenset(
    {"ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE"}
)
_USD_TO_MILLICENTS = 100_000


def sms_event_type(event_type: str) -> str:
    """``TEXT_DELIVERED`` → ``_SMS.SUCCESS`` and so on; ValueError if unknown."""
    for prefix, (target, _, table) in _SMS_FAMILIES.items():
        if event_type.startswith(prefix):
            status = event_type[len(prefix) :]
            if status in table:
                return f"{target}.{table[status]}"
    raise ValueError(f"{event_type!r} is not an SMS, MMS or voice event type Clarion knows")


def _sms_problems(record: Any) -> list[FieldProblem]:
    if not isinstance(record, Mapping):
        return [FieldProblem("(record)", "must be a JSON object")]
    problems = []
    kind = record.get("eventType")
    if not isinstance(kind, str):
        problems.append(FieldProblem("eventType", "is required"))
    else:
        try:
            sms_event_type(kind)
        except ValueError as exc:
            problems.append(FieldProblem("eventType", str(exc)))
    if not isinstance(record.get("messageId"), str) or not record.get("messageId"):
        problems.append(FieldProblem("messageId", "is required"))
    try:
        check_epoch_ms(record.get("eventTimestamp"))  # type: ignore[arg-type]
    except ValueError as exc:
        problems.append(FieldProblem("eventTimestamp", str(exc)))
    context = record.get("context")
    if context is not None and not isinstance(context, Mapping):
        problems.append(FieldProblem("context", "must be a map of name to string"))
    for name in ("totalMessagePrice", "totalCarrierFee"):
        value = record.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append(FieldProblem(name, f"must be a number, not {value!r}"))
    return problems


def _millicents(value: Any) -> float | None:
    if value is None:
        return None
    return round(float(value) * _USD_TO_MILLICENTS, 6)


def _sms_record(
    record: Mapping[str, Any],
    *,
    app_id: str,
    arrival: int,
    aws_account_id: str | None,
) -> EventRecord:
    problems = _sms_problems(record)
    if problems:
        raise InvalidRecordError(problems)
    kind = record["eventType"]
    prefix = next(p for p in _SMS_FAMILIES if kind.startswith(p))
    facet_key = _SMS_FAMILIES[prefix][1]
    context = MessageContext.from_sms_context(record.get("context"))
    message_type = record.get("messageType")
    attributes = string_attributes(
        [
            *context.pinpoint_attributes().items(),
            ("message_id", record["messageId"]),
            ("destination_phone_number", record.get("destinationPhoneNumber")),
            ("origination_phone_number", record.get("originationPhoneNumber")),
            ("record_status", record.get("messageStatus") or kind[len(prefix) :]),
            ("record_status_description", record.get("messageStatusDescription")),
            ("iso_country_code", record.get("isoCountryCode")),
            ("number_of_message_parts", record.get("totalMessageParts")),
            # Pinpoint wrote "Transactional"/"Promotional"; End User Messaging capitals.
            ("message_type", message_type.capitalize() if isinstance(message_type, str) else None),
            ("carrier_name", record.get("carrierName")),
            ("mcc", record.get("mcc")),
            ("mnc", record.get("mnc")),
            ("is_final", record.get("isFinal")),
        ]
    )
    metrics = {
        name: value
        for name, value in (
            ("price_in_millicents_usd", _millicents(record.get("totalMessagePrice"))),
            ("carrier_fee_in_millicents_usd", _millicents(record.get("totalCarrierFee"))),
        )
        if value is not None
    }
    return build_record(
        event_type=sms_event_type(kind),
        event_timestamp=record["eventTimestamp"],
        arrival_timestamp=arrival,
        application=application_part(context.app_id or app_id),
        client=client_part(context.endpoint_id),
        attributes=attributes,
        metrics=metrics,
        aws_account_id=aws_account_id,
        facets={facet_key: snake_keys(record)},
        event_id=make_event_id("sms_v2", record["messageId"], kind, record["eventTimestamp"]),
    )


def _sms_inbound_problems(record: Any) -> list[FieldProblem]:
    if not isinstance(record, Mapping):
        return [FieldProblem("(record)", "must be a JSON object")]
    problems = []
    for name in ("originationNumber", "destinationNumber", "inboundMessageId"):
        if not isinstance(record.get(name), str) or not record.get(name):
            problems.append(FieldProblem(name, "is required"))
    if not isinstance(record.get("messageBody"), str):
        problems.append(FieldProblem("messageBody", "is required"))
    return problems


def is_opt_out_message(body: str, keywords: Iterable[str] = SMS_OPT_OUT_KEYWORDS) -> bool:
    """True if an inbound SMS body is an opt-out keyword (case and spaces ignored)."""
    return body.strip().upper() in {k.upper() for k in keywords}


def _sms_inbound_record(
    record: Mapping[str, Any],
    *,
    app_id: str,
    arrival: int,
    aws_account_id: str | None,
) -> EventRecord:
    problems = _sms_inbound_problems(record)
    if problems:
        raise InvalidRecordError(problems)
    opt_out = is_opt_out_message(record["messageBody"])
    attributes = string_attributes(
        [
            # The customer's number is the origination of an inbound message.
            ("destination_phone_number", record["originationNumber"]),
            ("origination_phone_number", record["destinationNumber"]),
            ("message_id", record["inboundMessageId"]),
            ("previous_message_id", record.get("previousPublishedMessageId")),
            ("message_keyword", record.get("messageKeyword")),
            ("record_status", "OPTED_OUT" if opt_out else "RECEIVED"),
        ]
    )
    return build_record(
        event_type="_SMS.OPTOUT" if opt_out else "_SMS.RECEIVED",
        # Inbound messages carry no time of their own: the arrival is the best known.
        event_timestamp=arrival,
        arrival_timestamp=arrival,
        application=application_part(app_id),
        attributes=attributes,
        aws_account_id=aws_account_id,
        facets={"sms_channel": snake_keys(record)},
        event_id=make_event_id("sms_inbound", record["inboundMessageId"]),
    )


def normalise_sms_events(
    records: Iterable[Any],
    *,
    app_id: str,
    arrival_timestamp: int | None = None,
    aws_account_id: str | None = None,
) -> Normalised:
    """Normalise End User Messaging SMS, MMS and voice v2 event records."""
    return _many(
        EventSource.SMS_V2,
        _sms_record,
        records,
        app_id=app_id,
        arrival_timestamp=arrival_timestamp,
        aws_account_id=aws_account_id,
    )


def normalise_sms_inbound(
    records: Iterable[Any],
    *,
    app_id: str,
    arrival_timestamp: int | None = None,
    aws_account_id: str | None = None,
) -> Normalised:
    """Normalise inbound two-way SMS messages: an opt-out keyword gives ``_SMS.OPTOUT``,
    any other reply ``_SMS.RECEIVED``."""
    return _many(
        EventSource.SMS_INBOUND,
        _sms_inbound_record,
        records,
        app_id=app_id,
        arrival_timestamp=arrival_timestamp,
        aws_account_id=aws_account_id,
    )
