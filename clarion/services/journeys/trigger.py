"""Events into journeys, as they arrive: the events consumer hands every new record to
:class:`JourneyEventTrigger` (beside the EVENT campaigns' trigger).

For each published journey and each record of an endpoint:

- a record that meets one of the journey's event conditions for a participant's
  current entry (:func:`clarion.domain.journeys.conditions.event_matches`: the opens and
  clicks of the journey's own messages, attributed by their tags; or the endpoint's app
  events) is kept on the participant (``matched``), and a participant waiting at that
  split for it is moved at once, through the same engine and send seam as the tick;
- a record that matches an ``EventStartCondition``'s filter offers its endpoint to the
  journey (once per event, however often the record is delivered).

A paused journey keeps the matches (so nothing is lost) but moves and admits no one. A
participant changed meanwhile by another worker is read again and the matches applied
again (a few times), so a match is never lost to a race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from clarion.domain.campaigns.event_filter import event_filter_matches
from clarion.domain.events.records import EventRecord
from clarion.domain.journeys.conditions import event_matches, journey_conditions
from clarion.domain.journeys.model import JourneyResponse, JourneyState, validate_journey_response
from clarion.domain.journeys.participant import Participant
from clarion.ports.journeys import JourneyRepository
from clarion.services.journeys.engine import BatchReport, JourneyEngine

_RETRIES = 4


class JourneyEventTrigger:
    """The journeys' side of the events consumer (module docstring); a CampaignTrigger
    (``handle_events``)."""

    def __init__(self, repository: JourneyRepository, engine: JourneyEngine) -> None:
        self._repository = repository
        self._engine = engine
        self.last_reports: list[BatchReport] = []

    def acts_on_no_events(self) -> bool:
        """Whether no journey is active or paused (so no record can match or start)."""
        return not any(
            validate_journey_response(document).effective_state
            in (JourneyState.ACTIVE, JourneyState.PAUSED)
            for document in self._repository.list_journeys()
        )

    def handle_events(self, records: Sequence[EventRecord], now: datetime | None = None) -> None:
        moment = now or self._engine.now()
        self.last_reports = []
        with_endpoint = [r for r in records if r.endpoint_id]
        if not with_endpoint:
            return
        for document in self._repository.list_journeys():
            journey = validate_journey_response(document)
            if journey.effective_state not in (JourneyState.ACTIVE, JourneyState.PAUSED):
                continue
            self._mark(journey, with_endpoint, moment)
            self._start(journey, with_endpoint, moment)

    # -- event conditions --------------------------------------------------------------

    def _mark(
        self, journey: JourneyResponse, records: Sequence[EventRecord], now: datetime
    ) -> None:
        conditions = [
            (key, split, condition.event_condition)
            for key, split, condition in journey_conditions(journey)
            if condition.event_condition is not None
        ]
        if not conditions:
            return
        own = {c.message_activity for _, _, c in conditions if c.message_activity}
        custom = any(c.message_activity is None for _, _, c in conditions)
        relevant = [
            r
            for r in records
            if custom
            or (
                r.attributes.get("journey_id") == journey.id
                and r.attributes.get("journey_activity_id") in own
            )
        ]
        by_endpoint: dict[str, list[EventRecord]] = {}
        for record in relevant:
            by_endpoint.setdefault(record.endpoint_id or "", []).append(record)
        if not by_endpoint:
            return
        pending = list(by_endpoint)
        for _ in range(_RETRIES):
            stored = self._engine.participants.get(journey.id, pending)
            changed: dict[str, Participant] = {}
            woken: set[str] = set()
            for endpoint_id, participant in stored.items():
                matched = dict(participant.matched)
                for record in by_endpoint[endpoint_id]:
                    for key, split, condition in conditions:
                        if event_matches(condition, record, participant):
                            seen = matched.get(key)
                            if seen is None or record.event_timestamp < seen:
                                matched[key] = record.event_timestamp
                            if participant.activity == split:
                                woken.add(endpoint_id)
                if matched != participant.matched:
                    changed[endpoint_id] = replace(participant, matched=matched)
            if not changed:
                return
            report = self._engine.advance(
                journey.id,
                [stored[e] for e in changed],
                now,
                woken=woken,
                changed=changed,
            )
            self.last_reports.append(report)
            if not report.conflicts:
                return
            # Someone moved these meanwhile: read them again and match again.
            after = self._engine.participants.get(journey.id, list(changed))
            pending = [
                e
                for e in changed
                if after.get(e) is not None and after[e].matched != changed[e].matched
            ]
            if not pending:
                return
        raise RuntimeError(
            f"journey {journey.id!r}: event matches could not be recorded for "
            f"{len(pending)} participant(s) after {_RETRIES} attempts; the stream retries"
        )

    # -- event starts ------------------------------------------------------------------

    def _start(
        self, journey: JourneyResponse, records: Sequence[EventRecord], now: datetime
    ) -> None:
        start = journey.start_condition
        if start is None or start.event_start_condition is None:
            return
        event_filter = start.event_start_condition.event_filter
        assert event_filter is not None  # validated
        run_id = self._repository.get_control(journey.id).get("EventRunId")
        if not run_id:
            return
        starting = [r for r in records if event_filter_matches(event_filter, r)]
        # One entry per endpoint and pass; an endpoint's later events of the same batch
        # come in the next pass (they find it active, or re-enter if it allows).
        while starting:
            firsts: dict[str, EventRecord] = {}
            rest: list[EventRecord] = []
            for record in starting:
                endpoint_id = record.endpoint_id or ""
                if endpoint_id in firsts:
                    rest.append(record)
                else:
                    firsts[endpoint_id] = record
            report = self._engine.admit(
                journey.id,
                str(run_id),
                list(firsts),
                now,
                event_ids={e: r.event_id for e, r in firsts.items()},
            )
            self.last_reports.append(report)
            starting = rest
