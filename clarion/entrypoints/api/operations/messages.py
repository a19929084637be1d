"""Transactional messages: SendMessages, SendUsersMessages."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("SendMessages")
def send_messages(call: Call) -> dict[str, Any]:
    """Sends to addresses and endpoints (the CLI's ``messages send``)."""
    body = call.body("MessageRequest")
    return call.project().message_service.send({"MessageRequest": body})


@operation("SendUsersMessages")
def send_users_messages(call: Call) -> dict[str, Any]:
    """Sends to every endpoint of each user (the CLI's ``messages send``)."""
    body = call.body("SendUsersMessageRequest")
    return call.project().message_service.send({"SendUsersMessageRequest": body})
