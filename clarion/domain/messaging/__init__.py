"""Messaging: what delivery sends and returns on every channel, MIME email, the direct
message requests (SendMessages, SendUsersMessages) and the send ledger's outcomes.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.messaging.delivery import (
        CustomContent,
        DeliveryResult,
        DeliveryStatus,
        MessageContent,
        OutboundMessage,
        SenderIdentity,
        message_id_for,
    )
    from clarion.domain.messaging.direct import (
        PUSH_MESSAGE_KEYS,
        Action,
        DirectChannelType,
        DirectMessageConfiguration,
        EndpointSendConfiguration,
        EndpointTypesElement,
        MessageRequest,
        MessageType,
        SendUsersMessageRequest,
        validate_message_request,
    )
    from clarion.domain.messaging.ledger import (
        NO_SENDS,
        SEND_STATUS,
        CapCount,
        LedgerOutcome,
        Reason,
        cap_day,
        from_ms,
        to_ms,
    )
    from clarion.domain.messaging.mime import (
        MIME_POLICY,
        MessageContentError,
        bare_address,
        build_email,
        content_problem,
        email_bytes,
    )

_HOMES: dict[str, str] = {
    "Action": "clarion.domain.messaging.direct",
    "CapCount": "clarion.domain.messaging.ledger",
    "CustomContent": "clarion.domain.messaging.delivery",
    "DeliveryResult": "clarion.domain.messaging.delivery",
    "DeliveryStatus": "clarion.domain.messaging.delivery",
    "DirectChannelType": "clarion.domain.messaging.direct",
    "DirectMessageConfiguration": "clarion.domain.messaging.direct",
    "EndpointSendConfiguration": "clarion.domain.messaging.direct",
    "EndpointTypesElement": "clarion.domain.messaging.direct",
    "LedgerOutcome": "clarion.domain.messaging.ledger",
    "MIME_POLICY": "clarion.domain.messaging.mime",
    "MessageContent": "clarion.domain.messaging.delivery",
    "MessageContentError": "clarion.domain.messaging.mime",
    "MessageRequest": "clarion.domain.messaging.direct",
    "MessageType": "clarion.domain.messaging.direct",
    "NO_SENDS": "clarion.domain.messaging.ledger",
    "OutboundMessage": "clarion.domain.messaging.delivery",
    "PUSH_MESSAGE_KEYS": "clarion.domain.messaging.direct",
    "Reason": "clarion.domain.messaging.ledger",
    "SEND_STATUS": "clarion.domain.messaging.ledger",
    "SendUsersMessageRequest": "clarion.domain.messaging.direct",
    "SenderIdentity": "clarion.domain.messaging.delivery",
    "bare_address": "clarion.domain.messaging.mime",
    "build_email": "clarion.domain.messaging.mime",
    "cap_day": "clarion.domain.messaging.ledger",
    "content_problem": "clarion.domain.messaging.mime",
    "email_bytes": "clarion.domain.messaging.mime",
    "from_ms": "clarion.domain.messaging.ledger",
    "message_id_for": "clarion.domain.messaging.delivery",
    "to_ms": "clarion.domain.messaging.ledger",
    "validate_message_request": "clarion.domain.messaging.direct",
}

__all__ = [
    "MIME_POLICY",
    "NO_SENDS",
    "PUSH_MESSAGE_KEYS",
    "SEND_STATUS",
    "Action",
    "CapCount",
    "CustomContent",
    "DeliveryResult",
    "DeliveryStatus",
    "DirectChannelType",
    "DirectMessageConfiguration",
    "EndpointSendConfiguration",
    "EndpointTypesElement",
    "LedgerOutcome",
    "MessageContent",
    "MessageContentError",
    "MessageRequest",
    "MessageType",
    "OutboundMessage",
    "Reason",
    "SendUsersMessageRequest",
    "SenderIdentity",
    "bare_address",
    "build_email",
    "cap_day",
    "content_problem",
    "email_bytes",
    "from_ms",
    "message_id_for",
    "to_ms",
    "validate_message_request",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
