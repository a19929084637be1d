"""The VOICE channel: one End User Messaging ``SendVoiceMessage`` call per message (the
API has no batch send), SSML or plain text, with the template's voice."""

from __future__ import annotations

from typing import Any

from clarion.adapters.aws.messaging.channels.results import failure_for, result_for
from clarion.adapters.aws.messaging.channels.sms import (
    end_user_messaging_params,
    missing_end_user_messaging_settings,
)
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.templates.rendered import RenderedVoice


class VoiceChannel:
    """Sends voice messages through End User Messaging ``SendVoiceMessage``.

    Parameters
    ----------
    sms_voice
        A boto3 ``pinpoint-sms-voice-v2`` client.
    settings : AwsSettings
        ``sms_configuration_set`` and ``sms_origination_identity`` (both required, the
        identity unless every message names its own).
    """

    def __init__(self, sms_voice: Any, settings: AwsSettings) -> None:
        self._sms = sms_voice
        self._settings = settings

    def missing_settings(self, message: OutboundMessage) -> set[str]:
        """The empty settings ``message`` needs (named with their environment variables)."""
        missing = missing_end_user_messaging_settings(self._settings)
        if not (message.sender.origination_identity or self._settings.sms_origination_identity):
            missing.add("sms_origination_identity (CLARION_SMS_ORIGINATION_IDENTITY)")
        return missing

    def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send one voice message; its result (the provider's message id when accepted).

        Parameters
        ----------
        message : OutboundMessage
            A VOICE message with ``RenderedVoice`` content: a body starting with
            ``<speak`` is sent as SSML, any other as text.

        Returns
        -------
        DeliveryResult
            ``SUCCESSFUL``, or the classified failure.
        """
        content = message.content
        assert isinstance(content, RenderedVoice)
        try:
            params = end_user_messaging_params(message, self._settings)
        except ValueError as exc:
            return result_for(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
        params["MessageBody"] = content.body
        params["MessageBodyTextType"] = (
            "SSML" if content.body.lstrip().startswith("<speak") else "TEXT"
        )
        if content.voice_id:
            # Pinpoint templates spell voices as Polly does ("Joanna"); the API's enum
            # is upper case.
            params["VoiceId"] = content.voice_id.upper()
        try:
            response = self._sms.send_voice_message(**params)
        except Exception as exc:
            return failure_for(message, exc)
        return result_for(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))
