"""Transactional sends: Pinpoint's SendMessages and SendUsersMessages.

Reminders, alerts and one-off messages to direct addresses, endpoint ids or user ids,
answered in Pinpoint's MessageResponse / SendUsersMessageResponse shapes.

* Direct ``Addresses`` are sent as given on their ChannelType (there is no endpoint to
  hold an opt-out).
* ``Endpoints`` and ``Users`` are looked up: an endpoint with ``OptOut: ALL`` gets
  ``OPT_OUT`` and nothing is sent; an inactive one ``PERMANENT_FAILURE``.
* With a ``TraceId`` the request is idempotent: each target is claimed in the send
  ledger under the trace id before delivery, so the same request sent again answers
  ``DUPLICATE`` for what was already sent instead of sending it twice.

Retries with a TraceId. A target whose last attempt is known not to have been delivered
can be sent again by repeating the request: when the channel *raised* (the
DeliveryChannel contract: per-message failures come back as results, so a raise means
nothing of the call was delivered), when rendering failed after the claim, or when the
result was ``THROTTLED`` or ``TEMPORARY_FAILURE``. The ledger's claims cannot be undone
(a claim is final, which is what keeps campaign runs at most once), so each retry claims
the target's next *attempt key* (``<key>`` then ``<key>␟attempt-2``, ...): the claim is
still one atomic conditional write, two concurrent retries cannot both win it, and a
target whose last attempt was claimed without an outcome (in doubt: the process died
during delivery), was sent, or failed permanently answers ``DUPLICATE``, as before.
At most :data:`MAX_ATTEMPTS` attempts per target and TraceId.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from clarion.domain.audience.endpoint import PUSH_CHANNELS, ChannelType, Endpoint
from clarion.domain.campaigns.channel_messages import ChannelMessage, compile_inline
from clarion.domain.events.records import MessageContext
from clarion.domain.messaging.delivery import (
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
    SenderIdentity,
    message_id_for,
)
from clarion.domain.messaging.direct import (
    PUSH_MESSAGE_KEYS,
    DirectChannelType,
    DirectMessageConfiguration,
    EndpointSendConfiguration,
    MessageRequest,
    SendUsersMessageRequest,
    validate_message_request,
)
from clarion.domain.messaging.ledger import LedgerOutcome, Reason
from clarion.domain.templates.compiled import CompiledTemplate
from clarion.domain.templates.model import TemplateType, TemplateVersion
from clarion.ports.audience import ProfileStore
from clarion.ports.messaging import DeliveryChannel, SendLedger
from clarion.ports.templates import TemplateRepository
from clarion.services.campaigns.runner import load_templates, utc_now

# Attempts per (TraceId, target); see the module docstring.
MAX_ATTEMPTS = 5
_ATTEMPT_SEPARATOR = "\x1fattempt-"
# Ledger details of FAILED attempts a retry may send again: nothing was delivered.
NOT_SENT = "NOT_SENT"
RETRYABLE_DETAILS = frozenset(
    {DeliveryStatus.THROTTLED.value, DeliveryStatus.TEMPORARY_FAILURE.value, NOT_SENT}
)

STATUS_CODES = {
    DeliveryStatus.SUCCESSFUL: 200,
    DeliveryStatus.THROTTLED: 429,
    DeliveryStatus.TEMPORARY_FAILURE: 500,
    DeliveryStatus.PERMANENT_FAILURE: 400,
    DeliveryStatus.UNKNOWN_FAILURE: 500,
    DeliveryStatus.OPT_OUT: 400,
    DeliveryStatus.DUPLICATE: 400,
}


@dataclass
class _Target:
    key: str  # the ledger key: the endpoint id, or "address:<channel>:<address>"
    channel: ChannelType
    address: str
    overrides: EndpointSendConfiguration
    endpoint: Endpoint | None = None
    status: DeliveryStatus | None = None  # decided before delivery (opt-out...)
    reason: str | None = None
    message_id: str | None = None
    ledger_key: str | None = None  # the attempt key claimed for this send


def attempt_key(key: str, attempt: int) -> str:
    """The ledger key of a target's ``attempt`` (1-based) under one TraceId; the first
    is the target key itself, so ledgers written before retries read the same."""
    return key if attempt == 1 else f"{key}{_ATTEMPT_SEPARATOR}{attempt}"


def is_retryable(outcome: LedgerOutcome) -> bool:
    """A recorded attempt known not to have been delivered (module docstring)."""
    if outcome.reason != Reason.FAILED or not outcome.detail:
        return False
    return outcome.detail.split(":", 1)[0] in RETRYABLE_DETAILS


class Governor(Protocol):
    """The one message governor (``MessageGovernor``), as transactional sends ask it."""

    governs_transactional: bool

    def admit(self, endpoint_ids: Sequence[str], now: datetime) -> Mapping[str, Reason | None]: ...


class MessageService:
    """SendMessages and SendUsersMessages.

    Parameters
    ----------
    profiles, templates, channel
        Endpoints, stored templates and delivery.
    ledger
        Idempotency for requests that carry a TraceId.
    app_id
        The ApplicationId in responses.
    """

    def __init__(
        self,
        profiles: ProfileStore,
        templates: TemplateRepository,
        channel: DeliveryChannel,
        ledger: SendLedger | None = None,
        *,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
        trace_scope: str = "",
        governor: Governor | None = None,
    ) -> None:
        # Transactional sends are exempt from the project's caps unless the governor
        # says it governs them (CLARION_GOVERN_TRANSACTIONAL).
        self._governor = governor
        # Projects share the ledger on AWS: another project's TraceIds are its own.
        self._trace_scope = trace_scope
        self._profiles = profiles
        self._templates = templates
        self._channel = channel
        self._ledger = ledger
        self._app_id = app_id
        self._clock = clock

    def send(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Send a SendMessages or SendUsersMessages body (told apart by ``Users``).

        Raises
        ------
        InvalidRecordError
            A malformed body.
        NotFoundError
            A template the TemplateConfiguration names does not exist.
        """
        request = validate_message_request(body)
        if isinstance(request, SendUsersMessageRequest):
            return self.send_users_messages(request)
        return self.send_messages(request)

    def send_messages(self, request: MessageRequest) -> dict[str, Any]:
        """SendMessages → MessageResponse (``Result`` per address, ``EndpointResult``
        per endpoint id)."""
        targets: list[_Target] = []
        for address, address_config in (request.addresses or {}).items():
            channel = _address_channel(address_config.channel_type)
            key = f"address:{channel.value}:{address}"
            targets.append(_Target(key, channel, address, address_config))
        endpoint_configs = request.endpoints or {}
        endpoints = self._profiles.get_endpoints(list(endpoint_configs))
        for endpoint_id, config in endpoint_configs.items():
            targets.append(self._endpoint_target(endpoint_id, endpoints.get(endpoint_id), config))
        request_id = uuid.uuid4().hex
        self._deliver(request_id, request, targets)
        response: dict[str, Any] = {"ApplicationId": self._app_id, "RequestId": request_id}
        address_results = {
            t.address: _result(t, with_address=False)
            for t in targets
            if t.key.startswith("address:")
        }
        endpoint_results = {
            t.key: _result(t, with_address=True)
            for t in targets
            if not t.key.startswith("address:")
        }
        if address_results:
            response["Result"] = address_results
        if endpoint_results:
            response["EndpointResult"] = endpoint_results
        return response

    def send_users_messages(self, request: SendUsersMessageRequest) -> dict[str, Any]:
        """SendUsersMessages → SendUsersMessageResponse (``Result``: user id → endpoint
        id → EndpointMessageResult). A user with no endpoints gets an empty map."""
        by_user: dict[str, list[_Target]] = {}
        for user_id, config in request.users.items():
            by_user[user_id] = [
                self._endpoint_target(endpoint.id, endpoint, config)
                for endpoint in self._profiles.endpoints_for_user(user_id)
            ]
        request_id = uuid.uuid4().hex
        self._deliver(request_id, request, [t for ts in by_user.values() for t in ts])
        return {
            "ApplicationId": self._app_id,
            "RequestId": request_id,
            "Result": {
                user_id: {t.key: _result(t, with_address=True) for t in targets}
                for user_id, targets in by_user.items()
            },
        }

    # -- internals ---------------------------------------------------------------------

    def _endpoint_target(
        self, endpoint_id: str, endpoint: Endpoint | None, config: EndpointSendConfiguration
    ) -> _Target:
        if endpoint is None:
            return _Target(
                endpoint_id,
                ChannelType.CUSTOM,
                "",
                config,
                status=DeliveryStatus.PERMANENT_FAILURE,
                reason="endpoint not found",
            )
        target = _Target(
            endpoint_id,
            endpoint.channel_type or ChannelType.CUSTOM,
            endpoint.address or "",
            config,
            endpoint,
        )
        if endpoint.is_opted_out:
            target.status, target.reason = DeliveryStatus.OPT_OUT, "the endpoint opted out"
        elif not endpoint.is_active:
            target.status, target.reason = DeliveryStatus.PERMANENT_FAILURE, "endpoint inactive"
        elif endpoint.channel_type is None or not endpoint.address:
            target.status = DeliveryStatus.PERMANENT_FAILURE
            target.reason = "the endpoint has no channel or address"
        return target

    def _deliver(
        self,
        request_id: str,
        request: MessageRequest | SendUsersMessageRequest,
        targets: list[_Target],
    ) -> None:
        templates = load_templates(self._templates, request.template_configuration)
        now = self._clock()
        trace = (self._trace_scope, request.trace_id) if self._trace_scope else (request.trace_id,)
        scope = f"tx-{message_id_for('trace', *trace)}" if request.trace_id else None
        pending = [t for t in targets if t.status is None]
        governor = self._governor
        if governor is not None and governor.governs_transactional:
            governed = [t.key for t in pending if t.endpoint is not None]
            verdicts = governor.admit(governed, now) if governed else {}
            for target in pending:
                capped = verdicts.get(target.key)
                if capped is not None:
                    target.status = DeliveryStatus.PERMANENT_FAILURE
                    target.reason = f"{capped.value}: the project's cap for the endpoint"
            pending = [t for t in pending if t.status is None]
        ledger = self._ledger if scope is not None else None
        if ledger is not None and scope is not None and pending:
            self._claim_attempts(ledger, scope, pending)
            pending = [t for t in pending if t.status is None]
        try:
            results = self._render_and_send(request, templates, scope, request_id, pending, now)
        except Exception as exc:
            # Nothing of this call was delivered (a raising channel sent nothing; a
            # rendering error came before delivery): let a retry claim the next attempt.
            if ledger is not None and scope is not None:
                detail = f"{NOT_SENT}: {type(exc).__name__}: {exc}"[:500]
                ledger.record_outcomes(
                    scope,
                    {
                        t.ledger_key: LedgerOutcome(Reason.FAILED, None, None, None, detail)
                        for t in pending
                        if t.ledger_key is not None
                    },
                )
            raise
        outcomes: dict[str, LedgerOutcome] = {}
        for target in pending:
            if target.message_id is None:
                continue
            result = results.get(target.message_id)
            target.status = result.status if result else DeliveryStatus.UNKNOWN_FAILURE
            target.reason = (result.reason if result else "no result") or None
            reason = Reason.SENT if target.status == DeliveryStatus.SUCCESSFUL else Reason.FAILED
            outcomes[target.ledger_key or target.key] = LedgerOutcome(
                reason, None, None, target.message_id, target.status.value
            )
        # Targets left without a message (no content for the channel) were claimed but
        # not sent, and a retry of the same request would find no content either.
        for target in pending:
            if target.message_id is None and target.ledger_key is not None:
                outcomes[target.ledger_key] = LedgerOutcome(
                    Reason.FAILED, None, None, None, DeliveryStatus.PERMANENT_FAILURE.value
                )
        if ledger is not None and scope is not None and outcomes:
            ledger.record_outcomes(scope, outcomes)

    @staticmethod
    def _claim_attempts(ledger: SendLedger, scope: str, pending: list[_Target]) -> None:
        """Claim each target's next attempt key, or mark it DUPLICATE (module docstring)."""
        keys = [attempt_key(t.key, n) for t in pending for n in range(1, MAX_ATTEMPTS + 1)]
        recorded = ledger.outcomes(scope, keys)
        wanted: dict[str, _Target] = {}
        for target in pending:
            last = 0
            for attempt in range(MAX_ATTEMPTS, 0, -1):
                if attempt_key(target.key, attempt) in recorded:
                    last = attempt
                    break
            if last == 0:
                wanted[attempt_key(target.key, 1)] = target
            elif last < MAX_ATTEMPTS and is_retryable(recorded[attempt_key(target.key, last)]):
                wanted[attempt_key(target.key, last + 1)] = target
            else:
                target.status = DeliveryStatus.DUPLICATE
                target.reason = "already sent for this TraceId"
        claimed = ledger.claim(scope, list(wanted)) if wanted else set()
        for key, target in wanted.items():
            if key in claimed:
                target.ledger_key = key
            else:  # a concurrent request claimed it first
                target.status = DeliveryStatus.DUPLICATE
                target.reason = "already sent for this TraceId"

    def _render_and_send(
        self,
        request: MessageRequest | SendUsersMessageRequest,
        templates: Mapping[TemplateType, TemplateVersion],
        scope: str | None,
        request_id: str,
        pending: list[_Target],
        now: datetime,
    ) -> dict[str, DeliveryResult]:
        messages: list[OutboundMessage] = []
        for target in pending:
            plan = _channel_message(
                request.message_configuration, templates, target.channel, target.overrides
            )
            if plan is None:
                target.status = DeliveryStatus.PERMANENT_FAILURE
                target.reason = f"the request has no message for the {target.channel} channel"
                continue
            context_json = (
                target.endpoint.to_pinpoint()
                if target.endpoint is not None
                else {"Address": target.address, "ChannelType": target.channel.value}
            )
            variables = {
                **_substitutions(request.message_configuration, target.channel),
                **(target.overrides.substitutions or {}),
            }
            target.message_id = message_id_for(scope or request_id, target.key)
            messages.append(
                OutboundMessage(
                    message_id=target.message_id,
                    channel=target.channel,
                    address=target.address,
                    content=plan.render(context_json, variables, now=now),
                    context=MessageContext(
                        app_id=self._app_id,
                        endpoint_id=target.endpoint.id if target.endpoint else None,
                    ),
                    sender=plan.sender,
                )
            )
        if not messages:
            return {}
        return {r.message_id: r for r in self._channel.deliver(messages)}


def _address_channel(kind: DirectChannelType | None) -> ChannelType:
    # PUSH (any push platform) is sent as GCM, Pinpoint's default push platform.
    if kind is None or kind == DirectChannelType.PUSH:
        return ChannelType.GCM
    return ChannelType(kind.value)


def _substitutions(config: DirectMessageConfiguration, channel: ChannelType) -> dict[str, Any]:
    merged: dict[str, Any] = dict(
        config.default_message.substitutions or {} if config.default_message else {}
    )
    specific: Any = None
    if channel == ChannelType.EMAIL:
        specific = config.email_message
    elif channel == ChannelType.SMS:
        specific = config.sms_message
    elif channel == ChannelType.VOICE:
        specific = config.voice_message
    elif channel in PUSH_CHANNELS:
        specific = getattr(config, PUSH_MESSAGE_KEYS[channel], None) or (
            config.default_push_notification_message
        )
    if specific is not None and specific.substitutions:
        merged.update(specific.substitutions)
    return merged


def _channel_message(
    config: DirectMessageConfiguration,
    templates: Mapping[TemplateType, TemplateVersion],
    channel: ChannelType,
    overrides: EndpointSendConfiguration,
) -> ChannelMessage | None:
    """The message for one target: the channel's own message, else DefaultMessage
    (push: the platform's, else DefaultPushNotificationMessage), else the template;
    BodyOverride, TitleOverride and RawContent of the target replace those parts."""
    body_override, title_override = overrides.body_override, overrides.title_override
    default_body = config.default_message.body if config.default_message else None
    if channel == ChannelType.EMAIL:
        email = config.email_message
        simple = email.simple_email if email else None
        sender = SenderIdentity(from_address=email.from_address if email else None)
        if simple is not None or (email is not None and email.body):
            body = {
                "Subject": title_override
                or (simple.subject.data if simple and simple.subject else None),
                "HtmlPart": simple.html_part.data if simple and simple.html_part else None,
                "TextPart": body_override
                or (simple.text_part.data if simple and simple.text_part else None)
                or (email.body if email else None),
                "Headers": [h.to_pinpoint() for h in simple.headers]
                if simple and simple.headers
                else None,
            }
            return ChannelMessage(compile_inline(TemplateType.EMAIL, "direct-email", body), sender)
        if TemplateType.EMAIL in templates:
            return ChannelMessage(CompiledTemplate(templates[TemplateType.EMAIL]), sender)
        return None
    if channel in (ChannelType.SMS, ChannelType.VOICE):
        kind = TemplateType.SMS if channel == ChannelType.SMS else TemplateType.VOICE
        own = config.sms_message if channel == ChannelType.SMS else config.voice_message
        text = body_override or (own.body if own else None) or default_body
        if channel == ChannelType.SMS:
            sms = config.sms_message
            sender = SenderIdentity(
                origination_identity=(sms.origination_number or sms.sender_id) if sms else None,
                sms_message_type=sms.message_type.value
                if sms and sms.message_type
                else "TRANSACTIONAL",
            )
            extra: dict[str, Any] = {}
        else:
            voice = config.voice_message
            sender = SenderIdentity(
                origination_identity=voice.origination_number if voice else None
            )
            extra = {
                "LanguageCode": voice.language_code if voice else None,
                "VoiceId": voice.voice_id if voice else None,
            }
        if text is not None:
            return ChannelMessage(
                compile_inline(kind, f"direct-{kind.value.lower()}", {"Body": text, **extra}),
                sender,
            )
        if kind in templates:
            return ChannelMessage(CompiledTemplate(templates[kind]), sender)
        return None
    if channel in PUSH_CHANNELS:
        own_push = getattr(config, PUSH_MESSAGE_KEYS[channel], None)
        default_push = config.default_push_notification_message
        source = own_push or default_push
        if source is None and default_body is None and TemplateType.PUSH not in templates:
            return None
        if source is None and default_body is None:
            return ChannelMessage(CompiledTemplate(templates[TemplateType.PUSH]))
        platform: dict[str, Any] = {
            "Action": source.action.value if source and source.action else None,
            "Body": body_override or (source.body if source else None) or default_body,
            "Title": title_override or (source.title if source else None),
            "Url": source.url if source else None,
        }
        return ChannelMessage(
            compile_inline(
                TemplateType.PUSH,
                "direct-push",
                {"Default": {k: v for k, v in platform.items() if v is not None}},
            )
        )
    return None


def _result(target: _Target, *, with_address: bool) -> dict[str, Any]:
    status = target.status or DeliveryStatus.UNKNOWN_FAILURE
    result: dict[str, Any] = {"DeliveryStatus": status.value, "StatusCode": STATUS_CODES[status]}
    if with_address and target.address:
        result["Address"] = target.address
    if target.message_id and status == DeliveryStatus.SUCCESSFUL:
        result["MessageId"] = target.message_id
    if target.reason:
        result["StatusMessage"] = target.reason
    return result
