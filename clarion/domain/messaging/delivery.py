"""Messages on their way out, and what came of each delivery.

The campaign engine, journeys and transactional sends all hand ``OutboundMessage``
batches to one ``DeliveryChannel`` port; the local adapter writes them to the outbox,
the AWS adapter sends them through SES v2, End User Messaging and Pinpoint push.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.events.records import MessageContext
from clarion.domain.templates.rendered import (
    RenderedEmail,
    RenderedPush,
    RenderedSms,
    RenderedVoice,
)


class DeliveryStatus(StrEnum):
    """Pinpoint's DeliveryStatus values (MessageResult / EndpointMessageResult)."""

    SUCCESSFUL = "SUCCESSFUL"
    THROTTLED = "THROTTLED"
    TEMPORARY_FAILURE = "TEMPORARY_FAILURE"
    PERMANENT_FAILURE = "PERMANENT_FAILURE"
    UNKNOWN_FAILURE = "UNKNOWN_FAILURE"
    OPT_OUT = "OPT_OUT"
    DUPLICATE = "DUPLICATE"


@dataclass(frozen=True, slots=True)
class CustomContent:
    """What a CUSTOM channel (a Lambda function or an HTTPS webhook) receives."""

    data: dict[str, Any]


MessageContent = RenderedEmail | RenderedSms | RenderedVoice | RenderedPush | CustomContent


@dataclass(frozen=True, slots=True)
class SenderIdentity:
    """Who a message is from: per channel, overridable per campaign or request."""

    from_address: str | None = None  # email: "Name <addr@domain>"
    origination_identity: str | None = None  # SMS/voice: a phone number, sender id or pool
    sms_message_type: str = "PROMOTIONAL"  # or TRANSACTIONAL
    custom_target: str | None = None  # CUSTOM: a Lambda ARN or an https:// URL


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to one address.

    ``message_id`` is Clarion's idempotency key: the same (run, endpoint) always gets
    the same id, so a retried batch can be recognised (see ``message_id_for``).
    """

    message_id: str
    channel: ChannelType
    address: str
    content: MessageContent
    context: MessageContext = field(default_factory=MessageContext)
    sender: SenderIdentity = field(default_factory=SenderIdentity)

    @property
    def endpoint_id(self) -> str | None:
        return self.context.endpoint_id


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What happened to one OutboundMessage."""

    message_id: str
    status: DeliveryStatus
    provider_message_id: str | None = None
    reason: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == DeliveryStatus.SUCCESSFUL

    @property
    def retryable(self) -> bool:
        return self.status in (DeliveryStatus.THROTTLED, DeliveryStatus.TEMPORARY_FAILURE)


def message_id_for(*parts: str) -> str:
    """A deterministic message id from its identifying parts (run id, endpoint id...)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]
