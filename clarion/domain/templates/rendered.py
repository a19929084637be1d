"""Rendered messages, one shape per template type, each with the warnings its render
produced: what delivery sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    html: str | None
    text: str | None
    headers: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    channel: str = "EMAIL"


@dataclass(frozen=True, slots=True)
class RenderedSms:
    body: str
    warnings: tuple[str, ...] = ()
    channel: str = "SMS"


@dataclass(frozen=True, slots=True)
class RenderedVoice:
    body: str
    language_code: str | None
    voice_id: str | None
    warnings: tuple[str, ...] = ()
    channel: str = "VOICE"


@dataclass(frozen=True, slots=True)
class RenderedPushPlatform:
    """One push platform's message; field names follow the Pinpoint template's."""

    action: str | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    sound: str | None = None
    image_url: str | None = None
    image_icon_url: str | None = None
    small_image_icon_url: str | None = None
    media_url: str | None = None
    raw_content: str | None = None


PUSH_PLATFORMS = ("ADM", "APNS", "Baidu", "GCM")


@dataclass(frozen=True, slots=True)
class RenderedPush:
    """Push content: ``default`` plus each platform the template sets.

    Use :meth:`for_platform` for what one endpoint's channel should receive.
    """

    default: RenderedPushPlatform
    platforms: Mapping[str, RenderedPushPlatform]
    warnings: tuple[str, ...] = ()
    channel: str = "PUSH"

    def for_platform(self, channel_type: str) -> RenderedPushPlatform:
        """Content for an endpoint ChannelType (APNS_SANDBOX uses APNS, and so on):
        each field of the platform's template, else the Default template's."""
        key = {"APNS_SANDBOX": "APNS", "APNS_VOIP": "APNS", "APNS_VOIP_SANDBOX": "APNS"}.get(
            channel_type, channel_type
        )
        key = "Baidu" if key == "BAIDU" else key
        specific = self.platforms.get(key)
        if specific is None:
            return self.default
        merged = {
            name: getattr(specific, name)
            if getattr(specific, name) is not None
            else getattr(self.default, name, None)
            for name in RenderedPushPlatform.__slots__
        }
        return RenderedPushPlatform(**merged)


RenderedMessage = RenderedEmail | RenderedSms | RenderedPush | RenderedVoice

# The fields of a push platform's template, and the RenderedPushPlatform attribute each
# renders into.
PUSH_FIELDS = {
    "Action": "action",
    "Title": "title",
    "Body": "body",
    "Url": "url",
    "Sound": "sound",
    "ImageUrl": "image_url",
    "ImageIconUrl": "image_icon_url",
    "SmallImageIconUrl": "small_image_icon_url",
    "MediaUrl": "media_url",
    "RawContent": "raw_content",
}
# Settings, not content: passed through as written.
LITERAL_PUSH_FIELDS = frozenset({"Action", "Sound"})
