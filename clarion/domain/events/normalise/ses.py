"""SES v2 event-publishing records (``eventType`` Send, Delivery, Open, Click,
Bounce, Complaint, Subscription, ...) as Pinpoint ``_email.*`` records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.events.normalise.common import EventSource, _many, _ms
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
