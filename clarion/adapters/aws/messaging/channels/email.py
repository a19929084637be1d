"""The EMAIL channel: one SES v2 ``SendEmail`` call per message, with Clarion's MIME as
``Content.Raw``, the configuration set and the MessageContext ids as tags.

SES's bulk call takes only stored templates, not rendered messages, so there is no
batching here; the composite channel runs these sends on its thread pool."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clarion.adapters.aws.messaging.channels.results import failure_for, result_for
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.messaging.mime import MessageContentError, bare_address, email_bytes


class EmailChannel:
    """Sends email through SES v2 ``SendEmail`` with raw MIME.

    Parameters
    ----------
    sesv2
        A boto3 ``sesv2`` client.
    settings : AwsSettings
        ``ses_configuration_set`` (required) and ``from_address`` (for messages that do
        not name their sender).
    """

    def __init__(self, sesv2: Any, settings: AwsSettings) -> None:
        self._ses = sesv2
        self._settings = settings

    def missing_settings(self, message: OutboundMessage) -> set[str]:
        """The empty settings ``message`` needs (named with their environment variables).

        Without a configuration set no delivery, bounce, open or click events come back,
        so it is required.
        """
        missing: set[str] = set()
        if not self._settings.ses_configuration_set:
            missing.add("ses_configuration_set (CLARION_SES_CONFIGURATION_SET)")
        if not (message.sender.from_address or self._settings.from_address):
            missing.add("from_address (CLARION_FROM_ADDRESS)")
        return missing

    def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send one email; its result (SES's message id when it was accepted).

        Parameters
        ----------
        message : OutboundMessage
            An EMAIL message with ``RenderedEmail`` content.

        Returns
        -------
        DeliveryResult
            ``SUCCESSFUL``, or the classified failure; content that cannot be built into
            MIME is ``PERMANENT_FAILURE`` and never reaches SES.
        """
        sender = message.sender.from_address or self._settings.from_address
        try:
            data = email_bytes(message, from_address=sender, date=datetime.now(UTC))
            tags = message.context.to_ses_tags()
        except (MessageContentError, ValueError) as exc:
            return result_for(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
        params: dict[str, Any] = {
            "FromEmailAddress": bare_address(sender),
            "Destination": {"ToAddresses": [message.address]},
            "Content": {"Raw": {"Data": data}},
            "ConfigurationSetName": self._settings.ses_configuration_set,
        }
        if tags:
            params["EmailTags"] = tags
        try:
            response = self._ses.send_email(**params)
        except Exception as exc:
            return failure_for(message, exc)
        return result_for(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))
