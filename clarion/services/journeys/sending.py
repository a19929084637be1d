"""Every journey message goes through :class:`JourneyMessages`: one seam that decides
whether each message may go, records the ones that may not with their reason, and
delivers the rest exactly as campaign messages are delivered.

``send`` takes the participants waiting at message activities and, for each:

1. **decides** (:meth:`JourneyMessages.gate`): the journey's own rules
   (:func:`clarion.domain.journeys.sending.decide_message`: opt-out, inactive, channel,
   closed days, open hours, quiet time, TotalCap, TimeframeCap, DailyCap), then the
   project's one message governor (:class:`SendGovernor`: ApplicationSettings Limits
   and JourneyLimits, counted across campaigns, journeys and triggers). What may not
   go is recorded with its reason: an outcome in the send ledger, a ``_journey.send``
   record, a step on the participant's path. Nothing is dropped silently.
2. **claims** the rest in the send ledger, per (journey run, activity) and
   (endpoint, entry), before delivering: a retried batch gets back nothing it sent, and
   reads the earlier outcome instead (a claim without one is in doubt and never resent);
3. **renders and delivers** through the DeliveryChannel, the ids travelling with each
   message (``journey_id``, ``journey_activity_id``, ``journey_run_id``, the entry as
   ``run_id``: SES tags, the SMS context, the outbox's ``X-Clarion-*`` headers), so the
   delivery and engagement events come back attributed;
4. **records** each outcome (ledger, cross-journey send counts for TimeframeCap,
   ``_journey.send``), and holds the batch to ``Limits.MessagesPerSecond``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.campaigns.channel_messages import ChannelMessage
from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.events.records import EventRecord, MessageContext
from clarion.domain.journeys.engine import MessageOutcome, PreparedJourney
from clarion.domain.journeys.participant import Participant
from clarion.domain.journeys.sending import (
    ALL_JOURNEYS,
    JOURNEY_SEND_STATUS,
    MessageDecision,
    activity_message,
    decide_message,
    journey_send_event,
    ledger_key,
    ledger_run,
    message_context_ids,
    template_reference,
)
from clarion.domain.messaging.delivery import OutboundMessage, message_id_for
from clarion.domain.messaging.ledger import LedgerOutcome, Reason, cap_day
from clarion.domain.templates.model import TemplateVersion
from clarion.ports.events import EventSink
from clarion.ports.messaging import DeliveryChannel, SendLedger
from clarion.ports.templates import TemplateRepository

LEAVING = frozenset({Reason.SKIPPED_OPT_OUT, Reason.SKIPPED_NOT_FOUND})


class SendGovernor(Protocol):
    """The project's one message governor (``clarion.services.messaging.MessageGovernor``:
    ApplicationSettings Limits and JourneyLimits across campaigns, journeys and social
    triggers), asked once per batch about the endpoints the journey's own rules let
    through. It counts each one it admits (None) and names the cap (a ``SKIPPED_PROJECT_*``
    Reason) of each one that may not get the message."""

    def admit(self, endpoint_ids: Sequence[str], now: datetime) -> Mapping[str, Reason | None]: ...


@dataclass(frozen=True)
class PreparedMessages:
    """A journey's compiled messages, by activity."""

    journey: PreparedJourney
    messages: Mapping[str, ChannelMessage]


@dataclass
class SendReport:
    """Counts of one batch's message outcomes, by send status."""

    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


class JourneyMessages:
    """The one seam every journey message passes (module docstring).

    Parameters
    ----------
    templates, ledger, channel, events
        The ports messages go through.
    app_id
        The project id messages and records carry.
    governor
        The project-wide governor, when there is one.
    sleep, monotonic
        Pacing of Limits.MessagesPerSecond (tests pass fakes).
    """

    def __init__(
        self,
        templates: TemplateRepository,
        ledger: SendLedger,
        channel: DeliveryChannel,
        events: EventSink | None,
        *,
        app_id: str = "clarion",
        governor: SendGovernor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._templates = templates
        self._ledger = ledger
        self._channel = channel
        self._events = events
        self._app_id = app_id
        self.governor = governor
        self._sleep = sleep
        self._monotonic = monotonic

    # -- preparation ------------------------------------------------------------------

    def prepare(self, prepared: PreparedJourney) -> PreparedMessages:
        """Load and compile every message activity's template.

        Raises
        ------
        InvalidRecordError
            A template the journey names does not exist (or does not compile), naming
            the activity's TemplateName field.
        """
        from clarion.domain.common.errors import FieldProblem, NotFoundError

        messages: dict[str, ChannelMessage] = {}
        problems = []
        for activity_id, activity in prepared.activities.items():
            if not activity.type.is_message:
                continue
            reference = template_reference(activity)
            template: TemplateVersion | None = None
            if reference is not None:
                kind, name, version = reference
                try:
                    template = self._templates.get_template(kind, name).version(version)
                except NotFoundError as exc:
                    field_name = f"Activities.{activity_id}.{activity.type.value}.TemplateName"
                    problems.append(FieldProblem(field_name, str(exc)))
                    continue
            messages[activity_id] = activity_message(prepared.journey, activity_id, template)
        if problems:
            raise InvalidRecordError(problems)
        return PreparedMessages(prepared, messages)

    # -- the seam ---------------------------------------------------------------------

    def gate(
        self,
        prepared: PreparedMessages,
        waiting: Sequence[tuple[Participant, str]],
        endpoints: Mapping[str, Endpoint],
        now: datetime,
    ) -> dict[str, MessageDecision]:
        """Decide, for each (participant, message activity), whether the message may go
        now: the journey's rules, then the governor. Returns the decisions by endpoint
        id (``SEND`` for those that may go); the caller records the others."""
        journey = prepared.journey
        now_ms = int(now.timestamp() * 1000)
        timeframe = self._timeframe_counts(journey, [p.endpoint_id for p, _ in waiting], now)
        decisions: dict[str, MessageDecision] = {}
        for participant, activity_id in waiting:
            decisions[participant.endpoint_id] = decide_message(
                journey,
                activity_id,
                participant,
                endpoints.get(participant.endpoint_id),
                now_ms,
                timeframe_sends=timeframe.get(participant.endpoint_id, 0),
            )
        if self.governor is not None:
            # Last, as for campaigns: only what would otherwise go is counted.
            allowed = [e for e, d in decisions.items() if d.reason == Reason.SEND]
            verdicts = self.governor.admit(allowed, now) if allowed else {}
            for endpoint_id, capped in verdicts.items():
                if capped is not None:
                    decisions[endpoint_id] = MessageDecision(
                        capped, detail=f"the project's limits (ApplicationSettings): {capped.value}"
                    )
        return decisions

    def _timeframe_counts(
        self, journey: PreparedJourney, endpoint_ids: Sequence[str], now: datetime
    ) -> dict[str, int]:
        limits = journey.journey.limits
        frame = limits.timeframe_cap if limits else None
        if not frame or not frame.cap or not frame.days or not endpoint_ids:
            return {}
        totals: dict[str, int] = {}
        for back in range(frame.days):
            day = cap_day(now - timedelta(days=back))
            for endpoint_id, count in self._ledger.cap_counts(
                ALL_JOURNEYS, endpoint_ids, day
            ).items():
                totals[endpoint_id] = totals.get(endpoint_id, 0) + count.daily
        return totals

    # -- sending ----------------------------------------------------------------------

    def send(
        self,
        prepared: PreparedMessages,
        waiting: Sequence[tuple[Participant, str]],
        endpoints: Mapping[str, Endpoint],
        now: datetime,
        report: SendReport | None = None,
    ) -> dict[str, MessageOutcome]:
        """Decide, record, claim, deliver and record again for each participant waiting
        at a message activity (module docstring); returns each participant's outcome by
        endpoint id."""
        journey = prepared.journey
        decisions = self.gate(prepared, waiting, endpoints, now)
        outcomes: dict[str, MessageOutcome] = {}
        events: list[EventRecord] = []
        ledger_outcomes: dict[str, dict[str, LedgerOutcome]] = {}
        claims: dict[str, list[tuple[Participant, str]]] = {}
        for participant, activity_id in waiting:
            decision = decisions[participant.endpoint_id]
            run_key = ledger_run(journey.id, participant.run_id, activity_id)
            if decision.reason == Reason.SEND:
                claims.setdefault(run_key, []).append((participant, activity_id))
                continue
            detail = {"Reason": decision.reason.value, "Why": decision.detail}
            if decision.until_ms is not None:
                outcomes[participant.endpoint_id] = MessageOutcome(
                    decision.status, until_ms=decision.until_ms, detail=detail
                )
                continue
            outcomes[participant.endpoint_id] = MessageOutcome(
                decision.status, leaves=decision.reason in LEAVING, detail=detail
            )
            ledger_outcomes.setdefault(run_key, {})[ledger_key(participant)] = LedgerOutcome(
                decision.reason, None, None, None, decision.detail
            )
            events.append(
                self._event(prepared, participant, activity_id, endpoints, decision.status, now)
            )
        messages: list[tuple[OutboundMessage, Participant, str, str]] = []
        for run_key, members in claims.items():
            keys = {ledger_key(p): (p, a) for p, a in members}
            claimed = self._ledger.claim(run_key, list(keys))
            earlier = [k for k in keys if k not in claimed]
            if earlier:
                recorded = self._ledger.outcomes(run_key, earlier)
                for key in earlier:
                    participant, activity_id = keys[key]
                    outcomes[participant.endpoint_id] = self._earlier(recorded.get(key))
            for key in keys:
                if key not in claimed:
                    continue
                participant, activity_id = keys[key]
                try:
                    message = self._message(
                        prepared, participant, activity_id, endpoints, now, run_key
                    )
                except (ValueError, InvalidRecordError) as exc:
                    status = "RENDERING_FAILURE"
                    outcomes[participant.endpoint_id] = MessageOutcome(
                        status, detail={"Reason": Reason.FAILED.value, "Why": str(exc)}
                    )
                    ledger_outcomes.setdefault(run_key, {})[key] = LedgerOutcome(
                        Reason.FAILED, None, None, None, f"{status}: {exc}"
                    )
                    events.append(
                        self._event(prepared, participant, activity_id, endpoints, status, now)
                    )
                    continue
                messages.append((message, participant, activity_id, run_key))
        started = self._monotonic()
        results = (
            {r.message_id: r for r in self._channel.deliver([m for m, _, _, _ in messages])}
            if messages
            else {}
        )
        delivered: list[str] = []
        for message, participant, activity_id, run_key in messages:
            result = results.get(message.message_id)
            key = ledger_key(participant)
            if result is not None and result.delivered:
                status = JOURNEY_SEND_STATUS[Reason.SENT]
                outcome = LedgerOutcome(
                    Reason.SENT, None, None, message.message_id, result.provider_message_id
                )
                delivered.append(participant.endpoint_id)
                outcomes[participant.endpoint_id] = MessageOutcome(status, sent=True)
            else:
                status = result.status.value if result else "UNKNOWN_FAILURE"
                why = f"{status}: {result.reason if result else 'no result'}"
                outcome = LedgerOutcome(Reason.FAILED, None, None, message.message_id, why)
                outcomes[participant.endpoint_id] = MessageOutcome(
                    status, detail={"Reason": Reason.FAILED.value, "Why": why}
                )
            ledger_outcomes.setdefault(run_key, {})[key] = outcome
            events.append(
                self._event(
                    prepared, participant, activity_id, endpoints, status, now, message.message_id
                )
            )
        # Counts first: a crash before the outcomes leaves the claim in doubt with its
        # send counted, never the other way round.
        if delivered:
            self._ledger.add_sends(ALL_JOURNEYS, delivered, cap_day(now))
        for run_key, recorded in ledger_outcomes.items():
            self._ledger.record_outcomes(run_key, recorded)
        if events and self._events is not None:
            self._events.put_records(events)
        self._pace(journey, len(messages), started)
        if report is not None:
            for result_outcome in outcomes.values():
                if result_outcome.until_ms is None:
                    report.add(result_outcome.status)
        return outcomes

    def record_holdouts(
        self,
        prepared: PreparedMessages,
        assigned: Sequence[tuple[Participant, str, str]],
        endpoints: Mapping[str, Endpoint],
        now: datetime,
    ) -> None:
        """A ``_journey.send`` record for each participant a Holdout activity assigned
        (participant, activity, ``HOLDOUT`` or ``CONTINUED``), so the lake holds both
        arms of the experiment the conversions query reads (docs/analytics.md)."""
        if not assigned or self._events is None:
            return
        self._events.put_records(
            [
                self._event(prepared, participant, activity_id, endpoints, status, now)
                for participant, activity_id, status in assigned
            ]
        )

    @staticmethod
    def _earlier(recorded: LedgerOutcome | None) -> MessageOutcome:
        """The outcome of a message a previous attempt claimed."""
        if recorded is None or recorded.reason == Reason.CLAIMED:
            return MessageOutcome(
                JOURNEY_SEND_STATUS[Reason.CLAIMED],
                detail={
                    "Reason": Reason.CLAIMED.value,
                    "Why": "claimed by an earlier attempt "
                    "whose outcome was never recorded: in doubt, never resent",
                },
            )
        if recorded.reason == Reason.SENT:
            return MessageOutcome(JOURNEY_SEND_STATUS[Reason.SENT], sent=True)
        status = (recorded.detail or "UNKNOWN_FAILURE").split(":", 1)[0]
        return MessageOutcome(
            status, detail={"Reason": recorded.reason.value, "Why": recorded.detail}
        )

    def _message(
        self,
        prepared: PreparedMessages,
        participant: Participant,
        activity_id: str,
        endpoints: Mapping[str, Endpoint],
        now: datetime,
        run_key: str,
    ) -> OutboundMessage:
        endpoint = endpoints[participant.endpoint_id]
        plan = prepared.messages[activity_id]
        channel = endpoint.channel_type
        assert channel is not None  # decide_message sends only to endpoints with one
        if plan.custom:
            # A CUSTOM activity delivers to its DeliveryUri whatever the endpoint's own
            # channel (its EndpointTypes chose which endpoints).
            channel = ChannelType.CUSTOM
        content = plan.render(endpoint.to_pinpoint(), now=now)
        ids = message_context_ids(participant, activity_id)
        return OutboundMessage(
            message_id=message_id_for(run_key, ledger_key(participant)),
            channel=channel,
            address=endpoint.address or "",
            content=content,
            context=MessageContext(app_id=self._app_id, **ids),
            sender=plan.sender,
        )

    def _event(
        self,
        prepared: PreparedMessages,
        participant: Participant,
        activity_id: str,
        endpoints: Mapping[str, Endpoint],
        status: str,
        now: datetime,
        message_id: str | None = None,
    ) -> EventRecord:
        journey = prepared.journey
        return journey_send_event(
            app_id=self._app_id,
            journey_id=journey.id,
            activity_id=activity_id,
            activity_type=journey.activities[activity_id].type,
            participant=participant,
            endpoint=endpoints.get(participant.endpoint_id),
            status=status,
            now=now,
            message_id=message_id,
        )

    def _pace(self, journey: PreparedJourney, count: int, started: float) -> None:
        limits = journey.journey.limits
        if not count or limits is None or not limits.messages_per_second:
            return
        wanted = count / limits.messages_per_second
        spent = self._monotonic() - started
        if wanted > spent:
            self._sleep(wanted - spent)
