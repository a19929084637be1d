"""Channels: GetChannels, and Get, Update and Delete of the email, SMS, voice, APNs
(all four), GCM and ADM channels (Baidu is not offered)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation

# Operation name part, platform, request member, response member.
KINDS = (
    ("Email", "EMAIL", "EmailChannelRequest", "EmailChannelResponse"),
    ("Sms", "SMS", "SMSChannelRequest", "SMSChannelResponse"),
    ("Voice", "VOICE", "VoiceChannelRequest", "VoiceChannelResponse"),
    ("Apns", "APNS", "APNSChannelRequest", "APNSChannelResponse"),
    ("ApnsSandbox", "APNS_SANDBOX", "APNSSandboxChannelRequest", "APNSSandboxChannelResponse"),
    ("ApnsVoip", "APNS_VOIP", "APNSVoipChannelRequest", "APNSVoipChannelResponse"),
    (
        "ApnsVoipSandbox",
        "APNS_VOIP_SANDBOX",
        "APNSVoipSandboxChannelRequest",
        "APNSVoipSandboxChannelResponse",
    ),
    ("Gcm", "GCM", "GCMChannelRequest", "GCMChannelResponse"),
    ("Adm", "ADM", "ADMChannelRequest", "ADMChannelResponse"),
)


def _register(label: str, platform: str, request_member: str) -> None:
    def get(call: Call) -> dict[str, Any]:
        call.project()
        return call.root.channel_service.get_channel(call.app_id, platform)

    def update(call: Call) -> dict[str, Any]:
        call.project()
        body = call.body(request_member)
        return call.root.channel_service.update_channel(call.app_id, platform, body)

    def delete(call: Call) -> dict[str, Any]:
        call.project()
        return call.root.channel_service.delete_channel(call.app_id, platform)

    functions: tuple[tuple[str, str, Callable[[Call], dict[str, Any]]], ...] = (
        ("Get", f"The {platform} channel (credentials never echoed).", get),
        ("Update", f"Sets the {platform} channel (credentials as Secrets Manager ARNs).", update),
        ("Delete", f"Removes the {platform} channel.", delete),
    )
    for verb, doc, function in functions:
        function.__doc__ = doc
        function.__name__ = f"{verb.lower()}_{platform.lower()}_channel"
        operation(f"{verb}{label}Channel")(function)


for _label, _platform, _request, _response in KINDS:
    _register(_label, _platform, _request)


@operation("GetChannels")
def get_channels(call: Call) -> dict[str, Any]:
    """Every channel of the project."""
    call.project()
    return {"Channels": call.root.channel_service.channels(call.app_id)}
