"""The send events the real services would publish for a message the outbox accepted.

A message handed to SES v2 is followed by its configuration set's ``Send`` event; one
handed to End User Messaging by its first status event (``TEXT_QUEUED`` for SMS,
``VOICE_INITIATED`` for voice). The outbox stands in for those services, so it builds
the same source records (SES v2 event publishing's JSON, End User Messaging's v2 event
JSON, with the message's SES tags or SMS context) and passes them through the same
normalisers the ingestion of real delivery events uses: ``_email.send``,
``_SMS.BUFFERED`` and ``_VOICE.BUFFERED`` records in exactly the form
``clarion events ingest --source ses|sms-v2`` stores, so analytics count a local launch's
messages as sent at once.

Push and custom messages get none: End User Messaging publishes no event for a push it
accepts, nor does a custom channel (a Lambda function or a webhook), so on both
backends the campaign engine's ``_campaign.send`` is their only record (docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.events.normalise.ses import normalise_ses_events
from clarion.domain.events.normalise.sms import normalise_sms_events
from clarion.domain.events.records import EventRecord
from clarion.domain.messaging.delivery import OutboundMessage
from clarion.domain.templates.rendered import RenderedEmail

# SES names the configuration set in every event's tags; the outbox has no real one.
CONFIGURATION_SET = "clarion-outbox"
SMS_FIRST_STATUS = "TEXT_QUEUED"
VOICE_FIRST_STATUS = "VOICE_INITIATED"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def ses_send_record(
    message: OutboundMessage, *, from_address: str, now: datetime
) -> dict[str, Any]:
    """SES v2's ``Send`` event for an email accepted at ``now`` (its ``messageId`` is the
    outbox's message id, the ``.eml`` file's name)."""
    tags: dict[str, list[str]] = {"ses:configuration-set": [CONFIGURATION_SET]}
    for tag in message.context.to_ses_tags():
        tags[tag["Name"]] = [tag["Value"]]
    content = message.content
    subject = content.subject if isinstance(content, RenderedEmail) else ""
    return {
        "eventType": "Send",
        "mail": {
            "timestamp": _iso(now),
            "source": from_address,
            "messageId": message.message_id,
            "destination": [message.address],
            "headersTruncated": False,
            "commonHeaders": {"from": [from_address], "to": [message.address], "subject": subject},
            "tags": tags,
        },
        "send": {},
    }


def sms_v2_record(message: OutboundMessage, *, now: datetime) -> dict[str, Any]:
    """End User Messaging's first status event for an SMS or voice message accepted at
    ``now``."""
    voice = message.channel == ChannelType.VOICE
    status = VOICE_FIRST_STATUS if voice else SMS_FIRST_STATUS
    record: dict[str, Any] = {
        "eventType": status,
        "eventVersion": "1.0",
        "eventTimestamp": _ms(now),
        "isFinal": False,
        "messageId": message.message_id,
        "destinationPhoneNumber": message.address,
        "messageStatus": status.split("_", 1)[1],
        "context": message.context.to_sms_context(),
    }
    if message.sender.origination_identity:
        record["originationPhoneNumber"] = message.sender.origination_identity
    if not voice:
        record["messageType"] = message.sender.sms_message_type
    return record


def send_events(
    messages: Iterable[OutboundMessage], *, app_id: str, from_address: str, now: datetime
) -> list[EventRecord]:
    """The normalised send events of ``messages`` (those on channels that have one).

    Raises
    ------
    ValueError
        A record the normalisers refused: the outbox built it, so that is a bug, never
        input to skip.
    """
    ses: list[dict[str, Any]] = []
    sms: list[dict[str, Any]] = []
    for message in messages:
        if message.channel == ChannelType.EMAIL:
            sender = message.sender.from_address or from_address
            ses.append(ses_send_record(message, from_address=sender, now=now))
        elif message.channel in (ChannelType.SMS, ChannelType.VOICE):
            sms.append(sms_v2_record(message, now=now))
    records: list[EventRecord] = []
    arrival = _ms(now)
    for normalise, batch in ((normalise_ses_events, ses), (normalise_sms_events, sms)):
        if not batch:
            continue
        done, rejects = normalise(batch, app_id=app_id, arrival_timestamp=arrival)
        if rejects:
            raise ValueError(f"the outbox built a send event the normaliser refused: {rejects[0]}")
        records.extend(done)
    return records
