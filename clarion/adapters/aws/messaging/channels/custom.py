"""The CUSTOM channel: messages for one target in batches of up to 100 and 256 KB,
handed to a Lambda function (an asynchronous ``Invoke``) or POSTed, signed with the
host's own secret, to an HTTPS webhook on an allowed host.

The payload is ``{"Version": "1", "Messages": [...]}``, one entry per message with its
id, address, endpoint id, data and MessageContext ids (docs/channels.md)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from clarion.adapters.aws.messaging.channels.errors import ChannelConfigurationError
from clarion.adapters.aws.messaging.channels.results import (
    IndexedResult,
    Plan,
    PlannedJob,
    failure_for,
    result_for,
)
from clarion.adapters.aws.messaging.channels.webhooks import (
    BATCH_ID_HEADER,
    LOCAL_HOSTS,
    SIGNATURE_HEADER,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_TIMEOUT_SECONDS,
    HttpPost,
    host_allowed,
    parse_allowed_hosts,
    sign_webhook_body,
    target_secrets,
    urllib_post,
)
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.messaging.delivery import CustomContent, DeliveryStatus, OutboundMessage

# Lambda's asynchronous (Event) invocations take 256 KB of payload; webhooks get the
# same bound, so a receiver can size itself once.
MAX_CUSTOM_MESSAGES = 100
MAX_CUSTOM_PAYLOAD_BYTES = 256 * 1024
CUSTOM_PAYLOAD_VERSION = "1"
# Secrets Manager is read once per container, and again after this long (rotation).
SECRET_TTL_SECONDS = 600.0

# Room kept for the payload's envelope around the message entries.
_ENVELOPE_BYTES = 64
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+")

TargetSend = Callable[[Sequence[OutboundMessage], str, bytes, list[int]], list[IndexedResult]]
"""``send(messages, target, body, indices)``: delivers one batch body to one target and
answers for the messages at ``indices``."""


class LambdaTarget:
    """Hands a batch to a Lambda function as one asynchronous (``Event``) invocation.

    Parameters
    ----------
    lambda_client
        A boto3 ``lambda`` client.
    """

    def __init__(self, lambda_client: Any) -> None:
        self._lambda = lambda_client

    def send(
        self, messages: Sequence[OutboundMessage], target: str, body: bytes, indices: list[int]
    ) -> list[IndexedResult]:
        """Invoke ``target`` with ``body``; 202 (queued) is ``SUCCESSFUL`` for every
        message of the batch, since the function's own retries take over from there."""
        try:
            response = self._lambda.invoke(
                FunctionName=target, InvocationType="Event", Payload=body
            )
        except Exception as exc:
            return [(i, failure_for(messages[i], exc)) for i in indices]
        status_code = response.get("StatusCode")
        request_id = response.get("ResponseMetadata", {}).get("RequestId")
        if status_code == 202:
            status, reason = DeliveryStatus.SUCCESSFUL, None
        else:
            status, reason = DeliveryStatus.UNKNOWN_FAILURE, f"Invoke answered {status_code}"
        return [
            (i, result_for(messages[i], status, reason, provider_id=request_id)) for i in indices
        ]


class WebhookTarget:
    """POSTs a signed batch to a webhook, retrying throttling and server errors.

    Parameters
    ----------
    secrets
        A boto3 ``secretsmanager`` client.
    settings : AwsSettings
        ``webhook_secret_arn``: the secret whose ``SecretString`` is a JSON object of
        host to that host's signing secret.
    http_post : callable
        ``(url, body, headers, timeout) -> status``.
    clock, sleep
        ``time.time`` and ``time.sleep`` stand-ins.
    """

    def __init__(
        self,
        secrets: Any,
        settings: AwsSettings,
        *,
        http_post: HttpPost,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._secrets = secrets
        self._settings = settings
        self._http_post = http_post
        self._clock = clock
        self._sleep = sleep
        self._secrets_by_host: tuple[dict[str, str], float] | None = None
        self._secret_lock = threading.Lock()

    def send(
        self, messages: Sequence[OutboundMessage], target: str, body: bytes, indices: list[int]
    ) -> list[IndexedResult]:
        """POST ``body`` to ``target``, up to ``WEBHOOK_ATTEMPTS`` times with jittered
        backoff; every message of the batch gets the last answer's status.

        The batch id (``X-Clarion-Batch-Id``, also the provider message id) is the same
        for every attempt, so a receiver can de-duplicate on it.
        """
        host = (urlsplit(target).hostname or "").lower()
        try:
            secret = self._webhook_secret(host)
        except ChannelConfigurationError as exc:
            # The deployment is at fault, not the message: it goes out once the
            # secret names the host.
            return [
                (i, result_for(messages[i], DeliveryStatus.TEMPORARY_FAILURE, str(exc)))
                for i in indices
            ]
        except Exception as exc:
            # Never log or return the secret; the error names only the failure.
            return [(i, failure_for(messages[i], exc)) for i in indices]
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
                SIGNATURE_HEADER: sign_webhook_body(secret, body, int(self._clock()), batch_id),
                BATCH_ID_HEADER: batch_id,
            }
            try:
                code = self._http_post(target, body, headers, WEBHOOK_TIMEOUT_SECONDS)
            except OSError as exc:
                status, reason = DeliveryStatus.TEMPORARY_FAILURE, f"{type(exc).__name__}: {exc}"
                continue
            status, reason = _webhook_status(code)
            if status not in (DeliveryStatus.THROTTLED, DeliveryStatus.TEMPORARY_FAILURE):
                break
        return [(i, result_for(messages[i], status, reason, provider_id=batch_id)) for i in indices]

    def _webhook_secret(self, host: str) -> str:
        # Shared by the pool's threads: one read per TTL, whoever asks first.
        with self._secret_lock:
            now = self._clock()
            cached = self._secrets_by_host
            if cached is None or now - cached[1] > SECRET_TTL_SECONDS:
                value = self._secrets.get_secret_value(SecretId=self._settings.webhook_secret_arn)
                text = value.get("SecretString")
                if not text:
                    raise ChannelConfigurationError("the webhook secret has no SecretString")
                try:
                    cached = (target_secrets(text), now)
                except ValueError as exc:
                    raise ChannelConfigurationError(str(exc)) from None
                self._secrets_by_host = cached
            secret = cached[0].get(host)
            if secret is None:
                raise ChannelConfigurationError(
                    f"the webhook secret holds no signing secret for host {host!r}"
                )
            return secret


class CustomChannel:
    """Sends CUSTOM messages to their sender identity's ``custom_target``, batched per
    target: a Lambda function ARN, or an ``https://`` webhook.

    Parameters
    ----------
    lambda_client, secrets
        boto3 ``lambda`` and ``secretsmanager`` clients.
    settings : AwsSettings
        ``webhook_secret_arn`` (required for webhooks) and ``webhook_allowed_hosts``
        (the hosts webhooks may name; none by default).
    http_post : callable, optional
        ``(url, body, headers, timeout) -> status`` for webhooks; urllib by default.
    allow_http_localhost : bool
        Let webhooks use plain ``http://`` to 127.0.0.1/localhost (tests only).
    clock, sleep
        ``time.time`` and ``time.sleep`` stand-ins, for tests.
    """

    def __init__(
        self,
        lambda_client: Any,
        secrets: Any,
        settings: AwsSettings,
        *,
        http_post: HttpPost | None = None,
        allow_http_localhost: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._allowed_hosts = parse_allowed_hosts(settings.webhook_allowed_hosts)
        self._allow_http_localhost = allow_http_localhost
        self._lambda = LambdaTarget(lambda_client)
        self._webhook = WebhookTarget(
            secrets, settings, http_post=http_post or urllib_post, clock=clock, sleep=sleep
        )

    def missing_settings(self, message: OutboundMessage) -> set[str]:
        """The empty settings ``message`` needs (named with their environment variables)."""
        target = (message.sender.custom_target or "").lower()
        if target.startswith(("https:", "http:")) and not self._settings.webhook_secret_arn:
            return {"webhook_secret_arn (CLARION_WEBHOOK_SECRET_ARN)"}
        return set()

    def plan(self, messages: Sequence[OutboundMessage], indices: list[int]) -> Plan:
        """The invocations and POSTs for the custom messages at ``indices``.

        Parameters
        ----------
        messages : sequence of OutboundMessage
            The whole batch given to ``deliver``.
        indices : list of int
            The CUSTOM messages among them, with ``CustomContent``.

        Returns
        -------
        Plan
            One job per batch body (per target, in target order); a message whose
            target is neither a Lambda ARN nor an allowed URL, or which alone exceeds
            the payload limit, is refused (``PERMANENT_FAILURE``).
        """
        plan = Plan()
        groups: dict[str, list[tuple[int, bytes]]] = {}
        for index in indices:
            message = messages[index]
            target = message.sender.custom_target or ""
            problem = self._target_problem(target)
            if problem is None:
                entry = _custom_entry(message)
                if len(entry) + _ENVELOPE_BYTES > MAX_CUSTOM_PAYLOAD_BYTES:
                    problem = f"the message is {len(entry)} bytes; a batch may hold 256 KB"
            if problem is not None:
                plan.refused[index] = result_for(message, DeliveryStatus.PERMANENT_FAILURE, problem)
                continue
            groups.setdefault(target, []).append((index, entry))
        for target, entries in groups.items():
            send: TargetSend = (
                self._lambda.send if target.startswith("arn:") else self._webhook.send
            )
            for chunk in _chunks(entries):
                body = _custom_body([entry for _, entry in chunk])
                chunk_indices = [index for index, _ in chunk]
                plan.jobs.append(
                    PlannedJob(partial(send, messages, target, body, chunk_indices), chunk_indices)
                )
        return plan

    def _target_problem(self, target: str) -> str | None:
        if _LAMBDA_ARN.match(target):
            return None
        parts = urlsplit(target)
        if parts.scheme == "http" and not (
            self._allow_http_localhost and parts.hostname in LOCAL_HOSTS
        ):
            return "webhooks must use https:// (plain http:// is refused)"
        if parts.scheme not in ("https", "http") or not parts.hostname:
            return "a custom target must be a Lambda function ARN or an https:// URL"
        if not host_allowed(parts.hostname, self._allowed_hosts):
            # Checked before anything is sent: a signed body goes only to hosts the
            # operator listed.
            return (
                f"the webhook host {parts.hostname!r} is not in the allowed hosts "
                "(CLARION_WEBHOOK_ALLOWED_HOSTS)"
            )
        return None


def _webhook_status(code: int) -> tuple[DeliveryStatus, str | None]:
    # Retried: 429 (THROTTLED), 408 and 5xx (TEMPORARY_FAILURE); redirects are refused
    # because a signed body must reach only the configured receiver.
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
    # Greedy, in order: a chunk closes at MAX_CUSTOM_MESSAGES entries or when the next
    # entry (and its comma) would take the body past MAX_CUSTOM_PAYLOAD_BYTES.
    chunks: list[list[tuple[int, bytes]]] = []
    current: list[tuple[int, bytes]] = []
    size = _ENVELOPE_BYTES
    for item in entries:
        grown = size + len(item[1]) + 1
        if current and (len(current) >= MAX_CUSTOM_MESSAGES or grown > MAX_CUSTOM_PAYLOAD_BYTES):
            chunks.append(current)
            current, grown = [], _ENVELOPE_BYTES + len(item[1]) + 1
        current.append(item)
        size = grown
    if current:
        chunks.append(current)
    return chunks
