"""A campaign's messages per channel, compiled once per run from its treatments'
MessageConfiguration or TemplateConfiguration, and the ``_campaign.send`` record of an
outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.campaigns.model import (
    BASE_TREATMENT_ID,
    CustomDeliveryConfiguration,
    Message,
    MessageConfiguration,
)
from clarion.domain.events.records import EventRecord, make_event_id, string_attributes
from clarion.domain.messaging.delivery import CustomContent, MessageContent, SenderIdentity
from clarion.domain.messaging.direct import PUSH_MESSAGE_KEYS, MessageType
from clarion.domain.messaging.ledger import to_ms
from clarion.domain.templates.compiled import CompiledTemplate
from clarion.domain.templates.engine.warnings import RenderWarning
from clarion.domain.templates.model import TemplateType, TemplateVersion, validate_template_request
from clarion.domain.templates.rendered import RenderedSms

# -- message content ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelMessage:
    """What one treatment sends on one channel: a compiled template (from a stored
    template or an inline campaign message) and the sender to use."""

    compiled: CompiledTemplate
    sender: SenderIdentity = field(default_factory=SenderIdentity)
    custom: bool = False  # CUSTOM channel: the rendered body is the payload's Data

    def render(
        self,
        endpoint: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> MessageContent:
        return self.render_checked(endpoint, variables, now=now)[0]

    def render_checked(
        self,
        endpoint: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> tuple[MessageContent, tuple[str, ...]]:
        """The content, and the keys of the warnings its render produced (sorted, each
        once; ``RenderWarning.key``: from the template alone, never the data)."""
        rendered = self.compiled.render(endpoint, variables, now=now)
        keys = tuple(sorted({warning_key(w) for w in rendered.warnings}))
        if self.custom:
            body = rendered.body if isinstance(rendered, RenderedSms) else ""
            content = CustomContent({"Data": body, "Endpoints": {endpoint.get("Id"): endpoint}})
            return content, keys
        return rendered, keys


def warning_key(warning: str) -> str:
    """A rendering warning's key (``RenderWarning.key``); a plain message as itself."""
    return warning.key if isinstance(warning, RenderWarning) else str(warning)


_INLINE_STAMP = "1970-01-01T00:00:00.000Z"


def compile_inline(kind: TemplateType, name: str, body: Mapping[str, Any]) -> CompiledTemplate:
    """Compile an inline message as a one-off template version (the same Handlebars
    engine and checks as stored templates). Raises InvalidRecordError for bad syntax."""
    request = validate_template_request(kind, {k: v for k, v in body.items() if v is not None})
    version = TemplateVersion(
        template_name=name,
        template_type=kind,
        version=1,
        body=request,
        creation_date=_INLINE_STAMP,
        last_modified_date=_INLINE_STAMP,
    )
    return CompiledTemplate(version)


def _push_platform(message: Message, *, apns: bool, default: bool) -> dict[str, Any]:
    platform: dict[str, Any] = {
        "Action": message.action.value if message.action else None,
        "Body": message.body,
        "Title": message.title,
        "Url": message.url,
    }
    if default:
        return platform
    platform["RawContent"] = message.raw_content
    if apns:
        platform["MediaUrl"] = message.media_url
    else:
        platform["ImageIconUrl"] = message.image_icon_url
        platform["ImageUrl"] = message.image_url
        platform["SmallImageIconUrl"] = message.image_small_icon_url
    return {k: v for k, v in platform.items() if v is not None}


def campaign_channel_messages(
    name: str,
    configuration: MessageConfiguration | None,
    templates: Mapping[TemplateType, TemplateVersion],
    custom_delivery: CustomDeliveryConfiguration | None = None,
) -> dict[ChannelType, ChannelMessage]:
    """The message each channel type gets from one treatment.

    ``configuration`` (inline messages) wins over ``templates`` (the versions its
    TemplateConfiguration names, already loaded) channel by channel. Push endpoints
    get their platform's message, else DefaultMessage; the push template serves every
    push type. CUSTOM needs a CustomDeliveryConfiguration (its DeliveryUri is the
    target; EndpointTypes, when given, also routes those channel types to it).
    """
    out: dict[ChannelType, ChannelMessage] = {}
    config = configuration or MessageConfiguration()
    if TemplateType.EMAIL in templates:
        out[ChannelType.EMAIL] = ChannelMessage(CompiledTemplate(templates[TemplateType.EMAIL]))
    if TemplateType.SMS in templates:
        out[ChannelType.SMS] = ChannelMessage(CompiledTemplate(templates[TemplateType.SMS]))
    if TemplateType.VOICE in templates:
        out[ChannelType.VOICE] = ChannelMessage(CompiledTemplate(templates[TemplateType.VOICE]))
    if TemplateType.PUSH in templates:
        push = ChannelMessage(CompiledTemplate(templates[TemplateType.PUSH]))
        for channel in PUSH_MESSAGE_KEYS:
            out[channel] = push
    email = config.email_message
    if email is not None:
        body = {
            "Subject": email.title,
            "HtmlPart": email.html_body,
            "TextPart": email.body,
            "Headers": [h.to_pinpoint() for h in email.headers] if email.headers else None,
        }
        out[ChannelType.EMAIL] = ChannelMessage(
            compile_inline(TemplateType.EMAIL, f"{name}-email", body),
            SenderIdentity(from_address=email.from_address),
        )
    sms = config.sms_message
    if sms is not None:
        out[ChannelType.SMS] = ChannelMessage(
            compile_inline(TemplateType.SMS, f"{name}-sms", {"Body": sms.body}),
            SenderIdentity(
                origination_identity=sms.origination_number or sms.sender_id,
                sms_message_type=(sms.message_type or MessageType.PROMOTIONAL).value,
            ),
        )
    platforms = {
        "APNS": config.apns_message,
        "GCM": config.gcm_message,
        "ADM": config.adm_message,
        "Baidu": config.baidu_message,
    }
    if config.default_message is not None or any(platforms.values()):
        push_body: dict[str, Any] = {}
        if config.default_message is not None:
            push_body["Default"] = _push_platform(config.default_message, apns=False, default=True)
        for key, message in platforms.items():
            if message is not None:
                push_body[key] = _push_platform(message, apns=key == "APNS", default=False)
        push = ChannelMessage(compile_inline(TemplateType.PUSH, f"{name}-push", push_body))
        for channel, attribute in PUSH_MESSAGE_KEYS.items():
            if config.default_message is not None or getattr(config, attribute) is not None:
                out[channel] = push
    if custom_delivery is not None:
        data = config.custom_message.data if config.custom_message else None
        custom = ChannelMessage(
            compile_inline(TemplateType.SMS, f"{name}-custom", {"Body": data or ""}),
            SenderIdentity(custom_target=custom_delivery.delivery_uri),
            custom=True,
        )
        out[ChannelType.CUSTOM] = custom
        for kind in custom_delivery.endpoint_types or ():
            if kind.value in ChannelType.__members__:
                out[ChannelType(kind.value)] = custom
    return out


def campaign_send_event(
    *,
    app_id: str,
    campaign_id: str,
    run_id: str,
    treatment_id: str | None,
    endpoint: Endpoint | None,
    endpoint_id: str,
    status: str,
    now: datetime,
    message_id: str | None = None,
) -> EventRecord:
    """The ``_campaign.send`` record for one endpoint in Pinpoint's event-stream shape.

    ``campaign_activity_id`` is the run id (a Pinpoint campaign run was its
    activity). The event id is derived from (run, endpoint, status), so a retried batch
    produces the same record, which the local store keeps once.
    """
    stamp = to_ms(now)
    attributes = {
        "campaign_id": campaign_id,
        "campaign_activity_id": run_id,
        "treatment_id": treatment_id or BASE_TREATMENT_ID,
        "campaign_send_status": status,
        # Clarion's run id, as the delivery events' message tags carry it, so analytics
        # can group sends, holdouts and engagement by run (docs/analytics.md).
        "run_id": run_id,
    }
    if endpoint is not None and endpoint.channel_type is not None:
        attributes["delivery_type"] = endpoint.channel_type.value
    if message_id:
        attributes["message_id"] = message_id
    summary: dict[str, Any] = {"Id": endpoint_id}
    if endpoint is not None:
        summary.update(
            {
                k: v
                for k, v in endpoint.to_pinpoint().items()
                if k in ("ChannelType", "Address", "EndpointStatus", "OptOut", "Demographic")
            }
        )
    return EventRecord.model_validate(
        {
            "event_type": "_campaign.send",
            "event_timestamp": stamp,
            "arrival_timestamp": stamp,
            "application": {"app_id": app_id, "sdk": {}},
            "client": {"client_id": endpoint_id},
            "attributes": string_attributes(attributes.items()),
            "endpoint": summary,
            "event_id": make_event_id("campaign-send", run_id, endpoint_id, status),
        }
    )
