"""Messaging use cases: transactional sends (SendMessages, SendUsersMessages), projects'
channels, and the one message governor every send path asks.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        try:  # a submodule, as an eager package would have it as an attribute
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
