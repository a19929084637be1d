"""Messaging use cases: transactional sends (SendMessages, SendUsersMessages), projects'
channels, and the one message governor every send path asks.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.messaging.channels import ChannelService
    from clarion.services.messaging.governor import MessageGovernor
    from clarion.services.messaging.transactional import MAX_ATTEMPTS, MessageService

_HOMES: dict[str, str] = {
    "ChannelService": "clarion.services.messaging.channels",
    "MAX_ATTEMPTS": "clarion.services.messaging.transactional",
    "MessageGovernor": "clarion.services.messaging.governor",
    "MessageService": "clarion.services.messaging.transactional",
}

__all__ = ["MAX_ATTEMPTS", "ChannelService", "MessageGovernor", "MessageService"]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
