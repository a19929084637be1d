"""The journey engine: admits endpoints and moves participants, in batches, through the
same code on both backends.

A batch loads its participants and their endpoints once, moves each as far as it can
go (:func:`clarion.domain.journeys.engine.advance`), hands every participant waiting at
a message activity to the one send seam (:class:`JourneyMessages`), moves them on by the
outcome, and repeats until everyone waits or has left; then it commits every change
with the counters it moved, each a compare-and-set on the participant's version. A
participant someone else moved meanwhile (an event, another worker) is a conflict and
stays as that other move left it; its message, if one was sent, was claimed in the send
ledger first, so a retried or concurrent batch never sends twice or moves anyone twice.

Segment conditions ask the audience query once per batch and condition, for every
endpoint of the batch (:class:`BatchMembership`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.journeys.conditions import journey_conditions
from clarion.domain.journeys.durations import to_ms
from clarion.domain.journeys.engine import (
    Advance,
    Exit,
    PreparedJourney,
    admit,
    advance,
    after_message,
    cancel,
    rebase,
)
from clarion.domain.journeys.model import (
    MAX_ACTIVITIES,
    ActivityType,
    JourneyResponse,
    JourneyState,
    validate_journey_response,
)
from clarion.domain.journeys.participant import (
    Increment,
    Participant,
    ParticipantChange,
    new_participant,
)
from clarion.ports.audience import ProfileStore
from clarion.ports.journeys import JourneyRepository, ParticipantStore
from clarion.services.journeys.sending import JourneyMessages, PreparedMessages, SendReport

DEFAULT_BATCH_SIZE = 500
NEVER = 2**62  # a due time past everything: every active participant is "due" by it


class JourneyAudience(Protocol):
    """Segment membership, as the journeys need it (``SegmentService`` is one)."""

    def members(self, segment_id: str, version: int | None = None) -> Iterable[str]: ...

    def compile(self, segment_id: str, version: int | None = None) -> str: ...

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]: ...

    def members_among(
        self, segment_id: str, endpoint_ids: Iterable[str], version: int | None = None
    ) -> set[str]: ...

    def matching_dimensions(
        self, dimensions: Mapping[str, Any], endpoint_ids: Iterable[str]
    ) -> set[str]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class BatchMembership:
    """The Membership of one batch: each segment condition is asked of the audience
    query once, for every endpoint of the batch, on first use."""

    def __init__(
        self, audience: JourneyAudience, journey: JourneyResponse, endpoint_ids: Sequence[str]
    ) -> None:
        self._audience = audience
        self._conditions = {key: condition for key, _, condition in journey_conditions(journey)}
        self._ids = list(endpoint_ids)
        self._members: dict[str, set[str]] = {}
        self.queries = 0

    def __call__(self, key: str, endpoint_id: str) -> bool:
        if key not in self._members:
            condition = self._conditions[key]
            self.queries += 1
            if condition.segment_condition is not None:
                self._members[key] = self._audience.members_among(
                    condition.segment_condition.segment_id, self._ids
                )
            else:
                assert condition.segment_dimensions is not None
                dimensions = condition.segment_dimensions.model_dump(
                    by_alias=True, exclude_none=True, mode="json"
                )
                self._members[key] = self._audience.matching_dimensions(dimensions, self._ids)
        return endpoint_id in self._members[key]


@dataclass
class BatchReport:
    """What one batch did."""

    journey_id: str
    entered: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    moved: int = 0  # participant records written
    left: int = 0
    conflicts: int = 0
    messages: dict[str, int] = field(default_factory=dict)
    more: bool = False

    def merge(self, other: BatchReport) -> None:
        self.entered += other.entered
        self.moved += other.moved
        self.left += other.left
        self.conflicts += other.conflicts
        for name, count in other.refused.items():
            self.refused[name] = self.refused.get(name, 0) + count
        for name, count in other.messages.items():
            self.messages[name] = self.messages.get(name, 0) + count

    def to_json(self) -> dict[str, Any]:
        return {
            "JourneyId": self.journey_id,
            "Entered": self.entered,
            "Refused": dict(sorted(self.refused.items())),
            "Moved": self.moved,
            "Left": self.left,
            "Messages": dict(sorted(self.messages.items())),
            "Conflicts": self.conflicts,
            "More": self.more,
        }


@dataclass
class _Item:
    original: Participant
    working: Participant
    increments: list[Increment] = field(default_factory=list)

    def apply(self, step: Advance) -> None:
        self.working = step.participant
        self.increments += step.increments


class JourneyEngine:
    """Admits and moves participants in batches (module docstring).

    Parameters
    ----------
    repository, participants, profiles
        Journeys and their control records, participant state, endpoints.
    messages
        The one send seam.
    audience
        Segment membership (``SegmentService``).
    batch_size
        Participants a batch reads at a time.
    clock
        The current time (tests pass a fixed one).
    """

    def __init__(
        self,
        repository: JourneyRepository,
        participants: ParticipantStore,
        profiles: ProfileStore,
        messages: JourneyMessages,
        audience: JourneyAudience,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self.participants = participants
        self._profiles = profiles
        self.messages = messages
        self._audience = audience
        self.batch_size = batch_size
        self._clock = clock
        self._prepared: dict[tuple[str, str | None], PreparedMessages] = {}

    def now(self) -> datetime:
        return self._clock()

    # -- preparation ------------------------------------------------------------------

    def journey(self, journey_id: str) -> JourneyResponse:
        """The stored journey. Raises NotFoundError."""
        return validate_journey_response(self._repository.get_journey(journey_id))

    def prepare(self, journey: JourneyResponse) -> PreparedMessages:
        """The journey read for the engine, its messages compiled (cached while it is
        unchanged). Raises InvalidRecordError for a template that does not exist."""
        key = (journey.id, journey.last_modified_date)
        cached = self._prepared.get(key)
        if cached is None or cached.journey.journey.state != journey.state:
            cached = self.messages.prepare(PreparedJourney(journey))
            self._prepared[key] = cached
        return cached

    def _pauses(self, journey_id: str) -> list[tuple[int, int]]:
        control = self._repository.get_control(journey_id)
        return [(int(a), int(b)) for a, b in control.get("Pauses") or []]

    # -- entry ------------------------------------------------------------------------

    def admit(
        self,
        journey_id: str,
        run_id: str,
        endpoint_ids: Sequence[str],
        now: datetime | None = None,
        *,
        event_ids: Mapping[str, str] | None = None,
    ) -> BatchReport:
        """Offer endpoints to the journey in ``run_id`` (a segment run's members, or the
        endpoints of start events, ``event_ids`` naming each one's event), then move
        those who entered as far as they go. An event already admitted (redelivered) is
        skipped."""
        moment = now or self._clock()
        journey = self.journey(journey_id)
        report = BatchReport(journey_id)
        if journey.effective_state not in (JourneyState.ACTIVE, JourneyState.PAUSED):
            return report  # drafts, cancelled and completed journeys admit no one
        prepared = self.prepare(journey)
        ids = list(dict.fromkeys(endpoint_ids))
        existing = self.participants.get(journey_id, ids)
        endpoints = self._profiles.get_endpoints(ids)
        in_segment: set[str] | None = None
        start = journey.start_condition
        if start and start.event_start_condition and start.event_start_condition.segment_id:
            in_segment = self._audience.members_among(start.event_start_condition.segment_id, ids)
        paused = journey.effective_state == JourneyState.PAUSED
        now_ms = to_ms(moment)
        items: dict[str, _Item] = {}
        for endpoint_id in ids:
            original = existing.get(endpoint_id) or new_participant(journey_id, endpoint_id)
            event_id = (event_ids or {}).get(endpoint_id)
            if event_id and original.last_event_id == event_id:
                continue  # this event already made an entry
            admission = admit(
                prepared.journey,
                original,
                endpoints.get(endpoint_id),
                run_id,
                now_ms,
                event_id=event_id,
                paused=paused,
                in_segment=in_segment is None or endpoint_id in in_segment,
            )
            if admission.refused is not None:
                report.refused[admission.refused] = report.refused.get(admission.refused, 0) + 1
            else:
                report.entered += 1
            items[endpoint_id] = _Item(original, admission.participant, list(admission.increments))
        self._process(prepared, items, endpoints, moment, report=report)
        return report

    # -- moving -----------------------------------------------------------------------

    def advance(
        self,
        journey_id: str,
        participants: Sequence[Participant],
        now: datetime | None = None,
        *,
        woken: Iterable[str] = (),
        changed: Mapping[str, Participant] | None = None,
    ) -> BatchReport:
        """Move these participants (as read from the store) as far as they go now.
        ``changed`` gives records already modified in memory (an event's marks) to move
        from instead; ``woken`` the endpoints an event may let move early."""
        moment = now or self._clock()
        journey = self.journey(journey_id)
        prepared = self.prepare(journey)
        pauses = self._pauses(journey_id)
        report = BatchReport(journey_id)
        items: dict[str, _Item] = {}
        for participant in participants:
            working = (changed or {}).get(participant.endpoint_id, participant)
            items[participant.endpoint_id] = _Item(participant, rebase(working, pauses))
        endpoints = self._profiles.get_endpoints(list(items)) if items else {}
        if journey.effective_state == JourneyState.ACTIVE:
            self._process(prepared, items, endpoints, moment, woken=set(woken), report=report)
        else:
            self._commit(journey_id, items, report)
        return report

    def advance_shard(
        self, journey_id: str, shard: int, now: datetime | None = None, *, limit: int | None = None
    ) -> BatchReport:
        """Move up to ``limit`` participants of one shard that are due now; ``more``
        says whether the shard may hold more."""
        moment = now or self._clock()
        size = limit or self.batch_size
        due = self.participants.due(journey_id, shard, to_ms(moment), size)
        report = self.advance(journey_id, due, moment) if due else BatchReport(journey_id)
        # A full page that changed something may be followed by more; a page where
        # nothing could change is not read again in this tick.
        report.more = len(due) >= size and (report.moved > 0 or report.conflicts > 0)
        return report

    def cancel_shard(
        self, journey_id: str, shard: int, now: datetime | None = None, *, limit: int | None = None
    ) -> BatchReport:
        """End up to ``limit`` active participants of one shard of a cancelled journey."""
        moment = now or self._clock()
        size = limit or self.batch_size
        active = self.participants.due(journey_id, shard, NEVER, size)
        report = BatchReport(journey_id)
        items = {p.endpoint_id: _Item(p, p) for p in active}
        for item in items.values():
            item.apply(cancel(item.working, to_ms(moment)))
        self._commit(journey_id, items, report)
        report.more = len(active) >= size
        return report

    def _process(
        self,
        prepared: PreparedMessages,
        items: dict[str, _Item],
        endpoints: Mapping[str, Endpoint],
        now: datetime,
        *,
        woken: set[str] | None = None,
        report: BatchReport,
    ) -> None:
        journey = prepared.journey
        now_ms = to_ms(now)
        membership = BatchMembership(self._audience, journey.journey, list(items))
        sends = SendReport()
        moving = [eid for eid, item in items.items() if item.working.is_active]
        early = set(woken or ())
        for _ in range(MAX_ACTIVITIES + 2):
            waiting: list[tuple[Participant, str]] = []
            for endpoint_id in moving:
                item = items[endpoint_id]
                step = advance(
                    journey, item.working, now_ms, membership, woken=endpoint_id in early
                )
                item.apply(step)
                if step.pending is not None:
                    waiting.append((item.working, step.pending))
            early = set()
            if not waiting:
                break
            outcomes = self.messages.send(prepared, waiting, endpoints, now, sends)
            moving = []
            for participant, _activity in waiting:
                outcome = outcomes[participant.endpoint_id]
                item = items[participant.endpoint_id]
                item.apply(after_message(journey, item.working, outcome, now_ms))
                if outcome.until_ms is None and item.working.is_active:
                    moving.append(participant.endpoint_id)
        for name, count in sends.statuses.items():
            report.messages[name] = report.messages.get(name, 0) + count
        holdouts = _holdout_steps(journey, items, now_ms)
        self.messages.record_holdouts(prepared, holdouts, endpoints, now)
        self._commit(journey.id, items, report)

    def _commit(self, journey_id: str, items: Mapping[str, _Item], report: BatchReport) -> None:
        changes = []
        for item in items.values():
            if item.working == item.original and not item.increments:
                continue
            new = replace(item.working, version=item.original.version + 1)
            changes.append(ParticipantChange(new, item.original.version, tuple(item.increments)))
        if not changes:
            return
        result = self.participants.commit(journey_id, changes)
        report.conflicts += len(result.conflicts)
        applied = set(result.applied)
        report.moved += len(applied)
        report.left += sum(
            1
            for change in changes
            if change.endpoint_id in applied
            and any(inc.metric == "ENDPOINT_LEFT" for inc in change.increments)
        )


def _holdout_steps(
    journey: PreparedJourney, items: Mapping[str, _Item], now_ms: int
) -> list[tuple[Participant, str, str]]:
    """Who a Holdout activity held out or let through in this batch (its steps now)."""
    assigned = []
    for item in items.values():
        for step in item.working.path:
            activity = journey.activities.get(step.activity)
            if (
                step.at == now_ms
                and activity is not None
                and activity.type == ActivityType.HOLDOUT
                and step.outcome in (Exit.HOLDOUT, Exit.CONTINUED)
            ):
                assigned.append((item.working, step.activity, str(step.outcome)))
    return assigned
