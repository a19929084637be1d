"""Direct messages: the bodies of Pinpoint's SendMessages (``MessageRequest``) and
SendUsersMessages (``SendUsersMessageRequest``), field for field with the service model,
and which message configuration entry serves each push channel."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError, model_validator

from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import PinpointModel, validation_problems
from clarion.domain.templates.configuration import TemplateConfiguration
from clarion.domain.templates.model import MessageHeader


class Action(StrEnum):
    OPEN_APP = "OPEN_APP"
    DEEP_LINK = "DEEP_LINK"
    URL = "URL"


class MessageType(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    PROMOTIONAL = "PROMOTIONAL"


class EndpointTypesElement(StrEnum):
    """Pinpoint's ChannelType enum with PUSH (EndpointTypes, AddressConfiguration)."""

    PUSH = "PUSH"
    GCM = "GCM"
    APNS = "APNS"
    APNS_SANDBOX = "APNS_SANDBOX"
    APNS_VOIP = "APNS_VOIP"
    APNS_VOIP_SANDBOX = "APNS_VOIP_SANDBOX"
    ADM = "ADM"
    SMS = "SMS"
    VOICE = "VOICE"
    EMAIL = "EMAIL"
    BAIDU = "BAIDU"
    CUSTOM = "CUSTOM"
    IN_APP = "IN_APP"


# -- channels -------------------------------------------------------------------------

# Which MessageConfiguration entry serves an endpoint of each channel type; push types
# fall back to DefaultMessage, as in Pinpoint.
PUSH_MESSAGE_KEYS: dict[ChannelType, str] = {
    ChannelType.APNS: "apns_message",
    ChannelType.APNS_SANDBOX: "apns_message",
    ChannelType.APNS_VOIP: "apns_message",
    ChannelType.APNS_VOIP_SANDBOX: "apns_message",
    ChannelType.GCM: "gcm_message",
    ChannelType.ADM: "adm_message",
    ChannelType.BAIDU: "baidu_message",
}


# -- direct messages (SendMessages, SendUsersMessages) --------------------------------


# AddressConfiguration.ChannelType: Pinpoint's ChannelType enum with PUSH, the same
# values as CustomDeliveryConfiguration.EndpointTypes.
DirectChannelType = EndpointTypesElement


class EndpointSendConfiguration(PinpointModel):
    body_override: str | None = None
    context: dict[str, str] | None = None
    raw_content: str | None = None
    substitutions: dict[str, list[str]] | None = None
    title_override: str | None = None


class AddressConfiguration(EndpointSendConfiguration):
    channel_type: DirectChannelType | None = None


class SimpleEmailPart(PinpointModel):
    charset: str | None = None
    data: str | None = None


class SimpleEmail(PinpointModel):
    html_part: SimpleEmailPart | None = None
    subject: SimpleEmailPart | None = None
    text_part: SimpleEmailPart | None = None
    headers: list[MessageHeader] | None = Field(default=None, max_length=15)


class RawEmail(PinpointModel):
    data: str | None = None


class EmailMessage(PinpointModel):
    body: str | None = None
    feedback_forwarding_address: str | None = None
    from_address: str | None = None
    raw_email: RawEmail | None = None
    reply_to_addresses: list[str] | None = None
    simple_email: SimpleEmail | None = None
    substitutions: dict[str, list[str]] | None = None


class SMSMessage(PinpointModel):
    body: str | None = None
    keyword: str | None = None
    media_url: str | None = None
    message_type: MessageType | None = None
    origination_number: str | None = None
    sender_id: str | None = None
    substitutions: dict[str, list[str]] | None = None
    entity_id: str | None = None
    template_id: str | None = None


class VoiceMessage(PinpointModel):
    body: str | None = None
    language_code: str | None = None
    origination_number: str | None = None
    substitutions: dict[str, list[str]] | None = None
    voice_id: str | None = None


class DefaultMessage(PinpointModel):
    body: str | None = None
    substitutions: dict[str, list[str]] | None = None


class DefaultPushNotificationMessage(PinpointModel):
    action: Action | None = None
    body: str | None = None
    data: dict[str, str] | None = None
    silent_push: bool | None = None
    substitutions: dict[str, list[str]] | None = None
    title: str | None = None
    url: str | None = None


class _PushMessage(DefaultPushNotificationMessage):
    raw_content: str | None = None
    sound: str | None = None


class APNSMessage(_PushMessage):
    apns_push_type: str | None = Field(default=None, alias="APNSPushType")
    badge: int | None = None
    category: str | None = None
    collapse_id: str | None = None
    media_url: str | None = None
    preferred_authentication_method: str | None = None
    priority: str | None = None
    thread_id: str | None = None
    time_to_live: int | None = None


class _AndroidMessage(_PushMessage):
    icon_reference: str | None = None
    image_icon_url: str | None = None
    image_url: str | None = None
    small_image_icon_url: str | None = None


class GCMMessage(_AndroidMessage):
    collapse_key: str | None = None
    preferred_authentication_method: str | None = None
    priority: str | None = None
    restricted_package_name: str | None = None
    time_to_live: int | None = None


class ADMMessage(_AndroidMessage):
    consolidation_key: str | None = None
    expires_after: str | None = None
    md5: str | None = Field(default=None, alias="MD5")


class BaiduMessage(_AndroidMessage):
    time_to_live: int | None = None


class DirectMessageConfiguration(PinpointModel):
    adm_message: ADMMessage | None = Field(default=None, alias="ADMMessage")
    apns_message: APNSMessage | None = Field(default=None, alias="APNSMessage")
    baidu_message: BaiduMessage | None = None
    default_message: DefaultMessage | None = None
    default_push_notification_message: DefaultPushNotificationMessage | None = None
    email_message: EmailMessage | None = None
    gcm_message: GCMMessage | None = Field(default=None, alias="GCMMessage")
    sms_message: SMSMessage | None = Field(default=None, alias="SMSMessage")
    voice_message: VoiceMessage | None = None


class MessageRequest(PinpointModel):
    """The SendMessages body."""

    addresses: dict[str, AddressConfiguration] | None = None
    context: dict[str, str] | None = None
    endpoints: dict[str, EndpointSendConfiguration] | None = None
    message_configuration: DirectMessageConfiguration
    template_configuration: TemplateConfiguration | None = None
    trace_id: str | None = None

    @model_validator(mode="after")
    def _targets(self) -> MessageRequest:
        if not self.addresses and not self.endpoints:
            raise ValueError("give Addresses or Endpoints")
        for address, config in (self.addresses or {}).items():
            if config.channel_type is None:
                raise ValueError(f"Addresses.{address}.ChannelType is required")
        return self


class SendUsersMessageRequest(PinpointModel):
    """The SendUsersMessages body."""

    context: dict[str, str] | None = None
    message_configuration: DirectMessageConfiguration
    template_configuration: TemplateConfiguration | None = None
    trace_id: str | None = None
    users: dict[str, EndpointSendConfiguration] = Field(min_length=1)


def validate_message_request(data: Mapping[str, Any]) -> MessageRequest | SendUsersMessageRequest:
    """A SendMessages body (``Addresses``/``Endpoints``) or a SendUsersMessages body
    (``Users``), checked. A body wrapped as the API takes it (``{"MessageRequest":
    {...}}`` or ``{"SendUsersMessageRequest": {...}}``) is unwrapped.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule.
    """
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    if set(data) == {"MessageRequest"}:
        data = data["MessageRequest"]
    elif set(data) == {"SendUsersMessageRequest"}:
        data = data["SendUsersMessageRequest"]
    model: type[MessageRequest] | type[SendUsersMessageRequest] = (
        SendUsersMessageRequest if "Users" in data else MessageRequest
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
