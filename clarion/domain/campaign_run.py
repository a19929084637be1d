"""What a campaign run decides for one endpoint, and how a run's outcomes add up.

:func:`decide` is pure: given the endpoint, the run's rules, the time and the
endpoint's cap counts, it returns a :class:`Decision`. The order (docs/campaigns.md):

1. the endpoint no longer exists → ``SKIPPED_NOT_FOUND``
2. ``OptOut: ALL`` → ``SKIPPED_OPT_OUT`` (always honoured, nothing overrides it)
3. ``EndpointStatus: INACTIVE`` → ``SKIPPED_INACTIVE``
4. no ChannelType or Address → ``SKIPPED_NO_ADDRESS``
5. no treatment sends on the endpoint's channel → ``SKIPPED_CHANNEL``
6. past Limits.MaximumDuration after the run started → ``SKIPPED_EXPIRED``
7. a local-time schedule not yet due in the endpoint's zone → ``DEFERRED_LOCAL_TIME``
8. inside QuietTime in the endpoint's zone → ``DEFERRED_QUIET_TIME``
9. Limits.Total, then Limits.Daily reached → ``SKIPPED_TOTAL_CAP``/``SKIPPED_DAILY_CAP``
10. in the holdout → ``HOLDOUT`` (recorded, never sent)
11. the assigned treatment has no message for the channel → ``SKIPPED_CHANNEL``
12. otherwise ``SEND`` with the treatment; delivery turns it into ``SENT`` or ``FAILED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from clarion.domain.campaign import (
    BASE_TREATMENT_ID,
    PUSH_MESSAGE_KEYS,
    Assigner,
    CustomDeliveryConfiguration,
    Message,
    MessageConfiguration,
    MessageType,
    QuietWindow,
    Schedule,
    local_send_time,
    zone_for,
)
from clarion.domain.endpoint import ChannelType, Endpoint
from clarion.domain.events import EventRecord, make_event_id, string_attributes
from clarion.domain.messages import CustomContent, MessageContent, SenderIdentity
from clarion.domain.rendering import CompiledTemplate, RenderedSms
from clarion.domain.templates import TemplateType, TemplateVersion, validate_template_request


class Reason(StrEnum):
    """Every outcome a run records for an endpoint (one per endpoint and run)."""

    SEND = "SEND"  # a decision only: delivery makes it SENT or FAILED
    SENT = "SENT"
    FAILED = "FAILED"
    CLAIMED = "CLAIMED"  # claimed for delivery, outcome not recorded (a crash): in doubt
    HOLDOUT = "HOLDOUT"
    SKIPPED_NOT_FOUND = "SKIPPED_NOT_FOUND"
    SKIPPED_OPT_OUT = "SKIPPED_OPT_OUT"
    SKIPPED_INACTIVE = "SKIPPED_INACTIVE"
    SKIPPED_NO_ADDRESS = "SKIPPED_NO_ADDRESS"
    SKIPPED_CHANNEL = "SKIPPED_CHANNEL"
    SKIPPED_EXPIRED = "SKIPPED_EXPIRED"
    SKIPPED_TOTAL_CAP = "SKIPPED_TOTAL_CAP"
    SKIPPED_DAILY_CAP = "SKIPPED_DAILY_CAP"
    DEFERRED_LOCAL_TIME = "DEFERRED_LOCAL_TIME"
    DEFERRED_QUIET_TIME = "DEFERRED_QUIET_TIME"

    @property
    def is_skip(self) -> bool:
        return self.value.startswith("SKIPPED_")

    @property
    def is_deferral(self) -> bool:
        return self.value.startswith("DEFERRED_")


# The ``campaign_send_status`` attribute of ``_campaign.send`` events, per outcome
# (delivery failures use the DeliveryStatus instead).
SEND_STATUS = {
    Reason.SENT: "SUCCESS",
    Reason.HOLDOUT: "HOLDOUT",
    Reason.SKIPPED_OPT_OUT: "OPT_OUT",
    Reason.SKIPPED_DAILY_CAP: "DAILY_CAP",
    Reason.SKIPPED_TOTAL_CAP: "TOTAL_CAP",
    Reason.SKIPPED_EXPIRED: "EXPIRED",
    Reason.DEFERRED_QUIET_TIME: "QUIET_TIME",
}


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason
    treatment_id: str | None = None
    until: datetime | None = None  # deferrals: when the endpoint may next be messaged


@dataclass(frozen=True, slots=True)
class CapCount:
    """Successful sends of one campaign to one endpoint: on a (UTC) day, and ever."""

    daily: int = 0
    total: int = 0


NO_SENDS = CapCount()


@dataclass(frozen=True, slots=True)
class LedgerOutcome:
    """What the send ledger keeps per (run, endpoint)."""

    reason: Reason
    treatment_id: str | None = None
    until_ms: int | None = None
    message_id: str | None = None
    detail: str | None = None


def cap_day(now: datetime) -> str:
    """The key of the day Limits.Daily counts in: the UTC calendar date."""
    return now.astimezone(UTC).date().isoformat()


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


@dataclass(frozen=True)
class RunRules:
    """Everything :func:`decide` needs about a campaign run, prepared once per run.

    ``treatment_channels`` maps each treatment id to the channel types it has a message
    for; ``daily_cap`` and ``total_cap`` of 0 or None mean no cap.
    """

    campaign_id: str
    assigner: Assigner
    treatment_channels: Mapping[str, frozenset[ChannelType]]
    schedule: Schedule
    run_time: datetime
    quiet: QuietWindow | None = None
    daily_cap: int | None = None
    total_cap: int | None = None
    expires_at: datetime | None = None
    channels: frozenset[ChannelType] = field(init=False)

    def __post_init__(self) -> None:
        union: frozenset[ChannelType] = frozenset().union(*self.treatment_channels.values())
        object.__setattr__(self, "channels", union)

    @property
    def caps_apply(self) -> bool:
        return bool(self.daily_cap) or bool(self.total_cap)


def decide(
    endpoint: Endpoint | None,
    rules: RunRules,
    now: datetime,
    sends: CapCount = NO_SENDS,
) -> Decision:
    """The decision for one endpoint in a run (the order is in the module docstring)."""
    if endpoint is None:
        return Decision(Reason.SKIPPED_NOT_FOUND)
    if endpoint.is_opted_out:
        return Decision(Reason.SKIPPED_OPT_OUT)
    if not endpoint.is_active:
        return Decision(Reason.SKIPPED_INACTIVE)
    channel = endpoint.channel_type
    if channel is None or not endpoint.address:
        return Decision(Reason.SKIPPED_NO_ADDRESS)
    if channel not in rules.channels:
        return Decision(Reason.SKIPPED_CHANNEL)
    if rules.expires_at is not None and now > rules.expires_at:
        return Decision(Reason.SKIPPED_EXPIRED)
    zone_name = endpoint.demographic.timezone if endpoint.demographic else None
    if rules.schedule.is_local_time:
        due = local_send_time(rules.run_time, rules.schedule, zone_name)
        if due > now:
            return Decision(Reason.DEFERRED_LOCAL_TIME, until=due)
    if rules.quiet is not None:
        until = rules.quiet.until(now, zone_for(zone_name, rules.schedule.timezone))
        if until is not None:
            return Decision(Reason.DEFERRED_QUIET_TIME, until=until)
    if rules.total_cap and sends.total >= rules.total_cap:
        return Decision(Reason.SKIPPED_TOTAL_CAP)
    if rules.daily_cap and sends.daily >= rules.daily_cap:
        return Decision(Reason.SKIPPED_DAILY_CAP)
    assignment = rules.assigner.assign(endpoint.id)
    if assignment.holdout:
        return Decision(Reason.HOLDOUT)
    treatment_id = assignment.treatment_id
    if treatment_id is None or channel not in rules.treatment_channels.get(treatment_id, ()):
        return Decision(Reason.SKIPPED_CHANNEL, treatment_id=treatment_id)
    return Decision(Reason.SEND, treatment_id=treatment_id)


@dataclass
class RunSummary:
    """A run's outcomes counted by reason (one outcome per targeted endpoint)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, reason: Reason | str, count: int = 1) -> None:
        key = str(reason)
        self.counts[key] = self.counts.get(key, 0) + count

    def merge(self, other: RunSummary) -> None:
        for reason, count in other.counts.items():
            self.add(reason, count)

    def _count(self, reason: Reason) -> int:
        return self.counts.get(reason.value, 0)

    @property
    def targeted(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return self._count(Reason.SENT)

    @property
    def failed(self) -> int:
        return self._count(Reason.FAILED)

    @property
    def held_out(self) -> int:
        return self._count(Reason.HOLDOUT)

    @property
    def in_doubt(self) -> int:
        return self._count(Reason.CLAIMED)

    @property
    def skipped(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.counts.items()) if Reason(k).is_skip and v}

    @property
    def deferred(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.counts.items()) if Reason(k).is_deferral and v}

    def to_json(self) -> dict[str, Any]:
        return {
            "Targeted": self.targeted,
            "Sent": self.sent,
            "Failed": self.failed,
            "HeldOut": self.held_out,
            "Skipped": self.skipped,
            "Deferred": self.deferred,
            "InDoubt": self.in_doubt,
        }

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> RunSummary:
        return cls({str(k): int(v) for k, v in counts.items() if v})


# -- message content ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelMessage:
    """What one treatment sends on one channel: a compiled template (from a stored
    template or an inline campaign message) and the sender to use."""

    compiled: CompiledTemplate
    sender: SenderIdentity = field(default_factory=SenderIdentity)
    custom: bool = False  # CUSTOM channel: the rendered body is the payload's Data

    def render(
        self,
        endpoint: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> MessageContent:
        rendered = self.compiled.render(endpoint, variables, now=now)
        if self.custom:
            body = rendered.body if isinstance(rendered, RenderedSms) else ""
            return CustomContent({"Data": body, "Endpoints": {endpoint.get("Id"): endpoint}})
        return rendered


_INLINE_STAMP = "1970-01-01T00:00:00.000Z"


def compile_inline(kind: TemplateType, name: str, body: Mapping[str, Any]) -> CompiledTemplate:
    """Compile an inline message as a one-off template version (the same Handlebars
    engine and checks as stored templates). Raises InvalidRecordError for bad syntax."""
    request = validate_template_request(kind, {k: v for k, v in body.items() if v is not None})
    version = TemplateVersion(
        template_name=name,
        template_type=kind,
        version=1,
        body=request,
        creation_date=_INLINE_STAMP,
        last_modified_date=_INLINE_STAMP,
    )
    return CompiledTemplate(version)


def _push_platform(message: Message, *, apns: bool, default: bool) -> dict[str, Any]:
    platform: dict[str, Any] = {
        "Action": message.action.value if message.action else None,
        "Body": message.body,
        "Title": message.title,
        "Url": message.url,
    }
    if default:
        return platform
    platform["RawContent"] = message.raw_content
    if apns:
        platform["MediaUrl"] = message.media_url
    else:
        platform["ImageIconUrl"] = message.image_icon_url
        platform["ImageUrl"] = message.image_url
        platform["SmallImageIconUrl"] = message.image_small_icon_url
    return {k: v for k, v in platform.items() if v is not None}


def campaign_channel_messages(
    name: str,
    configuration: MessageConfiguration | None,
    templates: Mapping[TemplateType, TemplateVersion],
    custom_delivery: CustomDeliveryConfiguration | None = None,
) -> dict[ChannelType, ChannelMessage]:
    """The message each channel type gets from one treatment.

    ``configuration`` (inline messages) wins over ``templates`` (the versions its
    TemplateConfiguration names, already loaded) channel by channel. Push endpoints
    get their platform's message, else DefaultMessage; the push template serves every
    push type. CUSTOM needs a CustomDeliveryConfiguration (its DeliveryUri is the
    target; EndpointTypes, when given, also routes those channel types to it).
    """
    out: dict[ChannelType, ChannelMessage] = {}
    config = configuration or MessageConfiguration()
    if TemplateType.EMAIL in templates:
        out[ChannelType.EMAIL] = ChannelMessage(CompiledTemplate(templates[TemplateType.EMAIL]))
    if TemplateType.SMS in templates:
        out[ChannelType.SMS] = ChannelMessage(CompiledTemplate(templates[TemplateType.SMS]))
    if TemplateType.VOICE in templates:
        out[ChannelType.VOICE] = ChannelMessage(CompiledTemplate(templates[TemplateType.VOICE]))
    if TemplateType.PUSH in templates:
        push = ChannelMessage(CompiledTemplate(templates[TemplateType.PUSH]))
        for channel in PUSH_MESSAGE_KEYS:
            out[channel] = push
    email = config.email_message
    if email is not None:
        body = {
            "Subject": email.title,
            "HtmlPart": email.html_body,
            "TextPart": email.body,
            "Headers": [h.to_pinpoint() for h in email.headers] if email.headers else None,
        }
        out[ChannelType.EMAIL] = ChannelMessage(
            compile_inline(TemplateType.EMAIL, f"{name}-email", body),
            SenderIdentity(from_address=email.from_address),
        )
    sms = config.sms_message
    if sms is not None:
        out[ChannelType.SMS] = ChannelMessage(
            compile_inline(TemplateType.SMS, f"{name}-sms", {"Body": sms.body}),
            SenderIdentity(
                origination_identity=sms.origination_number or sms.sender_id,
                sms_message_type=(sms.message_type or MessageType.PROMOTIONAL).value,
            ),
        )
    platforms = {
        "APNS": config.apns_message,
        "GCM": config.gcm_message,
        "ADM": config.adm_message,
        "Baidu": config.baidu_message,
    }
    if config.default_message is not None or any(platforms.values()):
        push_body: dict[str, Any] = {}
        if config.default_message is not None:
            push_body["Default"] = _push_platform(config.default_message, apns=False, default=True)
        for key, message in platforms.items():
            if message is not None:
                push_body[key] = _push_platform(message, apns=key == "APNS", default=False)
        push = ChannelMessage(compile_inline(TemplateType.PUSH, f"{name}-push", push_body))
        for channel, attribute in PUSH_MESSAGE_KEYS.items():
            if config.default_message is not None or getattr(config, attribute) is not None:
                out[channel] = push
    if custom_delivery is not None:
        data = config.custom_message.data if config.custom_message else None
        custom = ChannelMessage(
            compile_inline(TemplateType.SMS, f"{name}-custom", {"Body": data or ""}),
            SenderIdentity(custom_target=custom_delivery.delivery_uri),
            custom=True,
        )
        out[ChannelType.CUSTOM] = custom
        for kind in custom_delivery.endpoint_types or ():
            if kind.value in ChannelType.__members__:
                out[ChannelType(kind.value)] = custom
    return out


def campaign_send_event(
    *,
    app_id: str,
    campaign_id: str,
    run_id: str,
    treatment_id: str | None,
    endpoint: Endpoint | None,
    endpoint_id: str,
    status: str,
    now: datetime,
    message_id: str | None = None,
) -> EventRecord:
    """The ``_campaign.send`` record for one endpoint in Pinpoint's event-stream shape.

    ``campaign_activity_id`` is the run id (a Pinpoint campaign run was its
    activity). The event id is derived from (run, endpoint, status), so a retried batch
    produces the same record, which the local store keeps once.
    """
    stamp = to_ms(now)
    attributes = {
        "campaign_id": campaign_id,
        "campaign_activity_id": run_id,
        "treatment_id": treatment_id or BASE_TREATMENT_ID,
        "campaign_send_status": status,
        # Clarion's run id, as the delivery events' message tags carry it, so analytics
        # can group sends, holdouts and engagement by run (docs/analytics.md).
        "run_id": run_id,
    }
    if endpoint is not None and endpoint.channel_type is not None:
        attributes["delivery_type"] = endpoint.channel_type.value
    if message_id:
        attributes["message_id"] = message_id
    summary: dict[str, Any] = {"Id": endpoint_id}
    if endpoint is not None:
        summary.update(
            {
                k: v
                for k, v in endpoint.to_pinpoint().items()
                if k in ("ChannelType", "Address", "EndpointStatus", "OptOut", "Demographic")
            }
        )
    return EventRecord.model_validate(
        {
            "event_type": "_campaign.send",
            "event_timestamp": stamp,
            "arrival_timestamp": stamp,
            "application": {"app_id": app_id, "sdk": {}},
            "client": {"client_id": endpoint_id},
            "attributes": string_attributes(attributes.items()),
            "endpoint": summary,
            "event_id": make_event_id("campaign-send", run_id, endpoint_id, status),
        }
    )
