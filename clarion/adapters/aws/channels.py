"""The AWS DeliveryChannel: SES v2, End User Messaging (SMS, voice), Pinpoint push, custom.

=========  ===============================================  ===========================
Channel    API                                              Calls per N messages
=========  ===============================================  ===========================
EMAIL      sesv2 SendEmail, ``Content.Raw`` (Clarion MIME)  N (no personalised batch)
SMS        pinpoint-sms-voice-v2 SendTextMessage            N (no batch API)
VOICE      pinpoint-sms-voice-v2 SendVoiceMessage           N (no batch API)
push       pinpoint SendMessages on the Pinpoint app        ceil(N / 100)
CUSTOM     lambda Invoke (Event) or an HTTPS POST           ceil(N / 100), <= 256 KB each
=========  ===============================================  ===========================

Every email names the SES configuration set and every SMS or voice message the End User
Messaging one, so delivery events flow back; both carry the MessageContext ids (SES tags,
SMS context). Throttling is retried with backoff by botocore's standard retry mode (the
clients come from :mod:`clarion.adapters.aws.clients`); what still fails is classified
per service (:func:`classify_error`). Per-message APIs run on a small thread pool.
docs/channels.md has the details, the webhook signature scheme and the IAM needs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
)

from clarion.domain.endpoint import PUSH_CHANNELS, ChannelType
from clarion.domain.messages import (
    CustomContent,
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
)
from clarion.domain.mime import MessageContentError, bare_address, content_problem, email_bytes
from clarion.domain.rendering import RenderedPush, RenderedSms, RenderedVoice
from clarion.settings import AwsSettings

# Pinpoint SendMessages takes at most 100 addresses a request (Pinpoint quotas,
# "Messages": "Number of recipients per message request").
MAX_PUSH_ADDRESSES = 100
# Custom channel batches: Lambda's asynchronous (Event) invocations take 256 KB of payload;
# webhooks get the same bound, so a receiver can size itself once.
MAX_CUSTOM_MESSAGES = 100
MAX_CUSTOM_PAYLOAD_BYTES = 256 * 1024
CUSTOM_PAYLOAD_VERSION = "1"

SIGNATURE_HEADER = "X-Clarion-Signature"
BATCH_ID_HEADER = "X-Clarion-Batch-Id"
SIGNATURE_TOLERANCE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_ATTEMPTS = 3
# Secrets Manager is read once per container, and again after this long (rotation).
SECRET_TTL_SECONDS = 600.0

DEFAULT_MAX_WORKERS = 8

_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HttpPost = Callable[[str, bytes, Mapping[str, str], float], int]
"""``http_post(url, body, headers, timeout) -> HTTP status``; raises OSError when no
response came (connection refused, timeout)."""


class ChannelConfigurationError(ValueError):
    """The deployment lacks a setting a channel needs (nothing was sent)."""


# -------------------------------------------------------------------- error classification

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",  # SES: the sending rate; botocore retries it as such
        "EC2ThrottledException",
    }
)
# Deployment or account state, not the message: once fixed, the same message goes out.
_TEMPORARY = frozenset(
    {
        "AccessDeniedException",
        "ForbiddenException",
        "AccountSuspendedException",
        "SendingPausedException",
        "ServiceQuotaExceededException",  # End User Messaging spend limits reset monthly
        "InternalServerException",
        "InternalServerErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceException",
        "ResourceNotReadyException",
        "ResourceConflictException",
        "KMSAccessDeniedException",
        "EC2UnexpectedException",
        "ENILimitReachedException",
    }
)
# Sending the same message again through this deployment can never succeed.
_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "BadRequestException",
        "NotFoundException",
        "ValidationException",
        "ResourceNotFoundException",
        "ConflictException",
        "PayloadTooLargeException",
        "MethodNotAllowedException",
        "InvalidRequestContentException",
        "RequestTooLargeException",
        "InvalidParameterValueException",
        "UnsupportedMediaTypeException",
        "RecursiveInvocationException",
    }
)
_SMS_OPT_OUT_REASONS = frozenset({"DESTINATION_PHONE_NUMBER_OPTED_OUT"})


def classify_error(error: Exception) -> tuple[DeliveryStatus, str]:
    """The delivery status and reason for an exception from a send call.

    Called after botocore's retries are spent, so a throttling code here means the
    backoff did not get through: ``THROTTLED`` (retryable later). End User Messaging's
    ``ConflictException`` with reason ``DESTINATION_PHONE_NUMBER_OPTED_OUT`` is
    ``OPT_OUT``. A request that could not be built (client-side validation) is
    ``PERMANENT_FAILURE``; a connection that never opened is ``TEMPORARY_FAILURE``; a
    request whose response was lost (read timeout) is ``UNKNOWN_FAILURE``, because it
    may have been sent, and retrying it could send it twice.
    """
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        reason_code = error.response.get("Reason") or err.get("Reason")
        text = f"{code}: {err.get('Message', '')}".rstrip(": ")
        if reason_code:
            text += f" ({reason_code})"
        if code == "ConflictException" and reason_code in _SMS_OPT_OUT_REASONS:
            return DeliveryStatus.OPT_OUT, text
        if code in _THROTTLING:
            return DeliveryStatus.THROTTLED, text
        if code in _TEMPORARY:
            return DeliveryStatus.TEMPORARY_FAILURE, text
        if code in _PERMANENT:
            return DeliveryStatus.PERMANENT_FAILURE, text
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if isinstance(status, int) and status >= 500:
            return DeliveryStatus.TEMPORARY_FAILURE, text
        return DeliveryStatus.UNKNOWN_FAILURE, text
    if isinstance(error, ParamValidationError):
        return DeliveryStatus.PERMANENT_FAILURE, f"invalid request: {error}"
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return DeliveryStatus.TEMPORARY_FAILURE, f"{type(error).__name__}: {error}"
    if isinstance(error, BotoCoreError):
        return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"
    return DeliveryStatus.UNKNOWN_FAILURE, f"{type(error).__name__}: {error}"


# --------------------------------------------------------------------- webhook signatures


def sign_webhook_body(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Clarion-Signature`` header value: ``t=<unix seconds>,v1=<hex>``.

    ``v1`` is HMAC-SHA256, keyed with the secret's UTF-8 bytes, over
    ``"<t>." + body`` (the exact bytes sent).
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance``
    seconds old (or ahead): what a receiver checks before trusting a delivery."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign_webhook_body(secret, body, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could carry a signed body somewhere the operator never configured.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST with the standard library; the HTTP status (3xx are returned, not followed)."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"not an HTTP URL: {url!r}")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - scheme checked above
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


# ------------------------------------------------------------------------------ the channel

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

Job = Callable[[], list[tuple[int, DeliveryResult]]]


@dataclass
class _PushBatch:
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)  # address -> message index
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)


class AwsDeliveryChannel:
    """A DeliveryChannel on SES v2, End User Messaging, Pinpoint push and custom targets.

    Parameters
    ----------
    sesv2, sms_voice, pinpoint, lambda_client, secrets
        boto3 clients for ``sesv2``, ``pinpoint-sms-voice-v2``, ``pinpoint``, ``lambda``
        and ``secretsmanager``, made with the standard retry mode.
    settings : AwsSettings
        ``ses_configuration_set``, ``from_address``, ``sms_configuration_set``,
        ``sms_origination_identity``, ``pinpoint_app_id``, ``webhook_secret_arn``.
    http_post : callable, optional
        ``(url, body, headers, timeout) -> status`` for webhooks; urllib by default.
    max_workers : int
        Threads for the per-message APIs (SES, SMS, voice); 1 sends in the calling
        thread.
    allow_http_localhost : bool
        Let webhooks use plain ``http://`` to 127.0.0.1/localhost (tests only): every
        other target must be ``https://``.
    clock, sleep
        ``time.time`` and ``time.sleep`` stand-ins, for tests.

    Raises
    ------
    ChannelConfigurationError
        From :meth:`deliver`, before anything is sent, when a message needs a setting
        that is empty (for example email without ``ses_configuration_set``).
    """

    def __init__(
        self,
        sesv2: Any,
        sms_voice: Any,
        pinpoint: Any,
        lambda_client: Any,
        secrets: Any,
        settings: AwsSettings,
        *,
        http_post: HttpPost | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        allow_http_localhost: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ses = sesv2
        self._sms = sms_voice
        self._pinpoint = pinpoint
        self._lambda = lambda_client
        self._secrets = secrets
        self.settings = settings
        self._http_post = http_post or urllib_post
        self._max_workers = max(1, max_workers)
        self._allow_http_localhost = allow_http_localhost
        self._clock = clock
        self._sleep = sleep
        self._secret: tuple[str, float] | None = None
        self._secret_lock = threading.Lock()

    # -- the port -------------------------------------------------------------------------

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        """Send every message; exactly one result per message, in input order."""
        results: dict[int, DeliveryResult] = {}
        seen: set[str] = set()
        ready: list[int] = []
        for index, message in enumerate(messages):
            if message.message_id in seen:
                results[index] = DeliveryResult(
                    message.message_id, DeliveryStatus.DUPLICATE, reason="repeated in the batch"
                )
                continue
            seen.add(message.message_id)
            problem = content_problem(message)
            if problem is not None:
                results[index] = _result(message, DeliveryStatus.PERMANENT_FAILURE, problem)
            else:
                ready.append(index)
        self._check_configuration([messages[i] for i in ready])

        jobs: list[tuple[Job, list[int]]] = []
        push: list[int] = []
        custom: list[int] = []
        for index in ready:
            message = messages[index]
            if message.channel == ChannelType.EMAIL:
                jobs.append((self._job(self._send_email, index, message), [index]))
            elif message.channel == ChannelType.SMS:
                jobs.append((self._job(self._send_sms, index, message), [index]))
            elif message.channel == ChannelType.VOICE:
                jobs.append((self._job(self._send_voice, index, message), [index]))
            elif message.channel in PUSH_CHANNELS:
                push.append(index)
            else:
                custom.append(index)
        jobs.extend(self._push_jobs(messages, push, results))
        jobs.extend(self._custom_jobs(messages, custom, results))

        for index, result in self._run(jobs, messages):
            results[index] = result
        return [results[index] for index in range(len(messages))]

    # -- plumbing -------------------------------------------------------------------------

    def _check_configuration(self, messages: Sequence[OutboundMessage]) -> None:
        settings = self.settings
        missing: set[str] = set()
        for message in messages:
            if message.channel == ChannelType.EMAIL:
                if not settings.ses_configuration_set:
                    missing.add("ses_configuration_set (CLARION_SES_CONFIGURATION_SET)")
                if not (message.sender.from_address or settings.from_address):
                    missing.add("from_address (CLARION_FROM_ADDRESS)")
            elif message.channel in (ChannelType.SMS, ChannelType.VOICE):
                if not settings.sms_configuration_set:
                    missing.add("sms_configuration_set (CLARION_SMS_CONFIGURATION_SET)")
                if message.channel == ChannelType.VOICE and not (
                    message.sender.origination_identity or settings.sms_origination_identity
                ):
                    missing.add("sms_origination_identity (CLARION_SMS_ORIGINATION_IDENTITY)")
            elif message.channel in PUSH_CHANNELS:
                if not settings.pinpoint_app_id:
                    missing.add("pinpoint_app_id (CLARION_PINPOINT_APP_ID)")
            elif (
                message.channel == ChannelType.CUSTOM
                and (message.sender.custom_target or "").lower().startswith(("https:", "http:"))
                and not settings.webhook_secret_arn
            ):
                missing.add("webhook_secret_arn (CLARION_WEBHOOK_SECRET_ARN)")
        if missing:
            raise ChannelConfigurationError(
                "cannot deliver: these settings are empty: " + ", ".join(sorted(missing))
            )

    @staticmethod
    def _job(
        send: Callable[[OutboundMessage], DeliveryResult], index: int, message: OutboundMessage
    ) -> Job:
        return lambda: [(index, send(message))]

    def _run(
        self, jobs: list[tuple[Job, list[int]]], messages: Sequence[OutboundMessage]
    ) -> list[tuple[int, DeliveryResult]]:
        def guarded(job: Job, indices: list[int]) -> list[tuple[int, DeliveryResult]]:
            # A bug in one job must not cost the other messages their results.
            try:
                return job()
            except Exception as exc:
                status, reason = classify_error(exc)
                return [(i, _result(messages[i], status, reason)) for i in indices]

        if self._max_workers == 1 or len(jobs) <= 1:
            return [pair for job, indices in jobs for pair in guarded(job, indices)]
        with ThreadPoolExecutor(
            max_workers=min(self._max_workers, len(jobs)), thread_name_prefix="clarion-send"
        ) as pool:
            futures = [pool.submit(guarded, job, indices) for job, indices in jobs]
            return [pair for future in futures for pair in future.result()]

    # -- email ----------------------------------------------------------------------------

    def _send_email(self, message: OutboundMessage) -> DeliveryResult:
        sender = message.sender.from_address or self.settings.from_address
        try:
            data = email_bytes(message, from_address=sender, date=datetime.now(UTC))
            tags = message.context.to_ses_tags()
        except (MessageContentError, ValueError) as exc:
            return _result(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
        params: dict[str, Any] = {
            "FromEmailAddress": bare_address(sender),
            "Destination": {"ToAddresses": [message.address]},
            "Content": {"Raw": {"Data": data}},
            "ConfigurationSetName": self.settings.ses_configuration_set,
        }
        if tags:
            params["EmailTags"] = tags
        try:
            response = self._ses.send_email(**params)
        except Exception as exc:
            return _failure(message, exc)
        return _result(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))

    # -- SMS and voice --------------------------------------------------------------------

    def _sms_params(self, message: OutboundMessage) -> dict[str, Any]:
        params: dict[str, Any] = {
            "DestinationPhoneNumber": message.address,
            "ConfigurationSetName": self.settings.sms_configuration_set,
        }
        origination = message.sender.origination_identity or self.settings.sms_origination_identity
        if origination:
            params["OriginationIdentity"] = origination
        context = message.context.to_sms_context()
        if context:
            params["Context"] = context
        return params

    def _send_sms(self, message: OutboundMessage) -> DeliveryResult:
        content = message.content
        assert isinstance(content, RenderedSms)
        try:
            params = self._sms_params(message)
        except ValueError as exc:
            return _result(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
        params["MessageBody"] = content.body
        params["MessageType"] = message.sender.sms_message_type
        try:
            response = self._sms.send_text_message(**params)
        except Exception as exc:
            return _failure(message, exc)
        return _result(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))

    def _send_voice(self, message: OutboundMessage) -> DeliveryResult:
        content = message.content
        assert isinstance(content, RenderedVoice)
        try:
            params = self._sms_params(message)
        except ValueError as exc:
            return _result(message, DeliveryStatus.PERMANENT_FAILURE, str(exc))
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
            return _failure(message, exc)
        return _result(message, DeliveryStatus.SUCCESSFUL, provider_id=response.get("MessageId"))

    # -- push -----------------------------------------------------------------------------

    def _push_jobs(
        self,
        messages: Sequence[OutboundMessage],
        indices: list[int],
        results: dict[int, DeliveryResult],
    ) -> list[tuple[Job, list[int]]]:
        # Messages sharing a platform block (everything but title, body and raw content)
        # share a SendMessages call; the personal parts go in per-address overrides.
        open_for: dict[tuple[str, tuple[Any, ...]], _PushBatch] = {}
        batches: list[_PushBatch] = []
        for index in indices:
            message = messages[index]
            content = message.content
            assert isinstance(content, RenderedPush)
            platform = content.for_platform(message.channel.value)
            if platform.action is not None and platform.action not in _PUSH_ACTIONS:
                results[index] = _result(
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
            batch = open_for.get((block, key))
            if not self._fits(batch, block, key, message.address):
                last = batches[-1] if batches else None
                batch = last if self._fits(last, block, key, message.address) else None
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
            batch.addresses[message.address] = index
            batch.configs[message.address] = config
        return [
            (self._push_job(messages, batch), list(batch.addresses.values())) for batch in batches
        ]

    @staticmethod
    def _fits(batch: _PushBatch | None, block: str, key: tuple[Any, ...], address: str) -> bool:
        return (
            batch is not None
            and len(batch.addresses) < MAX_PUSH_ADDRESSES
            and address not in batch.addresses
            and batch.keys.get(block, key) == key
        )

    def _push_job(self, messages: Sequence[OutboundMessage], batch: _PushBatch) -> Job:
        return lambda: self._send_push(messages, batch.blocks, list(batch.addresses.items()), batch)

    def _send_push(
        self,
        messages: Sequence[OutboundMessage],
        blocks: dict[str, dict[str, Any]],
        addresses: list[tuple[str, int]],
        batch: _PushBatch,
    ) -> list[tuple[int, DeliveryResult]]:
        try:
            response = self._pinpoint.send_messages(
                ApplicationId=self.settings.pinpoint_app_id,
                MessageRequest={
                    "Addresses": {address: batch.configs[address] for address, _ in addresses},
                    "MessageConfiguration": blocks,
                },
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("BadRequestException", "PayloadTooLargeException") and len(addresses) > 1:
                # One bad address must not fail the rest: halve until it stands alone.
                middle = len(addresses) // 2
                return self._send_push(
                    messages, blocks, addresses[:middle], batch
                ) + self._send_push(messages, blocks, addresses[middle:], batch)
            return [(index, _failure(messages[index], exc)) for _, index in addresses]
        except Exception as exc:
            return [(index, _failure(messages[index], exc)) for _, index in addresses]
        outcome = response.get("MessageResponse", {}).get("Result", {})
        found: list[tuple[int, DeliveryResult]] = []
        for address, index in addresses:
            message = messages[index]
            item = outcome.get(address)
            if item is None:
                found.append((index, _result(message, DeliveryStatus.UNKNOWN_FAILURE, "no result")))
                continue
            try:
                status = DeliveryStatus(item.get("DeliveryStatus"))
            except ValueError:
                status = DeliveryStatus.UNKNOWN_FAILURE
            reason = None
            if status != DeliveryStatus.SUCCESSFUL:
                reason = f"{item.get('StatusCode')}: {item.get('StatusMessage') or status.value}"
            found.append(
                (index, _result(message, status, reason, provider_id=item.get("MessageId")))
            )
        return found

    # -- custom ---------------------------------------------------------------------------

    def _custom_jobs(
        self,
        messages: Sequence[OutboundMessage],
        indices: list[int],
        results: dict[int, DeliveryResult],
    ) -> list[tuple[Job, list[int]]]:
        groups: dict[str, list[tuple[int, bytes]]] = {}
        for index in indices:
            message = messages[index]
            target = message.sender.custom_target or ""
            problem = self._target_problem(target)
            if problem is None:
                entry = _custom_entry(message)
                if len(entry) + 64 > MAX_CUSTOM_PAYLOAD_BYTES:
                    problem = f"the message is {len(entry)} bytes; a batch may hold 256 KB"
            if problem is not None:
                results[index] = _result(message, DeliveryStatus.PERMANENT_FAILURE, problem)
                continue
            groups.setdefault(target, []).append((index, entry))
        jobs: list[tuple[Job, list[int]]] = []
        for target, entries in groups.items():
            for chunk in _chunks(entries):
                body = _custom_body([entry for _, entry in chunk])
                chunk_indices = [index for index, _ in chunk]
                send = self._invoke_lambda if target.startswith("arn:") else self._post_webhook
                jobs.append((_bind(send, messages, target, body, chunk_indices), chunk_indices))
        return jobs

    def _target_problem(self, target: str) -> str | None:
        if _LAMBDA_ARN.match(target):
            return None
        parts = urlsplit(target)
        if parts.scheme == "https" and parts.hostname:
            return None
        if parts.scheme == "http" and self._allow_http_localhost and parts.hostname in _LOCAL_HOSTS:
            return None
        if parts.scheme == "http":
            return "webhooks must use https:// (plain http:// is refused)"
        return "a custom target must be a Lambda function ARN or an https:// URL"

    def _invoke_lambda(
        self, messages: Sequence[OutboundMessage], target: str, body: bytes, indices: list[int]
    ) -> list[tuple[int, DeliveryResult]]:
        try:
            response = self._lambda.invoke(
                FunctionName=target, InvocationType="Event", Payload=body
            )
        except Exception as exc:
            return [(i, _failure(messages[i], exc)) for i in indices]
        status_code = response.get("StatusCode")
        request_id = response.get("ResponseMetadata", {}).get("RequestId")
        if status_code == 202:
            status, reason = DeliveryStatus.SUCCESSFUL, None
        else:
            status, reason = DeliveryStatus.UNKNOWN_FAILURE, f"Invoke answered {status_code}"
        return [(i, _result(messages[i], status, reason, provider_id=request_id)) for i in indices]

    def _webhook_secret(self) -> str:
        with self._secret_lock:
            now = self._clock()
            if self._secret is None or now - self._secret[1] > SECRET_TTL_SECONDS:
                value = self._secrets.get_secret_value(SecretId=self.settings.webhook_secret_arn)
                secret = value.get("SecretString")
                if not secret:
                    raise ChannelConfigurationError("the webhook secret has no SecretString")
                self._secret = (secret, now)
            return self._secret[0]

    def _post_webhook(
        self, messages: Sequence[OutboundMessage], target: str, body: bytes, indices: list[int]
    ) -> list[tuple[int, DeliveryResult]]:
        try:
            secret = self._webhook_secret()
        except Exception as exc:
            # Never log or return the secret; the error names only the failure.
            return [(i, _failure(messages[i], exc)) for i in indices]
        batch_id = hashlib.sha256(
            "\x1f".join(messages[i].message_id for i in indices).encode()
        ).hexdigest()[:32]
        status: DeliveryStatus = DeliveryStatus.UNKNOWN_FAILURE
        reason: str | None = "not sent"
        for attempt in range(WEBHOOK_ATTEMPTS):
            if attempt:
                # Full jitter, as botocore's standard mode does.
                self._sleep(random.random() * 0.5 * 2**attempt)  # noqa: S311 - jitter only
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "clarion-webhook/1",
                SIGNATURE_HEADER: sign_webhook_body(secret, body, int(self._clock())),
                BATCH_ID_HEADER: batch_id,
            }
            try:
                code = self._http_post(target, body, headers, WEBHOOK_TIMEOUT_SECONDS)
            except OSError as exc:
                status, reason = DeliveryStatus.TEMPORARY_FAILURE, f"{type(exc).__name__}: {exc}"
                continue
            status, reason = _http_status(code)
            if status not in (DeliveryStatus.THROTTLED, DeliveryStatus.TEMPORARY_FAILURE):
                break
        return [(i, _result(messages[i], status, reason, provider_id=batch_id)) for i in indices]


# ---------------------------------------------------------------------------------- helpers


def _result(
    message: OutboundMessage,
    status: DeliveryStatus,
    reason: str | None = None,
    *,
    provider_id: str | None = None,
) -> DeliveryResult:
    return DeliveryResult(message.message_id, status, provider_id, reason)


def _failure(message: OutboundMessage, error: Exception) -> DeliveryResult:
    status, reason = classify_error(error)
    return _result(message, status, reason)


def _http_status(code: int) -> tuple[DeliveryStatus, str | None]:
    if 200 <= code < 300:
        return DeliveryStatus.SUCCESSFUL, None
    if code == 429:
        return DeliveryStatus.THROTTLED, "HTTP 429"
    if code >= 500 or code == 408:
        return DeliveryStatus.TEMPORARY_FAILURE, f"HTTP {code}"
    if 300 <= code < 400:
        return DeliveryStatus.PERMANENT_FAILURE, f"HTTP {code}: redirects are not followed"
    return DeliveryStatus.PERMANENT_FAILURE, f"HTTP {code}"


def _custom_entry(message: OutboundMessage) -> bytes:
    content = message.content
    assert isinstance(content, CustomContent)
    entry = {
        "MessageId": message.message_id,
        "ChannelType": "CUSTOM",
        "Address": message.address,
        "EndpointId": message.context.endpoint_id,
        "Data": content.data,
        "Context": message.context.values(),
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _custom_body(entries: list[bytes]) -> bytes:
    head = f'{{"Version":"{CUSTOM_PAYLOAD_VERSION}","Messages":['.encode()
    return head + b",".join(entries) + b"]}"


def _chunks(entries: list[tuple[int, bytes]]) -> list[list[tuple[int, bytes]]]:
    chunks: list[list[tuple[int, bytes]]] = []
    current: list[tuple[int, bytes]] = []
    size = 64  # the envelope
    for item in entries:
        grown = size + len(item[1]) + 1
        if current and (len(current) >= MAX_CUSTOM_MESSAGES or grown > MAX_CUSTOM_PAYLOAD_BYTES):
            chunks.append(current)
            current, grown = [], 64 + len(item[1]) + 1
        current.append(item)
        size = grown
    if current:
        chunks.append(current)
    return chunks


def _bind(
    send: Callable[
        [Sequence[OutboundMessage], str, bytes, list[int]], list[tuple[int, DeliveryResult]]
    ],
    messages: Sequence[OutboundMessage],
    target: str,
    body: bytes,
    indices: list[int],
) -> Job:
    return lambda: send(messages, target, body, indices)
