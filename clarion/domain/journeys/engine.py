"""The journey engine's rules: how one participant enters and moves, with no I/O.

:func:`admit` decides whether an endpoint enters (and why not); :func:`advance` moves an
active participant through waits, splits, holdouts and random splits until it must wait
(a Wait, a split's evaluation window, a deferred message), reaches a message activity
(the service decides and delivers the message, then calls :func:`after_message`) or
leaves the journey. :func:`cancel` ends a participant of a cancelled journey;
:func:`rebase` adds the time a journey was paused to a participant's waits.

Every move returns the new record and the counters it changes (:class:`Increment`), so
the store can write both atomically. Random splits and holdouts hash (journey, activity,
endpoint, entry): the same participant always takes the same branch, in every process
and every retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.journeys.conditions import (
    ConditionCheck,
    Membership,
    evaluate,
    evaluate_simple,
)
from clarion.domain.journeys.durations import from_ms, parse_duration, parse_instant, to_ms
from clarion.domain.journeys.model import (
    MAX_ACTIVITIES,
    Activity,
    ActivityType,
    ConditionalSplitActivity,
    HoldoutActivity,
    JourneyResponse,
    MultiConditionalSplitActivity,
    RandomSplitActivity,
    WaitActivity,
    WaitTime,
)
from clarion.domain.journeys.participant import (
    MAX_HISTORY,
    Increment,
    Participant,
    ParticipantStatus,
    Step,
)
from clarion.domain.journeys.windows import participant_zone

JOURNEY = ""  # the activity of journey-level counters
ARRIVED = "ARRIVED"


class Metric(StrEnum):
    """Journey-level counters (Pinpoint's execution metric names, plus Clarion's own
    refusal reasons, each a reason an endpoint did not enter)."""

    ENDPOINT_PRODUCED = "ENDPOINT_PRODUCED"
    ENDPOINT_ENTERED = "ENDPOINT_ENTERED"
    ENDPOINT_LEFT = "ENDPOINT_LEFT"
    CANCELLED = "CANCELLED"
    REENTRY_CAP_EXCEEDED = "REENTRY_CAP_EXCEEDED"
    ACTIVE_ENDPOINT_REJECTED = "ACTIVE_ENDPOINT_REJECTED"
    ENDPOINT_OPT_OUT = "ENDPOINT_OPT_OUT"
    ENDPOINT_INACTIVE = "ENDPOINT_INACTIVE"
    ENDPOINT_MISSING_ADDRESS = "ENDPOINT_MISSING_ADDRESS"
    ENDPOINT_MISSING_CHANNEL = "ENDPOINT_MISSING_CHANNEL"
    ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
    FILTERED_OUT_BY_SEGMENT = "FILTERED_OUT_BY_SEGMENT"
    REENTRY_INTERVAL_NOT_ELAPSED = "REENTRY_INTERVAL_NOT_ELAPSED"
    OUTSIDE_SCHEDULE = "OUTSIDE_SCHEDULE"
    PAUSED = "PAUSED"


class Exit(StrEnum):
    """How a participant left an activity (activity counters besides ARRIVED and the
    message activities' send statuses)."""

    COMPLETED = "COMPLETED"  # a wait ended
    HOLDOUT = "HOLDOUT"
    CONTINUED = "CONTINUED"  # not held out
    OTHER = "OTHER"  # a multivariate split's default path
    CANCELLED = "CANCELLED"


def branch(number: int) -> str:
    """Pinpoint's name of a split path: ``Branch_1`` is the first."""
    return f"Branch_{number}"


@dataclass(frozen=True)
class PreparedJourney:
    """A journey read once for the engine (activities by id)."""

    journey: JourneyResponse
    activities: Mapping[str, Activity] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "activities", dict(self.journey.activities or {}))

    @property
    def id(self) -> str:
        return self.journey.id

    @property
    def start(self) -> str:
        return self.journey.start_activity or ""


@dataclass
class Advance:
    """A participant after a move: its new record, the counters moved, and the message
    activity it waits at for a send decision (None when it is waiting or has left)."""

    participant: Participant
    increments: list[Increment] = field(default_factory=list)
    pending: str | None = None


def _hash_percent(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100


def wait_end(wait: WaitTime | None, arrived_ms: int) -> int | None:
    """When a wait that began at ``arrived_ms`` ends (epoch ms); None without a wait."""
    if wait is None:
        return None
    if wait.wait_until is not None:
        return to_ms(parse_instant(wait.wait_until))
    return to_ms(parse_duration(wait.wait_for or "PT0S").after(from_ms(arrived_ms)))


# -- entry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """An endpoint offered to the journey: the new record, the counters, and the reason
    it did not enter (None when it entered)."""

    participant: Participant
    increments: list[Increment]
    refused: Metric | None


def _schedule_refusal(journey: JourneyResponse, endpoint: Endpoint, now_ms: int) -> str | None:
    schedule = journey.schedule
    if schedule is None or (schedule.start_time is None and schedule.end_time is None):
        return None
    now = from_ms(now_ms)
    if journey.local_time:
        # The schedule's wall-clock times, read in the participant's own zone.
        zone = participant_zone(endpoint, journey).local
        wall = now.astimezone(zone).replace(tzinfo=None)

        def bound(text: str) -> datetime:
            return parse_instant(text).replace(tzinfo=None)

        current: datetime = wall
    else:

        def bound(text: str) -> datetime:
            return parse_instant(text)

        current = now.astimezone(UTC)
    if schedule.start_time and current < bound(schedule.start_time):
        return f"before the journey's StartTime {schedule.start_time}"
    if schedule.end_time and current >= bound(schedule.end_time):
        return f"after the journey's EndTime {schedule.end_time}"
    return None


def admit(
    prepared: PreparedJourney,
    participant: Participant,
    endpoint: Endpoint | None,
    run_id: str,
    now_ms: int,
    *,
    event_id: str | None = None,
    paused: bool = False,
    in_segment: bool = True,
) -> Admission:
    """Whether an endpoint enters the journey now, in ``run_id`` (its record as stored,
    or a new one). Refused, in order: the journey is paused, the endpoint is gone,
    opted out (OptOut ALL), inactive, has no channel or no address, is outside the start
    segment (``in_segment``), is outside the schedule, is already active, has entered
    EndpointReentryCap times (unset: once; 0: no cap), or entered less than
    EndpointReentryInterval ago. A refusal is kept on the record, with the reason."""
    journey = prepared.journey
    inc = [Increment(run_id, JOURNEY, Metric.ENDPOINT_PRODUCED)]
    limits = journey.limits
    reason: Metric | None = None
    detail = ""
    if paused:
        reason, detail = Metric.PAUSED, "the journey is paused: no one enters until it resumes"
    elif endpoint is None:
        reason, detail = Metric.ENDPOINT_NOT_FOUND, "the endpoint does not exist"
    elif endpoint.is_opted_out:
        reason, detail = Metric.ENDPOINT_OPT_OUT, "the endpoint is opted out (OptOut ALL)"
    elif not endpoint.is_active:
        reason, detail = Metric.ENDPOINT_INACTIVE, "the endpoint is INACTIVE"
    elif endpoint.channel_type is None:
        reason, detail = Metric.ENDPOINT_MISSING_CHANNEL, "the endpoint has no ChannelType"
    elif not endpoint.address:
        reason, detail = Metric.ENDPOINT_MISSING_ADDRESS, "the endpoint has no Address"
    elif not in_segment:
        reason = Metric.FILTERED_OUT_BY_SEGMENT
        detail = "the endpoint is not in the start condition's segment"
    elif (outside := _schedule_refusal(journey, endpoint, now_ms)) is not None:
        reason, detail = Metric.OUTSIDE_SCHEDULE, outside
    elif participant.is_active:
        reason = Metric.ACTIVE_ENDPOINT_REJECTED
        detail = f"already in the journey (at {participant.activity!r}, entry {participant.entry})"
    else:
        cap = (
            limits.endpoint_reentry_cap if limits and limits.endpoint_reentry_cap is not None else 1
        )
        interval = limits.endpoint_reentry_interval if limits else None
        if cap and participant.entry >= cap:
            reason = Metric.REENTRY_CAP_EXCEEDED
            setting = (
                f"EndpointReentryCap {cap}"
                if limits and limits.endpoint_reentry_cap is not None
                else "EndpointReentryCap not set, so each endpoint enters once"
            )
            detail = f"entered {participant.entry} time(s); {setting}"
        elif interval and participant.last_entry_at is not None:
            allowed = to_ms(parse_duration(interval).after(from_ms(participant.last_entry_at)))
            if now_ms < allowed:
                reason = Metric.REENTRY_INTERVAL_NOT_ELAPSED
                detail = f"last entered less than EndpointReentryInterval {interval} ago"
    if reason is not None:
        refusal = {"At": now_ms, "Reason": reason.value, "RunId": run_id, "Detail": detail}
        inc.append(Increment(run_id, JOURNEY, reason))
        if event_id:
            refusal["EventId"] = event_id
        return Admission(replace(participant, refusal=refusal), inc, reason)
    history = list(participant.history)
    if participant.entry:
        history.append(
            {
                "Entry": participant.entry,
                "RunId": participant.run_id,
                "EnteredAt": participant.entered_at,
                "Outcome": participant.outcome or participant.status.value,
                "Path": [step.to_json() for step in participant.path],
            }
        )
    entered = replace(
        participant,
        status=ParticipantStatus.ACTIVE,
        activity=prepared.start,
        run_id=run_id,
        entry=participant.entry + 1,
        entered_at=now_ms,
        last_entry_at=now_ms,
        arrived_at=None,
        due_at=now_ms,
        deadline=None,
        matched={},
        path=(),
        outcome=None,
        refusal=None,
        last_event_id=event_id,
        history=tuple(history[-MAX_HISTORY:]),
    )
    inc.append(Increment(run_id, JOURNEY, Metric.ENDPOINT_ENTERED))
    return Admission(entered, inc, None)


# -- moving -----------------------------------------------------------------------------


def _arrive(p: Participant, activity: str, now_ms: int, inc: list[Increment]) -> Participant:
    inc.append(Increment(p.run_id or "", activity, ARRIVED))
    return replace(p, arrived_at=now_ms)


def _move(
    p: Participant,
    target: str | None,
    now_ms: int,
    inc: list[Increment],
    *,
    exit_metric: str,
    detail: Mapping[str, object] | None = None,
) -> Participant:
    """Leave the current activity by ``exit_metric`` toward ``target`` (None: leave the
    journey)."""
    run = p.run_id or ""
    current = p.activity or ""
    inc.append(Increment(run, current, exit_metric))
    p = p.with_step(Step(current, now_ms, exit_metric, detail))
    if target is None:
        return finish(p, "COMPLETED", now_ms, inc)
    return replace(p, activity=target, arrived_at=None, due_at=now_ms, deadline=None)


def finish(p: Participant, outcome: str, now_ms: int, inc: list[Increment]) -> Participant:
    """The participant leaves the journey (``outcome``: why)."""
    inc.append(Increment(p.run_id or "", JOURNEY, Metric.ENDPOINT_LEFT))
    return replace(
        p,
        status=ParticipantStatus.FINISHED,
        activity=None,
        arrived_at=None,
        due_at=None,
        deadline=None,
        outcome=outcome,
    )


def _checks_json(checks: Sequence[ConditionCheck]) -> dict[str, object]:
    return {"Conditions": [check.to_json() for check in checks]}


def _split(
    prepared: PreparedJourney,
    p: Participant,
    activity: Activity,
    now_ms: int,
    membership: Membership,
    inc: list[Increment],
) -> tuple[Participant, bool]:
    """Evaluate a split; returns the record and whether it moved on."""
    settings = activity.settings
    activity_id = p.activity or ""
    window = getattr(settings, "evaluation_wait_time", None)
    if p.arrived_at is None:
        p = _arrive(p, activity_id, now_ms, inc)
        p = replace(p, deadline=wait_end(window, now_ms))
    deadline = p.deadline
    open_window = deadline is not None and now_ms < deadline
    if isinstance(settings, ConditionalSplitActivity):
        assert settings.condition is not None  # validated
        result = evaluate(activity_id, settings.condition, p, membership, deadline)
        detail = _checks_json(result.checks)
        if result.value:
            return _move(
                p, settings.true_activity, now_ms, inc, exit_metric=branch(1), detail=detail
            ), True
        if open_window:
            return replace(p, due_at=deadline), False
        return _move(
            p, settings.false_activity, now_ms, inc, exit_metric=branch(2), detail=detail
        ), True
    assert isinstance(settings, MultiConditionalSplitActivity)
    checks: list[ConditionCheck] = []
    for index, candidate in enumerate(settings.branches or []):
        assert candidate.condition is not None  # validated
        check = evaluate_simple(
            f"{activity_id}/b{index}", candidate.condition, p, membership, deadline
        )
        checks.append(check)
        if check.result:
            detail = _checks_json(checks)
            return (
                _move(
                    p,
                    candidate.next_activity,
                    now_ms,
                    inc,
                    exit_metric=branch(index + 1),
                    detail=detail,
                ),
                True,
            )
    if open_window:
        return replace(p, due_at=deadline), False
    detail = _checks_json(checks)
    return _move(
        p, settings.default_activity, now_ms, inc, exit_metric=Exit.OTHER, detail=detail
    ), True


def advance(
    prepared: PreparedJourney,
    participant: Participant,
    now_ms: int,
    membership: Membership,
    *,
    woken: bool = False,
) -> Advance:
    """Move an active participant as far as it can go now (module docstring). A
    participant not yet due stays, unless ``woken`` (an event it may wait for came)."""
    p = participant
    inc: list[Increment] = []
    for _ in range(2 * MAX_ACTIVITIES + 2):
        if not p.is_active or p.activity is None:
            return Advance(p, inc)
        due = p.due_at is None or p.due_at <= now_ms
        if not due and not (woken and p.deadline is not None):
            return Advance(p, inc)
        woken = False  # only the first look may come early
        current = p.activity
        activity = prepared.activities[current]
        kind = activity.type
        settings = activity.settings
        if kind.is_message:
            if p.arrived_at is None:
                p = _arrive(p, current, now_ms, inc)
            return Advance(p, inc, pending=current)
        if isinstance(settings, WaitActivity):
            if p.arrived_at is None:
                p = _arrive(p, current, now_ms, inc)
                until = wait_end(settings.wait_time, now_ms)
                if until is not None and until > now_ms:
                    p = replace(p, due_at=until)
                    continue
            p = _move(p, settings.next_activity, now_ms, inc, exit_metric=Exit.COMPLETED)
            continue
        if kind in (ActivityType.CONDITIONAL_SPLIT, ActivityType.MULTI_CONDITION):
            p, moved = _split(prepared, p, activity, now_ms, membership, inc)
            if not moved:
                return Advance(p, inc)
            continue
        if isinstance(settings, RandomSplitActivity):
            p = _arrive(p, current, now_ms, inc)
            value = _hash_percent(prepared.id, current, p.endpoint_id, str(p.entry))
            edge = 0
            chosen, target = len(settings.branches or []), None
            for index, entry in enumerate(settings.branches or []):
                edge += entry.percentage or 0
                if value < edge:
                    chosen, target = index + 1, entry.next_activity
                    break
            inc.append(Increment(p.run_id or "", current, "TOTAL"))
            p = _move(p, target, now_ms, inc, exit_metric=branch(chosen))
            continue
        if isinstance(settings, HoldoutActivity):
            p = _arrive(p, current, now_ms, inc)
            value = _hash_percent(prepared.id, current, p.endpoint_id, str(p.entry))
            if value < settings.percentage:
                run = p.run_id or ""
                inc.append(Increment(run, current, Exit.HOLDOUT))
                p = finish(p.with_step(Step(current, now_ms, Exit.HOLDOUT)), "HOLDOUT", now_ms, inc)
                return Advance(p, inc)
            p = _move(p, settings.next_activity, now_ms, inc, exit_metric=Exit.CONTINUED)
            continue
        raise ValueError(f"activity {p.activity!r}: {kind.value} activities cannot run")
    raise AssertionError("a validated journey has no cycle")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    """What came of a message activity for one participant: the send status
    (``journey_send_status``: SUCCESS, a delivery failure, a cap or skip reason), when
    it may be tried again (a deferral), and whether the participant leaves (opt-out)."""

    status: str
    until_ms: int | None = None
    leaves: bool = False
    sent: bool = False
    detail: Mapping[str, object] | None = None


def after_message(
    prepared: PreparedJourney, participant: Participant, outcome: MessageOutcome, now_ms: int
) -> Advance:
    """Record a message activity's outcome and move on: a deferral waits at the
    activity; an opted-out participant leaves; anything else goes to NextActivity."""
    p = participant
    inc: list[Increment] = []
    if outcome.until_ms is not None:
        return Advance(replace(p, due_at=outcome.until_ms), inc)
    if outcome.sent:
        p = p.with_send(now_ms)
    activity = prepared.activities[p.activity or ""]
    message = activity.message
    if outcome.leaves:
        run, current = p.run_id or "", p.activity or ""
        inc.append(Increment(run, current, outcome.status))
        p = p.with_step(Step(current, now_ms, outcome.status, outcome.detail))
        return Advance(finish(p, outcome.status, now_ms, inc), inc)
    target = message.next_activity if message is not None else None
    p = _move(p, target, now_ms, inc, exit_metric=outcome.status, detail=outcome.detail)
    return Advance(p, inc)


def cancel(participant: Participant, now_ms: int) -> Advance:
    """End a participant of a cancelled journey where it is."""
    p = participant
    run, current = p.run_id or "", p.activity or ""
    inc = [Increment(run, JOURNEY, Metric.CANCELLED)]
    if current:
        inc.append(Increment(run, current, Exit.CANCELLED))
        p = p.with_step(Step(current, now_ms, Exit.CANCELLED))
    p = replace(
        p,
        status=ParticipantStatus.CANCELLED,
        activity=None,
        arrived_at=None,
        due_at=None,
        deadline=None,
        outcome="CANCELLED",
    )
    return Advance(p, inc)


def rebase(participant: Participant, pauses: Sequence[tuple[int, int]]) -> Participant:
    """Add the journey's pauses (ended ones, ``(from_ms, to_ms)``) the participant has
    not yet seen to its wait: wait time stops while a journey is paused."""
    p = participant
    if p.pauses_seen >= len(pauses):
        return p
    shift = 0
    start = p.arrived_at if p.arrived_at is not None else p.due_at
    for begin, end in pauses[p.pauses_seen :]:
        if start is not None and end > start:
            shift += end - max(begin, start)
    return replace(
        p,
        due_at=p.due_at + shift if p.due_at is not None else None,
        deadline=p.deadline + shift if p.deadline is not None else None,
        pauses_seen=len(pauses),
    )


def no_membership(key: str, endpoint_id: str) -> bool:
    """A Membership for journeys without segment conditions."""
    raise LookupError(f"condition {key!r} needs segment membership, and none was given")


MembershipFactory = Callable[[Sequence[str]], Membership]
