"""The push channels (APNs, FCM, Baidu, ADM): Pinpoint ``SendMessages`` on the Pinpoint
app, up to 100 addresses a call.

What messages share (the platform block: action, URL, sound, images) goes in the
request's ``MessageConfiguration``; what is personal (title, body, raw content, the ids)
goes in each address's overrides, so personalised pushes still share calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from clarion.adapters.aws.messaging.channels.results import (
    IndexedResult,
    Job,
    Plan,
    PlannedJob,
    failure_for,
    result_for,
)
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.templates.rendered import RenderedPush, RenderedPushPlatform

# Pinpoint SendMessages takes at most 100 addresses a request (Pinpoint quotas,
# "Messages": "Number of recipients per message request").
MAX_PUSH_ADDRESSES = 100

_PUSH_BLOCKS = {
    ChannelType.APNS: "APNSMessage",
    ChannelType.APNS_SANDBOX: "APNSMessage",
    ChannelType.APNS_VOIP: "APNSMessage",
    ChannelType.APNS_VOIP_SANDBOX: "APNSMessage",
    ChannelType.GCM: "GCMMessage",
    ChannelType.BAIDU: "BaiduMessage",
    ChannelType.ADM: "ADMMessage",
}
# RenderedPushPlatform attribute -> field of the platform's Pinpoint message block. Title
# and body are overridden per address; raw content too (it replaces the whole payload).
_COMMON_PUSH_FIELDS = {"action": "Action", "url": "Url", "sound": "Sound"}
_PUSH_FIELDS = {
    "APNSMessage": {**_COMMON_PUSH_FIELDS, "media_url": "MediaUrl"},
    **{
        block: {
            **_COMMON_PUSH_FIELDS,
            "image_url": "ImageUrl",
            "image_icon_url": "ImageIconUrl",
            "small_image_icon_url": "SmallImageIconUrl",
        }
        for block in ("GCMMessage", "BaiduMessage", "ADMMessage")
    },
}
_PUSH_ACTIONS = frozenset({"OPEN_APP", "DEEP_LINK", "URL"})
# A call refused as a whole for these is split, since one bad address may be the cause.
_SPLIT_ON = frozenset({"BadRequestException", "PayloadTooLargeException"})


@dataclass
class _PushBatch:
    """One SendMessages call being filled."""

    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)  # address -> message index
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fits(self, block: str, key: tuple[Any, ...], address: str) -> bool:
        """Whether a message with this block, shared-part key and address can join."""
        return (
            len(self.addresses) < MAX_PUSH_ADDRESSES
            and address not in self.addresses
            and self.keys.get(block, key) == key
        )


class PushChannel:
    """Sends push notifications through Pinpoint ``SendMessages``, batched.

    Parameters
    ----------
    pinpoint
        A boto3 ``pinpoint`` client.
    settings : AwsSettings
        ``pinpoint_app_id``: the Pinpoint app whose push channels hold the credentials.
    """

    def __init__(self, pinpoint: Any, settings: AwsSettings) -> None:
        self._pinpoint = pinpoint
        self._settings = settings

    def missing_settings(self, message: OutboundMessage) -> set[str]:
        """The empty settings ``message`` needs (named with their environment variables)."""
        if self._settings.pinpoint_app_id:
            return set()
        return {"pinpoint_app_id (CLARION_PINPOINT_APP_ID)"}

    def plan(self, messages: Sequence[OutboundMessage], indices: list[int]) -> Plan:
        """The SendMessages calls for the push messages at ``indices`` of ``messages``.

        Parameters
        ----------
        messages : sequence of OutboundMessage
            The whole batch given to ``deliver``.
        indices : list of int
            The push messages among them, with ``RenderedPush`` content.

        Returns
        -------
        Plan
            One job per call, each answering for its addresses; a message whose action
            Pinpoint does not know is refused (``PERMANENT_FAILURE``) before any call.
        """
        plan = Plan()
        open_for: dict[tuple[str, tuple[Any, ...]], _PushBatch] = {}
        batches: list[_PushBatch] = []
        for index in indices:
            message = messages[index]
            content = message.content
            assert isinstance(content, RenderedPush)
            platform = content.for_platform(message.channel.value)
            if platform.action is not None and platform.action not in _PUSH_ACTIONS:
                plan.refused[index] = result_for(
                    message,
                    DeliveryStatus.PERMANENT_FAILURE,
                    f"push action {platform.action!r} is not one of {sorted(_PUSH_ACTIONS)}",
                )
                continue
            block = _PUSH_BLOCKS[message.channel]
            shared = {
                api: getattr(platform, attribute)
                for attribute, api in _PUSH_FIELDS[block].items()
                if getattr(platform, attribute) is not None
            }
            key = (tuple(sorted(shared.items())), platform.title is None, platform.body is None)
            # The batch already holding this block and key, else the newest batch (other
            # platforms' blocks share calls too), else a new one.
            batch = open_for.get((block, key))
            if batch is None or not batch.fits(block, key, message.address):
                last = batches[-1] if batches else None
                fits_last = last is not None and last.fits(block, key, message.address)
                batch = last if fits_last else None
            if batch is None:
                batch = _PushBatch()
                batches.append(batch)
            if block not in batch.blocks:
                if platform.title is not None:
                    shared["Title"] = platform.title
                if platform.body is not None:
                    shared["Body"] = platform.body
                batch.blocks[block] = shared
                batch.keys[block] = key
            open_for[(block, key)] = batch
            batch.addresses[message.address] = index
            batch.configs[message.address] = _address_config(message, platform)
        plan.jobs = [
            PlannedJob(self._job(messages, batch), list(batch.addresses.values()))
            for batch in batches
        ]
        return plan

    def _job(self, messages: Sequence[OutboundMessage], batch: _PushBatch) -> Job:
        return lambda: self._send(messages, batch, list(batch.addresses.items()))

    def _send(
        self,
        messages: Sequence[OutboundMessage],
        batch: _PushBatch,
        addresses: list[tuple[str, int]],
    ) -> list[IndexedResult]:
        try:
            response = self._pinpoint.send_messages(
                ApplicationId=self._settings.pinpoint_app_id,
                MessageRequest={
                    "Addresses": {address: batch.configs[address] for address, _ in addresses},
                    "MessageConfiguration": batch.blocks,
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in _SPLIT_ON and len(addresses) > 1:
                # One bad address must not fail the rest: halve until it stands alone.
                middle = len(addresses) // 2
                return self._send(messages, batch, addresses[:middle]) + self._send(
                    messages, batch, addresses[middle:]
                )
            return [(index, failure_for(messages[index], exc)) for _, index in addresses]
        except Exception as exc:
            return [(index, failure_for(messages[index], exc)) for _, index in addresses]
        outcome = response.get("MessageResponse", {}).get("Result", {})
        return [
            (index, _address_result(messages[index], outcome.get(address)))
            for address, index in addresses
        ]


def _address_config(message: OutboundMessage, platform: RenderedPushPlatform) -> dict[str, Any]:
    # The personal parts of one push: Pinpoint's per-address overrides and the ids.
    config: dict[str, Any] = {"ChannelType": message.channel.value}
    if platform.title is not None:
        config["TitleOverride"] = platform.title
    if platform.body is not None:
        config["BodyOverride"] = platform.body
    if platform.raw_content is not None:
        config["RawContent"] = platform.raw_content
    config["Context"] = {
        **message.context.values(),
        "clarion_message_id": message.message_id,
    }
    return config


def _address_result(message: OutboundMessage, item: Any) -> DeliveryResult:
    # Pinpoint's per-address result (None when the address is missing from the
    # response) already carries a Pinpoint DeliveryStatus.
    if item is None:
        return result_for(message, DeliveryStatus.UNKNOWN_FAILURE, "no result")
    try:
        status = DeliveryStatus(item.get("DeliveryStatus"))
    except ValueError:
        status = DeliveryStatus.UNKNOWN_FAILURE
    reason = None
    if status != DeliveryStatus.SUCCESSFUL:
        reason = f"{item.get('StatusCode')}: {item.get('StatusMessage') or status.value}"
    return result_for(message, status, reason, provider_id=item.get("MessageId"))
