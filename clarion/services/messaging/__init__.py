"""Messaging use cases: transactional sends (SendMessages, SendUsersMessages)."""

from clarion.services.messaging.transactional import MAX_ATTEMPTS, MessageService

__all__ = ["MAX_ATTEMPTS", "MessageService"]
