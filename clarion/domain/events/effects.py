"""Which records must change an endpoint at once: opt-outs, hard bounces and
complaints, activity and the purchase and session metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clarion.domain.audience.endpoint import ChannelType, EndpointStatus, OptOut
from clarion.domain.events.records import EventRecord

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


# The only event types :func:`effects_of` gives effects for: a record of any other type
# changes no endpoint, so an ingestion may store it without making it a record object.
EFFECT_EVENT_TYPES = frozenset(
    {
        "_email.hardbounce",
        "_email.complaint",
        "_email.unsubscribe",
        "_SMS.OPTOUT",
        "_session.start",
        "_session.stop",
        "_monetization.purchase",
    }
)
