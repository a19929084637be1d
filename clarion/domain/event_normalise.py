"""Normalise every event shape Clarion ingests into the Pinpoint event-stream record.

Sources (docs/events.md has the full mapping):

- PutEvents request bodies (Pinpoint's ``EventsRequest``): app and custom events.
- SES v2 event-publishing records (``eventType`` Send, Delivery, Open, ...).
- End User Messaging SMS and voice v2 event records (``TEXT_*``, ``VOICE_*``,
  ``MEDIA_*``), and inbound two-way SMS messages (opt-out keywords).
- Pinpoint event-stream records as they are, replayed from old streams.
- Lambda's Kinesis event, whose records hold any of the above.

Every normaliser returns :class:`~clarion.domain.events.Normalised`: the records made
and one :class:`~clarion.domain.events.Reject` per input it could not use, naming the
record, the field and the reason. One bad record never stops the rest.

:func:`effects_of` says which records must change an endpoint at once (opt-outs,
hard bounces, activity and metrics).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from clarion.domain.endpoint import (
    ChannelType,
    Endpoint,
    EndpointStatus,
    OptOut,
    parse_iso8601,
)
from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import (
    MAX_ATTRIBUTES_AND_METRICS_PER_EVENT,
    MAX_EVENT_ATTRIBUTE_NAME_LENGTH,
    MAX_EVENT_ATTRIBUTE_VALUE_LENGTH,
    MAX_EVENT_BYTES,
    MAX_EVENT_TYPE_LENGTH,
    MAX_EVENTS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    Application,
    Client,
    Device,
    EventRecord,
    Locale,
    MessageContext,
    Normalised,
    Platform,
    Reject,
    Sdk,
    Session,
    application_part,
    build_record,
    check_epoch_ms,
    client_part,
    make_event_id,
    string_attributes,
)
from clarion.domain.pinpoint_model import RECORD, validation_problems


class EventSource(StrEnum):
    """Where an input record came from."""

    PUT_EVENTS = "put_events"
    SES = "ses"
    SMS_V2 = "sms_v2"
    SMS_INBOUND = "sms_inbound"
    PINPOINT = "pinpoint"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _ms(value: str) -> int:
    return int(parse_iso8601(value).timestamp() * 1000)


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _problems(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    def path(loc: tuple[int | str, ...]) -> str:
        dotted = ".".join(str(part) for part in loc if part != "__root__")
        return f"{prefix}.{dotted}" if prefix and dotted else (prefix or dotted or RECORD)

    return validation_problems(exc, path)


# --- PutEvents -----------------------------------------------------------------------

_EVENT_FIELDS = frozenset(
    {
        "AppPackageName",
        "AppTitle",
        "AppVersionCode",
        "Attributes",
        "ClientSdkVersion",
        "EventType",
        "Metrics",
        "SdkName",
        "Session",
        "Timestamp",
    }
)
_SESSION_FIELDS = frozenset({"Duration", "Id", "StartTimestamp", "StopTimestamp"})


def check_put_events_request(body: Any) -> list[FieldProblem]:
    """Problems with a PutEvents body as a whole (shape, event count, size).

    Pinpoint refused such a request outright; :func:`normalise_put_events` rejects each
    of its events with these problems.
    """
    if not isinstance(body, Mapping):
        return [FieldProblem("(request)", "must be a JSON object (Pinpoint's EventsRequest)")]
    batch = body.get("BatchItem")
    if not isinstance(batch, Mapping):
        return [FieldProblem("BatchItem", "is required: a map of endpoint id to EventsBatch")]
    problems = []
    unknown = sorted(set(body) - {"BatchItem"})
    if unknown:
        problems.append(FieldProblem(unknown[0], "is not a field of EventsRequest"))
    count = sum(
        len(item["Events"])
        for item in batch.values()
        if isinstance(item, Mapping) and isinstance(item.get("Events"), Mapping)
    )
    if count > MAX_EVENTS_PER_REQUEST:
        problems.append(
            FieldProblem(
                "BatchItem",
                f"request has {count} events; the limit is {MAX_EVENTS_PER_REQUEST}",
            )
        )
    size = _json_size(body)
    if size > MAX_REQUEST_BYTES:
        problems.append(
            FieldProblem("(request)", f"request is {size} bytes; the limit is {MAX_REQUEST_BYTES}")
        )
    return problems


def _check_event(event: Any) -> list[FieldProblem]:
    if not isinstance(event, Mapping):
        return [FieldProblem("(event)", "must be a JSON object (Pinpoint's Event)")]
    problems = [
        FieldProblem(name, "is not a field of a Pinpoint Event")
        for name in sorted(set(event) - _EVENT_FIELDS)
    ]
    event_type = event.get("EventType")
    if not isinstance(event_type, str) or not event_type:
        problems.append(FieldProblem("EventType", "is required"))
    elif len(event_type) > MAX_EVENT_TYPE_LENGTH:
        problems.append(
            FieldProblem(
                "EventType",
                f"is {len(event_type)} characters; the limit is {MAX_EVENT_TYPE_LENGTH}",
            )
        )
    stamp = event.get("Timestamp")
    if not isinstance(stamp, str):
        problems.append(FieldProblem("Timestamp", "is required, as an ISO-8601 timestamp"))
    else:
        try:
            check_epoch_ms(_ms(stamp))
        except ValueError as exc:
            problems.append(FieldProblem("Timestamp", str(exc)))
    for name in ("AppPackageName", "AppTitle", "AppVersionCode", "ClientSdkVersion", "SdkName"):
        if name in event and not isinstance(event[name], str):
            problems.append(FieldProblem(name, "must be a string"))
    attributes = event.get("Attributes", {})
    metrics = event.get("Metrics", {})
    if not isinstance(attributes, Mapping):
        problems.append(FieldProblem("Attributes", "must be a map of name to string"))
        attributes = {}
    if not isinstance(metrics, Mapping):
        problems.append(FieldProblem("Metrics", "must be a map of name to number"))
        metrics = {}
    for name, value in attributes.items():
        where = f"Attributes.{name}"
        if not name or len(name) > MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            problems.append(
                FieldProblem(
                    where, f"name must be 1 to {MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
                )
            )
        if not isinstance(value, str):
            problems.append(FieldProblem(where, f"must be a string, not {value!r}"))
        elif len(value) > MAX_EVENT_ATTRIBUTE_VALUE_LENGTH:
            problems.append(
                FieldProblem(
                    where,
                    f"value is {len(value)} characters; the limit is "
                    f"{MAX_EVENT_ATTRIBUTE_VALUE_LENGTH}",
                )
            )
    for name, value in metrics.items():
        where = f"Metrics.{name}"
        if not name or len(name) > MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            problems.append(
                FieldProblem(
                    where, f"name must be 1 to {MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
                )
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(FieldProblem(where, f"must be a number, not {value!r}"))
        elif not math.isfinite(value):
            problems.append(FieldProblem(where, "must be a finite number"))
    keys = len(attributes) + len(metrics)
    if keys > MAX_ATTRIBUTES_AND_METRICS_PER_EVENT:
        problems.append(
            FieldProblem(
                "Attributes",
                f"event has {keys} attributes and metrics together; the limit is "
                f"{MAX_ATTRIBUTES_AND_METRICS_PER_EVENT}",
            )
        )
    problems.extend(_check_session(event.get("Session")))
    size = _json_size(event)
    if size > MAX_EVENT_BYTES:
        problems.append(
            FieldProblem("(event)", f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
        )
    return problems


def _check_session(session: Any) -> list[FieldProblem]:
    if session is None:
        return []
    if not isinstance(session, Mapping):
        return [FieldProblem("Session", "must be a JSON object")]
    problems = [
        FieldProblem(f"Session.{name}", "is not a field of a Pinpoint Session")
        for name in sorted(set(session) - _SESSION_FIELDS)
    ]
    if not isinstance(session.get("Id"), str) or not session.get("Id"):
        problems.append(FieldProblem("Session.Id", "is required"))
    for name in ("StartTimestamp", "StopTimestamp"):
        stamp = session.get(name)
        if stamp is None:
            if name == "StartTimestamp":
                problems.append(FieldProblem("Session.StartTimestamp", "is required"))
            continue
        if not isinstance(stamp, str):
            problems.append(FieldProblem(f"Session.{name}", "must be an ISO-8601 timestamp"))
            continue
        try:
            check_epoch_ms(_ms(stamp))
        except ValueError as exc:
            problems.append(FieldProblem(f"Session.{name}", str(exc)))
    duration = session.get("Duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        problems.append(FieldProblem("Session.Duration", "must be an integer (milliseconds)"))
    return problems


def _endpoint_problems(endpoint_id: str, endpoint: Any) -> list[FieldProblem]:
    if not isinstance(endpoint, Mapping):
        return [FieldProblem("Endpoint", "is required: a JSON object (may be empty)")]
    if "Id" in endpoint:
        return [FieldProblem("Endpoint.Id", "goes in the BatchItem key, not the endpoint")]
    try:
        Endpoint.model_validate({"Id": endpoint_id, **endpoint})
    except ValidationError as exc:
        return _problems(exc, "Endpoint")
    return []


def _device(endpoint: Mapping[str, Any]) -> Device:
    demo = endpoint.get("Demographic") or {}
    locale = None
    code = demo.get("Locale")
    if isinstance(code, str) and code:
        language, _, country = code.replace("-", "_").partition("_")
        locale = Locale(code=code, language=language or None, country=country or None)
    return Device(
        locale=locale,
        make=demo.get("Make"),
        model=demo.get("Model"),
        platform=Platform(name=demo.get("Platform"), version=demo.get("PlatformVersion")),
    )


def _session(session: Mapping[str, Any] | None) -> Session:
    if not session:
        return Session()
    stop = session.get("StopTimestamp")
    return Session(
        session_id=session["Id"],
        start_timestamp=_ms(session["StartTimestamp"]),
        stop_timestamp=_ms(stop) if isinstance(stop, str) else None,
        duration=session.get("Duration"),
    )


def _put_event_record(
    endpoint_id: str,
    endpoint: Mapping[str, Any],
    event_key: str,
    event: Mapping[str, Any],
    *,
    app_id: str,
    arrival: int,
    aws_account_id: str | None,
) -> EventRecord:
    event_type = event["EventType"]
    stamp = _ms(event["Timestamp"])
    demo = endpoint.get("Demographic") or {}
    return build_record(
        event_type=event_type,
        event_timestamp=stamp,
        arrival_timestamp=arrival,
        application=Application(
            app_id=app_id,
            package_name=event.get("AppPackageName"),
            title=event.get("AppTitle"),
            version_code=event.get("AppVersionCode"),
            version_name=demo.get("AppVersion"),
            sdk=Sdk(name=event.get("SdkName"), version=event.get("ClientSdkVersion")),
        ),
        client=Client(client_id=endpoint_id),
        device=_device(endpoint),
        session=_session(event.get("Session")),
        attributes=dict(event.get("Attributes") or {}),
        metrics={k: float(v) for k, v in (event.get("Metrics") or {}).items()},
        endpoint={"Id": endpoint_id, **endpoint},
        aws_account_id=aws_account_id,
        event_id=make_event_id("put_events", app_id, endpoint_id, event_key, event_type, stamp),
    )


def normalise_put_events(
    body: Any,
    *,
    app_id: str,
    arrival_timestamp: int | None = None,
    aws_account_id: str | None = None,
) -> Normalised:
    """Normalise a PutEvents request body (Pinpoint's ``EventsRequest``).

    Parameters
    ----------
    body
        ``{"BatchItem": {"<endpointId>": {"Endpoint": {...}, "Events": {"<eventId>":
        {...}}}}}``, as the API and the Pinpoint SDKs send it.
    app_id
        The project (application) id the events belong to.
    arrival_timestamp
        When Clarion received the request, epoch ms; now if not given.
    aws_account_id
        Written to each record's ``awsAccountId``.

    Returns
    -------
    Normalised
        One record per valid event, in request order. Each event that breaks a rule
        (an ingestion quota, a missing field, a bad endpoint) is a reject whose
        ``record_id`` is ``<endpointId>/<eventId>`` and whose ``index`` is the event's
        position in the request. If the request as a whole breaks a rule (more than
        100 events, over 4 MB), every event is rejected with that reason, as Pinpoint
        refused the whole request.
    """
    arrival = now_ms() if arrival_timestamp is None else arrival_timestamp
    source = EventSource.PUT_EVENTS.value
    request_problems = check_put_events_request(body)
    batch = body.get("BatchItem") if isinstance(body, Mapping) else None
    if not isinstance(batch, Mapping):
        return Normalised([], [Reject(source, None, None, tuple(request_problems), body)])
    records: list[EventRecord] = []
    rejects: list[Reject] = []
    index = 0
    for endpoint_id, item in batch.items():
        if not isinstance(item, Mapping) or not isinstance(item.get("Events"), Mapping):
            problem = FieldProblem("Events", "is required: a map of event id to Event")
            rejects.append(Reject(source, None, endpoint_id, (problem,), item))
            continue
        endpoint = item.get("Endpoint")
        endpoint_problems = _endpoint_problems(endpoint_id, endpoint)
        extra = sorted(set(item) - {"Endpoint", "Events"})
        endpoint_problems += [FieldProblem(n, "is not a field of EventsBatch") for n in extra]
        for event_key, event in item["Events"].items():
            record_id = f"{endpoint_id}/{event_key}"
            problems = [*request_problems, *endpoint_problems, *_check_event(event)]
            if problems:
                rejects.append(Reject(source, index, record_id, tuple(problems), event))
            else:
                try:
                    records.append(
                        _put_event_record(
                            endpoint_id,
                            endpoint or {},
                            event_key,
                            event,
                            app_id=app_id,
                            arrival=arrival,
                            aws_account_id=aws_account_id,
                        )
                    )
                except (ValidationError, ValueError) as exc:
                    found = _problems(exc) if isinstance(exc, ValidationError) else []
                    found = found or [FieldProblem("(event)", str(exc))]
                    rejects.append(Reject(source, index, record_id, tuple(found), event))
            index += 1
    return Normalised(records, rejects)


# --- SES v2 event publishing ----------------------------------------------------------

# SES eventType → the key of its detail object in the SES record, and in the facet.
_SES_DETAIL = {
    "Send": ("send", "send"),
    "Delivery": ("delivery", "delivery"),
    "Open": ("open", "open"),
    "Click": ("click", "click"),
    "Bounce": ("bounce", "bounce"),
    "Complaint": ("complaint", "complaint"),
    "Reject": ("reject", "reject"),
    "Rendering Failure": ("failure", "rendering_failure"),
    "DeliveryDelay": ("deliveryDelay", "delivery_delay"),
    "Subscription": ("subscription", "subscription"),
}
_SES_EVENT_TYPE = {
    "Send": "_email.send",
    "Delivery": "_email.delivered",
    "Open": "_email.open",
    "Click": "_email.click",
    "Complaint": "_email.complaint",
    "Reject": "_email.rejected",
    "Rendering Failure": "_email.rendering_failure",
    "DeliveryDelay": "_email.delivery_delay",
}
# Pinpoint's own "feedback" attribute, for the event types its documentation shows.
_SES_FEEDBACK = {"Send": "received", "Delivery": "delivered", "Open": "opened"}
SES_HARD_BOUNCE_TYPES = frozenset({"Permanent"})
SES_SOFT_BOUNCE_TYPES = frozenset({"Transient", "Undetermined"})
# Keys whose values are maps of user-chosen names: their keys are not case-converted.
_VERBATIM_KEYS = frozenset({"tags", "linkTags", "context"})


_ACRONYM_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_START = re.compile(r"([a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)
def _snake_case(name: str) -> str:
    step = _ACRONYM_WORD.sub(r"\1_\2", name)
    return _WORD_START.sub(r"\1_\2", step).replace("-", "_").lower()


def snake_case(name: str) -> str:
    """``reportingMTA`` → ``reporting_mta``, ``processingTimeMillis`` →
    ``processing_time_millis``, as Pinpoint spelled SES fields in its facets."""
    done = _SNAKE_NAMES.get(name)
    if done is not None:
        return done
    # Nothing upper case: the expressions cannot match.
    done = name.replace("-", "_") if name == name.lower() else _snake_case(name)
    if len(_SNAKE_NAMES) < _SNAKE_NAMES_MAX:  # SES's field names; bounded for odd input
        _SNAKE_NAMES[name] = done
    return done


_SNAKE_NAMES: dict[str, str] = {}
_SNAKE_NAMES_MAX = 4096


def snake_keys(value: Any) -> Any:
    """Convert the keys of nested JSON objects to snake_case (user-named maps kept)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # the common leaves, without the Mapping (ABC) check
    if kind is dict:
        return {
            snake_case(key if type(key) is str else str(key)): (
                item if key in _VERBATIM_KEYS else snake_keys(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, Mapping):
        return {
            snake_case(str(key)): (item if key in _VERBATIM_KEYS else snake_keys(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def ses_event_type(record: Mapping[str, Any]) -> str:
    """The Clarion (Pinpoint) event type of an SES record; ValueError if it has none."""
    kind = record.get("eventType") or record.get("notificationType")
    if kind == "Bounce":
        bounce = record.get("bounce") or {}
        bounce_type = bounce.get("bounceType")
        if bounce_type in SES_HARD_BOUNCE_TYPES:
            return "_email.hardbounce"
        if bounce_type in SES_SOFT_BOUNCE_TYPES:
            return "_email.softbounce"
        raise ValueError(f"bounce.bounceType {bounce_type!r} is not Permanent/Transient")
    if kind == "Subscription":
        return "_email.unsubscribe" if _unsubscribed(record) else "_email.subscription_update"
    if isinstance(kind, str) and kind in _SES_EVENT_TYPE:
        return _SES_EVENT_TYPE[kind]
    raise ValueError(f"{kind!r} is not an SES event type Clarion knows")


def _opted_out_topics(preferences: Any) -> set[str]:
    if not isinstance(preferences, Mapping):
        return set()
    statuses = preferences.get("topicSubscriptionStatus") or []
    return {
        str(item.get("topicName"))
        for item in statuses
        if isinstance(item, Mapping) and item.get("subscriptionStatus") == "OptOut"
    }


def _unsubscribed(record: Mapping[str, Any]) -> bool:
    """True when a Subscription record is the contact leaving: the whole list
    (``unsubscribeAll``) or a topic newly set to OptOut."""
    subscription = record.get("subscription") or {}
    new = subscription.get("newTopicPreferences") or {}
    old = subscription.get("oldTopicPreferences") or {}
    if isinstance(new, Mapping) and new.get("unsubscribeAll") is True:
        return True
    return bool(_opted_out_topics(new) - _opted_out_topics(old))


def _ses_problems(record: Any) -> list[FieldProblem]:
    if not isinstance(record, Mapping):
        return [FieldProblem("(record)", "must be a JSON object")]
    problems = []
    kind = record.get("eventType") or record.get("notificationType")
    if kind not in _SES_DETAIL:
        problems.append(
            FieldProblem("eventType", f"{kind!r} is not one of {', '.join(_SES_DETAIL)}")
        )
    mail = record.get("mail")
    if not isinstance(mail, Mapping):
        problems.append(FieldProblem("mail", "is required"))
        mail = {}
    if not isinstance(mail.get("messageId"), str) or not mail.get("messageId"):
        problems.append(FieldProblem("mail.messageId", "is required"))
    stamps = [("mail.timestamp", mail.get("timestamp"))]
    if kind in _SES_DETAIL:
        key = _SES_DETAIL[kind][0]
        detail = record.get(key, {} if kind == "Send" else None)
        if not isinstance(detail, Mapping):
            problems.append(FieldProblem(key, f"is required for a {kind} record"))
        elif "timestamp" in detail:
            stamps.append((f"{key}.timestamp", detail.get("timestamp")))
        if kind == "Bounce" and isinstance(detail, Mapping):
            bounce_type = detail.get("bounceType")
            if bounce_type not in SES_HARD_BOUNCE_TYPES | SES_SOFT_BOUNCE_TYPES:
                problems.append(
                    FieldProblem(
                        "bounce.bounceType",
                        f"{bounce_type!r} is not Permanent, Transient or Undetermined",
                    )
                )
    for where, stamp in stamps:
        if stamp is None and where == "mail.timestamp" and len(stamps) > 1:
            continue
        try:
            if not isinstance(stamp, str):
                raise TypeError(stamp)
            check_epoch_ms(_ms(stamp))
        except (ValueError, TypeError):
            problems.append(FieldProblem(where, f"{stamp!r} is not an ISO-8601 timestamp"))
    return problems


def _joined(values: Any, key: str | None = None) -> str | None:
    if not isinstance(values, list):
        return None
    items = [str(v.get(key)) if key and isinstance(v, Mapping) else str(v) for v in values]
    return ",".join(item for item in items if item and item != "None") or None


def _ses_attributes(kind: str, detail: Mapping[str, Any]) -> list[tuple[str, object]]:
    if kind == "Click":
        return [("feedback", detail.get("link")), ("link", detail.get("link"))]
    if kind == "Bounce":
        return [
            ("bounce_type", detail.get("bounceType")),
            ("bounce_sub_type", detail.get("bounceSubType")),
            ("bounced_recipients", _joined(detail.get("bouncedRecipients"), "emailAddress")),
        ]
    if kind == "Complaint":
        return [
            ("complaint_feedback_type", detail.get("complaintFeedbackType")),
            ("complaint_sub_type", detail.get("complaintSubType")),
        ]
    if kind == "Reject":
        return [("reject_reason", detail.get("reason"))]
    if kind == "Rendering Failure":
        return [
            ("template_name", detail.get("templateName")),
            ("error_message", detail.get("errorMessage")),
        ]
    if kind == "DeliveryDelay":
        return [
            ("delay_type", detail.get("delayType")),
            ("expiration_time", detail.get("expirationTime")),
        ]
    if kind == "Subscription":
        new = detail.get("newTopicPreferences") or {}
        return [
            ("contact_list", detail.get("contactList")),
            ("subscription_source", detail.get("source")),
            ("unsubscribe_all", new.get("unsubscribeAll") if isinstance(new, Mapping) else None),
            ("opted_out_topics", ",".join(sorted(_opted_out_topics(new))) or None),
        ]
    return [("feedback", _SES_FEEDBACK.get(kind))]


def _mail_facet(mail: Mapping[str, Any]) -> dict[str, Any]:
    facet: dict[str, Any] = {
        "message_id": mail.get("messageId"),
        "message_send_timestamp": _ms(mail["timestamp"]) if mail.get("timestamp") else None,
        "from_address": mail.get("source"),
        "destination": mail.get("destination"),
        "headers_truncated": mail.get("headersTruncated"),
        "headers": mail.get("headers"),
        "common_headers": snake_keys(mail.get("commonHeaders")),
        "tags": mail.get("tags"),
    }
    return {key: value for key, value in facet.items() if value is not None}


def _ses_record(
    record: Mapping[str, Any],
    *,
    app_id: str,
    arrival: int,
    aws_account_id: str | None,
) -> EventRecord:
    problems = _ses_problems(record)
    if problems:
        raise InvalidRecordError(problems)
    kind = record.get("eventType") or record.get("notificationType")
    assert isinstance(kind, str)
    key, facet_key = _SES_DETAIL[kind]
    detail = record.get(key) or {}
    mail = record["mail"]
    context = MessageContext.from_ses_tags(mail.get("tags"))
    stamp = detail.get("timestamp") or mail["timestamp"]
    destination = mail.get("destination")
    attributes = string_attributes(
        [
            *context.pinpoint_attributes().items(),
            ("message_id", mail["messageId"]),
            ("from_address", mail.get("source")),
            ("destination", _joined(destination)),
            *_ses_attributes(kind, detail),
        ]
    )
    distinguishing = detail.get("link") or detail.get("feedbackId") or ""
    return build_record(
        event_type=ses_event_type(record),
        event_timestamp=_ms(stamp),
        arrival_timestamp=arrival,
        application=application_part(context.app_id or app_id),
        client=client_part(context.endpoint_id),
        attributes=attributes,
        aws_account_id=mail.get("sendingAccountId") or aws_account_id,
        facets={
            "email_channel": {
                "mail_event": {"mail": _mail_facet(mail), facet_key: snake_keys(detail)}
            }
        },
        event_id=make_event_id("ses", mail["messageId"], kind, stamp, distinguishing),
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


# --- Running a normaliser over many records -------------------------------------------

_Builder = Callable[..., EventRecord]


def _record_id(source: EventSource, record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    if source is EventSource.SES:
        mail = record.get("mail")
        value = mail.get("messageId") if isinstance(mail, Mapping) else None
    elif source is EventSource.SMS_V2:
        value = record.get("messageId")
    elif source is EventSource.SMS_INBOUND:
        value = record.get("inboundMessageId")
    else:
        value = None
    return value if isinstance(value, str) else None


def _one(
    source: EventSource,
    builder: _Builder,
    index: int | None,
    record: Any,
    *,
    record_id: str | None = None,
    **kwargs: Any,
) -> EventRecord | Reject:
    try:
        return builder(record, **kwargs)
    except InvalidRecordError as exc:
        problems = tuple(exc.problems)
    except ValidationError as exc:
        problems = tuple(_problems(exc))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        problems = (FieldProblem("(record)", f"cannot be read: {exc}"),)
    return Reject(source.value, index, record_id or _record_id(source, record), problems, record)


def _many(
    source: EventSource,
    builder: _Builder,
    records: Iterable[Any],
    *,
    app_id: str,
    arrival_timestamp: int | None,
    aws_account_id: str | None,
) -> Normalised:
    arrival = now_ms() if arrival_timestamp is None else arrival_timestamp
    out = Normalised([], [])
    for index, record in enumerate(records):
        result = _one(
            source,
            builder,
            index,
            record,
            app_id=app_id,
            arrival=arrival,
            aws_account_id=aws_account_id,
        )
        (out.records if isinstance(result, EventRecord) else out.rejects).append(result)  # type: ignore[arg-type]
    return out


def normalise_ses_events(
    records: Iterable[Any],
    *,
    app_id: str,
    arrival_timestamp: int | None = None,
    aws_account_id: str | None = None,
) -> Normalised:
    """Normalise SES v2 event-publishing records (one decoded JSON object each).

    ``app_id`` is used when a record has no ``clarion-app-id`` tag; ``aws_account_id``
    when its ``mail`` has no ``sendingAccountId``. Rejects name the record's position
    and SES message id.
    """
    return _many(
        EventSource.SES,
        _ses_record,
        records,
        app_id=app_id,
        arrival_timestamp=arrival_timestamp,
        aws_account_id=aws_account_id,
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


def _pinpoint_record(record: Any, **_: Any) -> EventRecord:
    if isinstance(record, str | bytes):
        try:
            record = json.loads(record)
        except json.JSONDecodeError as exc:
            raise InvalidRecordError([FieldProblem("(record)", f"is not JSON: {exc}")]) from None
    if not isinstance(record, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    return EventRecord.from_json(record)


def normalise_pinpoint_records(lines: Iterable[str | bytes | Mapping[str, Any]]) -> Normalised:
    """Validate Pinpoint event-stream records (JSON lines or decoded objects) and pass
    them through unchanged. Blank lines are skipped; anything else that is not a valid
    record is rejected with its line number (from 0) as ``index``."""
    out = Normalised([], [])
    for index, line in enumerate(lines):
        if isinstance(line, str | bytes) and not line.strip():
            continue
        result = _one(EventSource.PINPOINT, _pinpoint_record, index, line)
        (out.records if isinstance(result, EventRecord) else out.rejects).append(result)  # type: ignore[arg-type]
    return out


# --- Lambda's Kinesis event and source detection --------------------------------------


@dataclass(frozen=True)
class KinesisPayload:
    """One decoded record of a Lambda Kinesis event."""

    index: int
    sequence_number: str | None
    payload: Any
    arrival_timestamp: int


def decode_kinesis_event(event: Mapping[str, Any]) -> tuple[list[KinesisPayload], list[Reject]]:
    """Decode Lambda's Kinesis event: base64 ``data`` to JSON, and
    ``approximateArrivalTimestamp`` (epoch seconds, fractional) to epoch ms."""
    payloads: list[KinesisPayload] = []
    rejects: list[Reject] = []
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        problem = FieldProblem("Records", "is required: Lambda's list of Kinesis records")
        return [], [Reject("kinesis", None, None, (problem,), event)]
    for index, record in enumerate(records):
        kinesis = record.get("kinesis") if isinstance(record, Mapping) else None
        if not isinstance(kinesis, Mapping):
            problem = FieldProblem("kinesis", "is required")
            rejects.append(Reject("kinesis", index, None, (problem,), record))
            continue
        sequence = kinesis.get("sequenceNumber")
        sequence = sequence if isinstance(sequence, str) else None
        problems = []
        arrival = kinesis.get("approximateArrivalTimestamp")
        if isinstance(arrival, bool) or not isinstance(arrival, int | float):
            problems.append(
                FieldProblem("kinesis.approximateArrivalTimestamp", "is required (epoch seconds)")
            )
        payload: Any = None
        try:
            payload = json.loads(base64.b64decode(kinesis.get("data", ""), validate=True))
        except (binascii.Error, ValueError, TypeError) as exc:
            problems.append(FieldProblem("kinesis.data", f"is not base64 JSON: {exc}"))
        if problems:
            rejects.append(Reject("kinesis", index, sequence, tuple(problems), record))
            continue
        assert isinstance(arrival, int | float)
        payloads.append(KinesisPayload(index, sequence, payload, round(arrival * 1000)))
    return payloads, rejects


def unwrap_envelope(payload: Any) -> Any:
    """The event inside an SNS notification (``Message``, a JSON string) or an
    EventBridge event (``detail``); anything else is returned as it is."""
    if isinstance(payload, Mapping):
        if payload.get("Type") == "Notification" and isinstance(payload.get("Message"), str):
            try:
                return json.loads(payload["Message"])
            except json.JSONDecodeError:
                return payload
        if "detail-type" in payload and isinstance(payload.get("detail"), Mapping):
            return payload["detail"]
    return payload


def detect_source(payload: Any) -> EventSource | None:
    """Which source an (unwrapped) record comes from, or None if none fits."""
    if not isinstance(payload, Mapping):
        return None
    if "BatchItem" in payload:
        return EventSource.PUT_EVENTS
    if "event_type" in payload and "event_timestamp" in payload:
        return EventSource.PINPOINT
    kind = payload.get("eventType") or payload.get("notificationType")
    if isinstance(kind, str) and isinstance(payload.get("mail"), Mapping):
        return EventSource.SES
    if isinstance(kind, str) and kind.startswith(tuple(_SMS_FAMILIES)) and "messageId" in payload:
        return EventSource.SMS_V2
    if "inboundMessageId" in payload and "messageBody" in payload:
        return EventSource.SMS_INBOUND
    return None


_BUILDERS: dict[EventSource, _Builder] = {
    EventSource.SES: _ses_record,
    EventSource.SMS_V2: _sms_record,
    EventSource.SMS_INBOUND: _sms_inbound_record,
    EventSource.PINPOINT: _pinpoint_record,
}


def normalise_payload(
    payload: Any,
    *,
    app_id: str,
    arrival_timestamp: int,
    aws_account_id: str | None = None,
    index: int | None = None,
    record_id: str | None = None,
) -> Normalised:
    """Detect the source of one decoded record and normalise it."""
    inner = unwrap_envelope(payload)
    source = detect_source(inner)
    if source is None:
        problem = FieldProblem(
            "(record)", "is not a PutEvents body, SES, SMS v2 or Pinpoint event record"
        )
        return Normalised([], [Reject("unknown", index, record_id, (problem,), payload)])
    if source is EventSource.PUT_EVENTS:
        result = normalise_put_events(
            inner,
            app_id=app_id,
            arrival_timestamp=arrival_timestamp,
            aws_account_id=aws_account_id,
        )
        rejects = [
            Reject(r.source, index, f"{record_id}:{r.record_id}", r.problems, r.raw)
            if record_id
            else r
            for r in result.rejects
        ]
        return Normalised(result.records, rejects)
    one = _one(
        source,
        _BUILDERS[source],
        index,
        inner,
        record_id=record_id,
        app_id=app_id,
        arrival=arrival_timestamp,
        aws_account_id=aws_account_id,
    )
    if isinstance(one, EventRecord):
        return Normalised([one], [])
    return Normalised([], [one])


def normalise_kinesis_event(
    event: Mapping[str, Any], *, app_id: str, aws_account_id: str | None = None
) -> Normalised:
    """Decode a Lambda Kinesis event and normalise every record in it, whatever its
    source. Rejects carry the Kinesis record's position and sequence number."""
    payloads, rejects = decode_kinesis_event(event)
    out = Normalised([], list(rejects))
    for item in payloads:
        result = normalise_payload(
            item.payload,
            app_id=app_id,
            arrival_timestamp=item.arrival_timestamp,
            aws_account_id=aws_account_id,
            index=item.index,
            record_id=item.sequence_number,
        )
        out.records.extend(result.records)
        out.rejects.extend(result.rejects)
    return out


# --- Real-time effects ----------------------------------------------------------------


@dataclass(frozen=True)
class EndpointTarget:
    """The endpoint an effect applies to: by id when the event carries one, else by
    address and channel (mail sent without Clarion's tags, an inbound SMS)."""

    endpoint_id: str | None
    address: str | None = None
    channel: ChannelType | None = None


@dataclass(frozen=True)
class OptOutEffect:
    """Set the endpoint's ``OptOut`` (unsubscribe, complaint, SMS opt-out keyword)."""

    target: EndpointTarget
    opt_out: OptOut
    cause: str
    at: int
    event_id: str


@dataclass(frozen=True)
class StatusEffect:
    """Set the endpoint's ``EndpointStatus`` (a hard bounce makes it INACTIVE)."""

    target: EndpointTarget
    endpoint_status: EndpointStatus
    cause: str
    at: int
    event_id: str


@dataclass(frozen=True)
class ActivityEffect:
    """Record app activity: the endpoint was active at ``at``; add the increments to
    its metrics."""

    endpoint_id: str
    at: int
    cause: str
    event_id: str
    metric_increments: dict[str, float] = field(default_factory=dict)


Effect = OptOutEffect | StatusEffect | ActivityEffect

METRIC_SESSIONS = "clarion_sessions"
METRIC_PURCHASES = "clarion_purchases"
METRIC_PURCHASE_QUANTITY = "clarion_purchase_quantity"
METRIC_PURCHASE_REVENUE = "clarion_purchase_revenue"


def _mail_event(record: EventRecord) -> Mapping[str, Any]:
    facets = record.facets or {}
    channel = facets.get("email_channel") or {}
    event = channel.get("mail_event") if isinstance(channel, Mapping) else None
    return event if isinstance(event, Mapping) else {}


def _email_targets(record: EventRecord, recipients: list[str]) -> list[EndpointTarget]:
    if record.endpoint_id:
        address = recipients[0] if len(recipients) == 1 else None
        return [EndpointTarget(record.endpoint_id, address, ChannelType.EMAIL)]
    return [EndpointTarget(None, address, ChannelType.EMAIL) for address in recipients]


def _recipients(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        return []
    found = [item.get(key) if isinstance(item, Mapping) else item for item in items]
    return [str(address) for address in found if isinstance(address, str) and address]


def effects_of(record: EventRecord) -> list[Effect]:
    """The changes an event must make to an endpoint at once, if any.

    - ``_email.unsubscribe`` of the whole list (``unsubscribe_all``), ``_email.complaint``
      and ``_SMS.OPTOUT`` opt the endpoint out (``OptOut: ALL``).
    - ``_email.hardbounce`` makes it ``INACTIVE``.
    - ``_session.start``, ``_session.stop`` and ``_monetization.purchase`` mark it active
      and add to its metrics (sessions; purchases, quantity and revenue).

    An email effect with no endpoint id names each recipient address instead.
    """
    kind = record.event_type
    at = record.event_timestamp
    mail_event = _mail_event(record)
    mail = mail_event.get("mail") or {}
    if kind == "_email.hardbounce":
        bounce = mail_event.get("bounce") or {}
        targets = _email_targets(
            record, _recipients(bounce.get("bounced_recipients"), "email_address")
        )
        return [
            StatusEffect(t, EndpointStatus.INACTIVE, kind, at, record.event_id) for t in targets
        ]
    if kind == "_email.complaint" or (
        kind == "_email.unsubscribe" and record.attributes.get("unsubscribe_all") == "true"
    ):
        complaint = mail_event.get("complaint") or {}
        recipients = _recipients(complaint.get("complained_recipients"), "email_address")
        targets = _email_targets(record, recipients or _recipients(mail.get("destination"), ""))
        return [OptOutEffect(t, OptOut.ALL, kind, at, record.event_id) for t in targets]
    if kind == "_SMS.OPTOUT":
        address = record.attributes.get("destination_phone_number")
        if not record.endpoint_id and not address:
            return []
        target = EndpointTarget(record.endpoint_id, address, ChannelType.SMS)
        return [OptOutEffect(target, OptOut.ALL, kind, at, record.event_id)]
    if not record.endpoint_id:
        return []
    if kind == "_session.start":
        increments = {METRIC_SESSIONS: 1.0}
        return [ActivityEffect(record.endpoint_id, at, kind, record.event_id, increments)]
    if kind == "_session.stop":
        return [ActivityEffect(record.endpoint_id, at, kind, record.event_id)]
    if kind == "_monetization.purchase":
        quantity = record.metrics.get("_quantity", 1.0)
        increments = {METRIC_PURCHASES: 1.0, METRIC_PURCHASE_QUANTITY: quantity}
        if "_item_price" in record.metrics:
            increments[METRIC_PURCHASE_REVENUE] = quantity * record.metrics["_item_price"]
        return [ActivityEffect(record.endpoint_id, at, kind, record.event_id, increments)]
    return []


def classify_effects(records: Iterable[EventRecord]) -> list[Effect]:
    """:func:`effects_of` for each record, in order."""
    return [effect for record in records for effect in effects_of(record)]
