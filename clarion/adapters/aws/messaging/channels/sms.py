"""The SMS channel: one End User Messaging (``pinpoint-sms-voice-v2``)
``SendTextMessage`` call per message (the API has no batch send), and the request
parameters SMS and voice share: destination, configuration set, origination identity
and the MessageContext ids packed in ``Context``."""

from __future__ import annotations

from typing import Any

from clarion.adapters.aws.messaging.channels.results import failure_for, result_for
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.templates.rendered import RenderedSms


def end_user_messaging_params(message: OutboundMessage, settings: AwsSettings) -> dict[str, Any]:
    """The parameters every End User Messaging send of ``message`` carries.

    ``OriginationIdentity`` is the message's, else the deployment's, and is left out
    when neither is set (AWS then chooses one).

    Raises
    ------
    ValueError
        When the MessageContext ids cannot be packed into the request's ``Context``.
    """
    params: dict[str, Any] = {
        "DestinationPhoneNumber": message.address,
        "ConfigurationSetName": settings.sms_configuration_set,
    }
    origination = message.sender.origination_identity or settings.sms_origination_identity
    if origination:
        params["OriginationIdentity"] = origination
    context = message.context.to_sms_context()
    if context:
        params["Context"] = context
    return params


def missing_end_user_messaging_settings(settings: AwsSettings) -> set[str]:
    """The empty settings every End User Messaging send needs: its configuration set,
    without which no delivery events come back."""
    if settings.sms_configuration_set:
        return set()
    return {"sms_configuration_set (CLARION_SMS_CONFIGURATION_SET)"}


class SmsChannel:
    """Sends SMS through End User Messaging ``SendTextMessage``.

    Parameters
    ----------
    sms_voice
        A boto3 ``pinpoint-sms-voice-v2`` client.
    settings : AwsSettings
        ``sms_configuration_set`` (required) and ``sms_origination_identity`` (optional).
    """

    def __init__(self, sms_voice: Any, settings: AwsSettings) -> None:
        self._sms = sms_voice
        self._settings = settings

    def missing_settings(self, message: OutboundMessage) -> set[str]:
        """The empty settings ``message`` needs (named with their environment variables)."""
        return missing_end_user_messaging_settings(self._settings)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send one text message; its result (the provider's message id when accepted).

        Parameters
        ----------
        message : OutboundMessage
            An SMS message with ``RenderedSms`` content; its sender identity sets the
            ``MessageType`` (``PROMOTIONAL`` or ``TRANSACTIONAL``).

        Returns
        -------
        DeliveryResult
            ``SUCCESSFUL``, or the classified failure (an opted-out number is
            ``OPT_OUT``).
        """
        content = message.content
        assert isinstance(content, RenderedSms)
        try:
            params = end_user_messaging_params(message, self._settings)
        except ValueError as exc:
            return result_for(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
        params["MessageBody"] = content.body
        params["MessageType"] = message.sender.sms_message_type
        try:
            response = self._sms.send_text_message(**params)
        except Exception as exc:
            return failure_for(message, exc)
        return result_for(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))
