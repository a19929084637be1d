"""What a journey's message activity sends, whether it may send it now, and the
``_journey.send`` record of each outcome.

:func:`decide_message` is the journey's own rule for one participant at a message
activity, in this order (docs/journeys.md):

1. endpoint gone → ``SKIPPED_NOT_FOUND``
2. ``OptOut: ALL`` → ``SKIPPED_OPT_OUT``: nothing overrides it, and the participant leaves
3. ``EndpointStatus: INACTIVE`` → ``SKIPPED_INACTIVE``
4. no ChannelType or Address → ``SKIPPED_NO_ADDRESS``
5. the activity does not send on the endpoint's channel → ``SKIPPED_CHANNEL``
6. a closed day, then outside open hours, of the channel (``SendingSchedule`` true)
7. quiet time in the participant's (known) time zone
   — 6 and 7 defer the message (``DEFERRED_*``, the participant waits at the activity)
   with ``WaitForQuietTime`` true, and skip it (``SKIPPED_*``) otherwise
8. ``Limits.TotalCap``, ``TimeframeCap``, ``DailyCap`` (messages of this journey to the
   endpoint in total, of all journeys in the last N days, of this journey in the last
   24 hours) → ``SKIPPED_TOTAL_CAP`` / ``SKIPPED_TIMEFRAME_CAP`` / ``SKIPPED_DAILY_CAP``
9. otherwise ``SEND``.

A skipped message is never silent: it is a step on the participant's path, a counter of
the activity, and a ``_journey.send`` record with its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clarion.domain.audience.endpoint import PUSH_CHANNELS, ChannelType, Endpoint
from clarion.domain.campaigns.channel_messages import ChannelMessage, compile_inline
from clarion.domain.events.records import EventRecord, make_event_id, string_attributes
from clarion.domain.journeys.durations import from_ms, to_ms
from clarion.domain.journeys.engine import PreparedJourney
from clarion.domain.journeys.model import (
    Activity,
    ActivityType,
    CustomMessageActivity,
    EmailMessageActivity,
    JourneyResponse,
    SmsMessageActivity,
)
from clarion.domain.journeys.participant import DAY_MS, Participant
from clarion.domain.journeys.windows import (
    closed_days_until,
    open_hours_until,
    participant_zone,
    quiet_until,
)
from clarion.domain.messaging.delivery import SenderIdentity
from clarion.domain.messaging.direct import MessageType
from clarion.domain.messaging.ledger import Reason
from clarion.domain.templates.compiled import CompiledTemplate
from clarion.domain.templates.model import TemplateType, TemplateVersion

# ``journey_send_status`` of each outcome that is not a delivery result.
JOURNEY_SEND_STATUS = {
    Reason.SENT: "SUCCESS",
    Reason.SKIPPED_NOT_FOUND: "ENDPOINT_NOT_FOUND",
    Reason.SKIPPED_OPT_OUT: "OPT_OUT",
    Reason.SKIPPED_INACTIVE: "ENDPOINT_INACTIVE",
    Reason.SKIPPED_NO_ADDRESS: "ENDPOINT_MISSING_ADDRESS",
    Reason.SKIPPED_CHANNEL: "ENDPOINT_CHANNEL_MISMATCH",
    Reason.SKIPPED_CLOSED_DAY: "CLOSED_DAYS",
    Reason.SKIPPED_OPEN_HOURS: "OUTSIDE_OPEN_HOURS",
    Reason.SKIPPED_QUIET_TIME: "QUIET_TIME",
    Reason.SKIPPED_TOTAL_CAP: "TOTAL_CAP",
    Reason.SKIPPED_TIMEFRAME_CAP: "TIMEFRAME_CAP",
    Reason.SKIPPED_DAILY_CAP: "DAILY_CAP",
    # The project's caps (the message governor), as campaigns record them.
    Reason.SKIPPED_PROJECT_DAILY_CAP: "PROJECT_DAILY_CAP",
    Reason.SKIPPED_PROJECT_TIMEFRAME_CAP: "PROJECT_TIMEFRAME_CAP",
    Reason.SKIPPED_PROJECT_TOTAL_CAP: "PROJECT_TOTAL_CAP",
    Reason.CLAIMED: "IN_DOUBT",
}
# The cross-journey counter TimeframeCap reads (the send ledger's cap counts).
ALL_JOURNEYS = "journeys"
TEMPLATE_TYPES = {
    ActivityType.EMAIL: TemplateType.EMAIL,
    ActivityType.SMS: TemplateType.SMS,
    ActivityType.PUSH: TemplateType.PUSH,
    # Pinpoint had no custom template type: a CUSTOM activity's TemplateName names a
    # text (SMS) template whose body becomes the payload's Data.
    ActivityType.CUSTOM: TemplateType.SMS,
}


@dataclass(frozen=True, slots=True)
class MessageDecision:
    """The journey's decision for one participant at a message activity."""

    reason: Reason
    until_ms: int | None = None
    detail: str | None = None

    @property
    def status(self) -> str:
        return JOURNEY_SEND_STATUS.get(self.reason, self.reason.value)


def activity_channels(activity: Activity) -> frozenset[ChannelType]:
    """The endpoint channels a message activity sends on."""
    kind = activity.type
    if kind == ActivityType.EMAIL:
        return frozenset({ChannelType.EMAIL})
    if kind == ActivityType.SMS:
        return frozenset({ChannelType.SMS})
    if kind == ActivityType.PUSH:
        return frozenset(PUSH_CHANNELS)
    settings = activity.settings
    assert isinstance(settings, CustomMessageActivity)
    types = settings.endpoint_types
    if not types:
        return frozenset(ChannelType)
    channels: set[ChannelType] = set()
    for kind_of in types:
        if kind_of.value == "PUSH":
            channels |= set(PUSH_CHANNELS)
        elif kind_of.value in ChannelType.__members__:
            channels.add(ChannelType(kind_of.value))
    return frozenset(channels)


def decide_message(
    prepared: PreparedJourney,
    activity_id: str,
    participant: Participant,
    endpoint: Endpoint | None,
    now_ms: int,
    *,
    timeframe_sends: int = 0,
) -> MessageDecision:
    """The journey's rule for one participant at a message activity (module
    docstring). ``timeframe_sends``: messages all journeys sent the endpoint in the
    TimeframeCap's days."""
    journey = prepared.journey
    if endpoint is None:
        return MessageDecision(Reason.SKIPPED_NOT_FOUND, detail="the endpoint does not exist")
    if endpoint.is_opted_out:
        return MessageDecision(Reason.SKIPPED_OPT_OUT, detail="the endpoint is opted out")
    if not endpoint.is_active:
        return MessageDecision(Reason.SKIPPED_INACTIVE, detail="the endpoint is INACTIVE")
    channel = endpoint.channel_type
    if channel is None or not endpoint.address:
        return MessageDecision(Reason.SKIPPED_NO_ADDRESS, detail="no ChannelType or Address")
    activity = prepared.activities[activity_id]
    if channel not in activity_channels(activity):
        return MessageDecision(
            Reason.SKIPPED_CHANNEL,
            detail=f"a {activity.type.value} activity does not send to {channel.value} endpoints",
        )
    now = from_ms(now_ms)
    zone = participant_zone(endpoint, journey)
    wait = bool(journey.wait_for_quiet_time)
    if journey.sending_schedule:
        closed = closed_days_until(journey.closed_days, channel, now, zone.local)
        if closed is not None:
            until, name = closed
            detail = f"closed day{f' {name!r}' if name else ''} until {until.isoformat()}"
            if wait:
                return MessageDecision(Reason.DEFERRED_CLOSED_DAY, to_ms(until), detail)
            return MessageDecision(Reason.SKIPPED_CLOSED_DAY, detail=detail)
        opens = open_hours_until(journey.open_hours, channel, now, zone.local)
        if opens is not None:
            detail = f"outside open hours; they open at {opens.isoformat()}"
            if wait:
                return MessageDecision(Reason.DEFERRED_OPEN_HOURS, to_ms(opens), detail)
            return MessageDecision(Reason.SKIPPED_OPEN_HOURS, detail=detail)
    quiet = quiet_until(journey, now, zone)
    if quiet is not None:
        detail = f"quiet time in {zone.name} until {quiet.isoformat()}"
        if wait:
            return MessageDecision(Reason.DEFERRED_QUIET_TIME, to_ms(quiet), detail)
        return MessageDecision(Reason.SKIPPED_QUIET_TIME, detail=detail)
    limits = journey.limits
    if limits is not None:
        if limits.total_cap and participant.total_sends >= limits.total_cap:
            return MessageDecision(
                Reason.SKIPPED_TOTAL_CAP,
                detail=f"{participant.total_sends} messages sent; TotalCap {limits.total_cap}",
            )
        frame = limits.timeframe_cap
        if frame and frame.cap and frame.days and timeframe_sends >= frame.cap:
            return MessageDecision(
                Reason.SKIPPED_TIMEFRAME_CAP,
                detail=(
                    f"{timeframe_sends} messages from journeys in {frame.days} day(s); "
                    f"TimeframeCap {frame.cap}"
                ),
            )
        sent_today = participant.sends_since(now_ms - DAY_MS)
        if limits.daily_cap and sent_today >= limits.daily_cap:
            return MessageDecision(
                Reason.SKIPPED_DAILY_CAP,
                detail=f"{sent_today} messages in 24 hours; DailyCap {limits.daily_cap}",
            )
    return MessageDecision(Reason.SEND)


# -- content ----------------------------------------------------------------------------


def template_reference(activity: Activity) -> tuple[TemplateType, str, str | None] | None:
    """The template a message activity names: (type, name, version), or None."""
    message = activity.message
    if message is None or not message.template_name:
        return None
    return TEMPLATE_TYPES[activity.type], message.template_name, message.template_version


def activity_message(
    journey: JourneyResponse, activity_id: str, template: TemplateVersion | None
) -> ChannelMessage:
    """What a message activity sends: its template (already loaded) with the activity's
    sender settings; a CUSTOM activity's payload Data (its MessageConfig, else the
    template body) goes to its DeliveryUri."""
    activity = journey.activity(activity_id)
    settings = activity.settings
    if isinstance(settings, CustomMessageActivity):
        data = settings.message_config.data if settings.message_config else None
        if data is None and template is not None:
            compiled = CompiledTemplate(template)
        else:
            compiled = compile_inline(
                TemplateType.SMS, f"journey-{journey.id}-{activity_id}", {"Body": data or ""}
            )
        return ChannelMessage(
            compiled, SenderIdentity(custom_target=settings.delivery_uri), custom=True
        )
    if template is None:
        raise ValueError(f"activity {activity_id!r}: its template is not loaded")
    sender = SenderIdentity()
    if isinstance(settings, EmailMessageActivity) and settings.message_config:
        sender = SenderIdentity(from_address=settings.message_config.from_address)
    if isinstance(settings, SmsMessageActivity) and settings.message_config:
        config = settings.message_config
        sender = SenderIdentity(
            origination_identity=config.origination_number or config.sender_id,
            sms_message_type=(config.message_type or MessageType.PROMOTIONAL).value,
        )
    return ChannelMessage(CompiledTemplate(template), sender)


# -- the _journey.send record -------------------------------------------------------------


def journey_send_event(
    *,
    app_id: str,
    journey_id: str,
    activity_id: str,
    activity_type: ActivityType,
    participant: Participant,
    endpoint: Endpoint | None,
    status: str,
    now: datetime,
    message_id: str | None = None,
) -> EventRecord:
    """The ``_journey.send`` record of one outcome, in Pinpoint's event-stream shape:
    attributes ``journey_id``, ``journey_activity_id``, ``journey_run_id``,
    ``journey_send_status`` and ``journey_activity_type``; ``client.client_id`` is the
    endpoint. The event id derives from (journey, activity, entry, endpoint, status), so a
    retried batch stores each record once."""
    stamp = to_ms(now)
    attributes: dict[str, Any] = {
        "journey_id": journey_id,
        "journey_activity_id": activity_id,
        "journey_run_id": participant.run_id,
        "journey_send_status": status,
        "journey_activity_type": activity_type.value,
        # The entry the message belongs to, as its delivery events' tags carry it.
        "run_id": participant.entry_key,
        "message_id": message_id,
    }
    summary: dict[str, Any] = {"Id": participant.endpoint_id}
    if endpoint is not None:
        if endpoint.channel_type is not None:
            attributes["delivery_type"] = endpoint.channel_type.value
        summary.update(
            {
                k: v
                for k, v in endpoint.to_pinpoint().items()
                if k in ("ChannelType", "EndpointStatus", "OptOut", "Demographic")
            }
        )
    return EventRecord.model_validate(
        {
            "event_type": "_journey.send",
            "event_timestamp": stamp,
            "arrival_timestamp": stamp,
            "application": {"app_id": app_id, "sdk": {}},
            "client": {"client_id": participant.endpoint_id},
            "attributes": string_attributes(attributes.items()),
            "endpoint": summary,
            "event_id": make_event_id(
                "journey-send",
                journey_id,
                activity_id,
                participant.entry_key,
                participant.endpoint_id,
                status,
            ),
        }
    )


def ledger_run(journey_id: str, run_id: str | None, activity_id: str) -> str:
    """The send ledger's run key of one message activity in one journey run."""
    return f"journey:{journey_id}:{run_id}:{activity_id}"


def ledger_key(participant: Participant) -> str:
    """The send ledger's key of one participant's entry (the endpoint and the entry)."""
    return f"{participant.endpoint_id}:{participant.entry}"


def message_context_ids(participant: Participant, activity_id: str) -> Mapping[str, str]:
    """The ids a journey message carries (SES tags, SMS context, X-Clarion-* headers)."""
    return {
        "journey_id": participant.journey_id,
        "journey_activity_id": activity_id,
        "journey_run_id": participant.run_id or "",
        "endpoint_id": participant.endpoint_id,
        "run_id": participant.entry_key,
    }
