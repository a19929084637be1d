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

Each channel is one class in :mod:`clarion.adapters.aws.messaging.channels` (``email``,
``sms``, ``voice``, ``push``, ``custom``). :class:`AwsDeliveryChannel` is their
composite: it validates the batch, checks the settings every message needs before
anything is sent, routes each message to its channel, runs the channels' jobs on a small
thread pool and returns one result per message, in input order.

Every email names the SES configuration set and every SMS or voice message the End User
Messaging one, so delivery events flow back; both carry the MessageContext ids (SES tags,
SMS context). Throttling is retried with backoff by botocore's standard retry mode (the
clients come from :mod:`clarion.adapters.aws.common.clients`); what still fails is
classified per service (:func:`~clarion.adapters.aws.messaging.channels.classify_error`).
docs/channels.md has the details, the webhook signature scheme and the IAM needs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from clarion.adapters.aws.messaging.channels.custom import CustomChannel
from clarion.adapters.aws.messaging.channels.email import EmailChannel
from clarion.adapters.aws.messaging.channels.errors import ChannelConfigurationError, classify_error
from clarion.adapters.aws.messaging.channels.push import PushChannel
from clarion.adapters.aws.messaging.channels.results import (
    IndexedResult,
    Job,
    PlannedJob,
    result_for,
)
from clarion.adapters.aws.messaging.channels.sms import SmsChannel
from clarion.adapters.aws.messaging.channels.voice import VoiceChannel
from clarion.adapters.aws.messaging.channels.webhooks import HttpPost
from clarion.bootstrap.settings import AwsSettings
from clarion.domain.audience.endpoint import PUSH_CHANNELS, ChannelType
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.domain.messaging.mime import content_problem

DEFAULT_MAX_WORKERS = 8

_Send = Callable[[OutboundMessage], DeliveryResult]


class _Channel(Protocol):
    # What the composite asks of every channel before sending anything.
    def missing_settings(self, message: OutboundMessage) -> set[str]: ...


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
        self._settings = settings
        self._max_workers = max(1, max_workers)
        email = EmailChannel(sesv2, settings)
        sms = SmsChannel(sms_voice, settings)
        voice = VoiceChannel(sms_voice, settings)
        self._push = PushChannel(pinpoint, settings)
        self._custom = CustomChannel(
            lambda_client,
            secrets,
            settings,
            http_post=http_post,
            allow_http_localhost=allow_http_localhost,
            clock=clock,
            sleep=sleep,
        )
        # The per-message APIs: one job per message. Push and custom plan their batches.
        self._senders: dict[ChannelType, _Send] = {
            ChannelType.EMAIL: email.send,
            ChannelType.SMS: sms.send,
            ChannelType.VOICE: voice.send,
        }
        self._channels: dict[ChannelType, _Channel] = {
            ChannelType.EMAIL: email,
            ChannelType.SMS: sms,
            ChannelType.VOICE: voice,
            ChannelType.CUSTOM: self._custom,
            **dict.fromkeys(PUSH_CHANNELS, self._push),
        }

    @property
    def settings(self) -> AwsSettings:
        """The deployment's settings every channel was built with."""
        return self._settings

    # -- the port -------------------------------------------------------------------------

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        """Send every message; exactly one result per message, in input order.

        Parameters
        ----------
        messages : sequence of OutboundMessage
            Any mix of channels. A message id repeated in the batch is sent once (the
            repeat is ``DUPLICATE``); content that does not suit its channel is
            ``PERMANENT_FAILURE`` without a call.

        Returns
        -------
        list of DeliveryResult
            One per message, in the order given.

        Raises
        ------
        ChannelConfigurationError
            Before anything is sent, when a message needs a setting that is empty.
        """
        results: dict[int, DeliveryResult] = {}
        ready = self._validate(messages, results)
        self._check_configuration([messages[i] for i in ready])
        jobs = self._plan(messages, ready, results)
        for index, result in self._run(jobs, messages):
            results[index] = result
        return [results[index] for index in range(len(messages))]

    # -- plumbing -------------------------------------------------------------------------

    @staticmethod
    def _validate(
        messages: Sequence[OutboundMessage], results: dict[int, DeliveryResult]
    ) -> list[int]:
        # The indices that may go out; the others get their result here.
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
                results[index] = result_for(message, DeliveryStatus.PERMANENT_FAILURE, problem)
            else:
                ready.append(index)
        return ready

    def _check_configuration(self, messages: Sequence[OutboundMessage]) -> None:
        missing: set[str] = set()
        for message in messages:
            channel = self._channels.get(message.channel)
            if channel is not None:
                missing |= channel.missing_settings(message)
        if missing:
            raise ChannelConfigurationError(
                "cannot deliver: these settings are empty: " + ", ".join(sorted(missing))
            )

    def _plan(
        self,
        messages: Sequence[OutboundMessage],
        ready: list[int],
        results: dict[int, DeliveryResult],
    ) -> list[PlannedJob]:
        # Per-message jobs in input order first, then push and custom batches: with one
        # worker, that is the order of the calls.
        jobs: list[PlannedJob] = []
        push: list[int] = []
        custom: list[int] = []
        for index in ready:
            message = messages[index]
            send = self._senders.get(message.channel)
            if send is not None:
                jobs.append(PlannedJob(_single(send, index, message), [index]))
            elif message.channel in PUSH_CHANNELS:
                push.append(index)
            else:
                custom.append(index)
        for plan in (self._push.plan(messages, push), self._custom.plan(messages, custom)):
            results.update(plan.refused)
            jobs.extend(plan.jobs)
        return jobs

    def _run(
        self, jobs: list[PlannedJob], messages: Sequence[OutboundMessage]
    ) -> list[IndexedResult]:
        def guarded(job: PlannedJob) -> list[IndexedResult]:
            # A bug in one job must not cost the other messages their results.
            try:
                return job.run()
            except Exception as exc:
                status, reason = classify_error(exc)
                return [(i, result_for(messages[i], status, reason)) for i in job.indices]

        if self._max_workers == 1 or len(jobs) <= 1:
            return [pair for job in jobs for pair in guarded(job)]
        with ThreadPoolExecutor(
            max_workers=min(self._max_workers, len(jobs)), thread_name_prefix="clarion-send"
        ) as pool:
            futures = [pool.submit(guarded, job) for job in jobs]
            return [pair for future in futures for pair in future.result()]


def _single(send: _Send, index: int, message: OutboundMessage) -> Job:
    return lambda: [(index, send(message))]
