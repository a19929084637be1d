"""Messaging use cases: transactional sends (SendMessages, SendUsersMessages), projects'
channels, and the one message governor every send path asks."""

from clarion.services.messaging.channels import ChannelService
from clarion.services.messaging.governor import MessageGovernor
from clarion.services.messaging.transactional import MAX_ATTEMPTS, MessageService

__all__ = ["MAX_ATTEMPTS", "ChannelService", "MessageGovernor", "MessageService"]
