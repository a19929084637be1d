"""The journey tick: what time moves. Locally ``clarion journeys tick`` runs it all in
process; on AWS a scheduled state machine runs the same three steps.

1. :meth:`JourneyTicker.plan` starts the segment runs that are due (a segment journey's
   first run when it starts, then one every ``RefreshFrequency``, or when its segment
   gets a new version with ``RefreshOnSegmentUpdate``) and lists the work: each run
   whose members have not all been offered yet, and each shard of each active (or
   cancelled) journey.
2. The entries: the run's segment members, in batches, through
   :meth:`JourneyEngine.admit` (on AWS an Athena query writes them, batched, for a
   Distributed Map); then :meth:`JourneyTicker.entered`. Then the shards: each
   :meth:`JourneyEngine.advance_shard` (or ``cancel_shard``) until it has no more due.
3. :meth:`JourneyTicker.finish`: a segment run whose participants have all left is
   COMPLETED; a journey past its EndTime with no one left, or a segment journey that
   refreshes never and whose runs have all completed, is COMPLETED; a cancelled journey
   whose participants have all been ended has its runs CANCELLED.

Run ids derive from (journey, trigger, run time), so two overlapping ticks start one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from clarion.domain.campaigns.send_rate import batched_audience_sql
from clarion.domain.journeys.durations import iso, parse_duration, parse_instant
from clarion.domain.journeys.metrics import active_count
from clarion.domain.journeys.model import (
    JourneyResponse,
    JourneyRunStatus,
    JourneyState,
    validate_journey_response,
)
from clarion.domain.journeys.participant import PARTICIPANT_SHARDS
from clarion.domain.messaging.delivery import message_id_for
from clarion.ports.journeys import JourneyRepository
from clarion.services.journeys.engine import BatchReport, JourneyAudience, JourneyEngine

ENTRY_PENDING = "PENDING"
ENTRY_DONE = "DONE"


@dataclass(frozen=True)
class PendingEntry:
    """A run whose segment members are still to be offered to the journey."""

    journey_id: str
    run_id: str
    segment_id: str
    segment_version: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "JourneyId": self.journey_id,
            "RunId": self.run_id,
            "SegmentId": self.segment_id,
            "SegmentVersion": self.segment_version,
        }


@dataclass(frozen=True)
class ShardWork:
    journey_id: str
    shard: int
    cancel: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"JourneyId": self.journey_id, "Shard": self.shard, "Cancel": self.cancel}


@dataclass
class TickPlan:
    now: datetime
    entries: list[PendingEntry] = field(default_factory=list)
    shards: list[ShardWork] = field(default_factory=list)
    started_runs: list[str] = field(default_factory=list)


def batches(values: Iterator[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def run_response(run: dict[str, Any]) -> dict[str, Any]:
    """A stored run as Pinpoint's JourneyRunResponse."""
    return {key: run[key] for key in ("CreationTime", "LastUpdateTime", "RunId", "Status")}


class JourneyTicker:
    """Plans, runs (locally) and finishes journey ticks (module docstring)."""

    def __init__(
        self,
        repository: JourneyRepository,
        engine: JourneyEngine,
        audience: JourneyAudience,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._repository = repository
        self._engine = engine
        self._audience = audience
        self._clock = clock or engine.now

    # -- 1. plan ----------------------------------------------------------------------

    def plan(self, now: datetime | None = None) -> TickPlan:
        """Start the due segment runs and list the tick's work."""
        moment = now or self._clock()
        plan = TickPlan(moment)
        for document in self._repository.list_journeys():
            journey = validate_journey_response(document)
            state = journey.effective_state
            if state == JourneyState.ACTIVE:
                runs = self._repository.list_runs(journey.id)
                run = self._due_run(journey, runs, moment)
                if run is not None:
                    self._repository.save_run(run)
                    runs.append(run)
                    plan.started_runs.append(run["RunId"])
                plan.entries += _pending(journey.id, runs)
                plan.shards += [ShardWork(journey.id, s) for s in range(PARTICIPANT_SHARDS)]
            elif state == JourneyState.CANCELLED and not (
                self._repository.get_control(journey.id).get("Ended")
            ):
                plan.shards += [ShardWork(journey.id, s, True) for s in range(PARTICIPANT_SHARDS)]
        return plan

    def pending_entries(self) -> list[PendingEntry]:
        """The runs of active journeys whose members are still to be offered."""
        pending: list[PendingEntry] = []
        for document in self._repository.list_journeys():
            journey = validate_journey_response(document)
            if journey.effective_state == JourneyState.ACTIVE:
                pending += _pending(journey.id, self._repository.list_runs(journey.id))
        return pending

    def _due_run(
        self, journey: JourneyResponse, runs: list[dict[str, Any]], now: datetime
    ) -> dict[str, Any] | None:
        start = journey.start_condition
        if start is None or start.segment_start_condition is None:
            return None
        schedule = journey.schedule
        if schedule and schedule.start_time and now < parse_instant(schedule.start_time):
            return None
        if schedule and schedule.end_time and now >= parse_instant(schedule.end_time):
            return None
        segment_id = start.segment_start_condition.segment_id
        version = int(self._audience.get_segment(segment_id)["Version"])
        trigger: str | None = None
        run_time = now
        if not runs:
            trigger = "ACTIVATION"
            activated = self._repository.get_control(journey.id).get("ActivatedAt")
            run_time = parse_instant(activated) if activated else now
        else:
            last = runs[-1]
            if journey.refresh_frequency:
                next_at = parse_duration(journey.refresh_frequency).after(
                    parse_instant(str(last["RunTime"]))
                )
                if now >= next_at:
                    trigger, run_time = "REFRESH", next_at
            if (
                trigger is None
                and journey.refresh_on_segment_update
                and version > int(last.get("SegmentVersion") or 0)
            ):
                trigger = "SEGMENT_UPDATE"
        if trigger is None:
            return None
        stamp = iso(now)
        return {
            "JourneyId": journey.id,
            "RunId": message_id_for(
                "journey-run", journey.id, trigger, iso(run_time), str(version)
            ),
            "CreationTime": stamp,
            "LastUpdateTime": stamp,
            "Status": JourneyRunStatus.RUNNING.value,
            "Trigger": trigger,
            "RunTime": iso(run_time),
            "SegmentId": segment_id,
            "SegmentVersion": version,
            "EntryState": ENTRY_PENDING,
        }

    def audience_sql(self, entry: PendingEntry, batch_size: int) -> str:
        """The Trino SQL whose result is the run's members in batches (``batch, ids``)."""
        sql = self._audience.compile(entry.segment_id, entry.segment_version)
        return batched_audience_sql(sql, batch_size)

    # -- 2. entries -------------------------------------------------------------------

    def entered(self, journey_id: str, run_id: str, now: datetime | None = None) -> None:
        """Every member of the run has been offered to the journey."""
        run = dict(self._repository.get_run(journey_id, run_id))
        run["EntryState"] = ENTRY_DONE
        run["LastUpdateTime"] = iso(now or self._clock())
        self._repository.save_run(run)

    # -- 3. finish --------------------------------------------------------------------

    def finish(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Close what the tick finished (module docstring); returns each journey whose
        state or runs changed."""
        moment = now or self._clock()
        stamp = iso(moment)
        changed: list[dict[str, Any]] = []
        for document in self._repository.list_journeys():
            journey = validate_journey_response(document)
            state = journey.effective_state
            if state not in (JourneyState.ACTIVE, JourneyState.CANCELLED):
                continue
            control = dict(self._repository.get_control(journey.id))
            counters = self._engine.participants.counters(journey.id)
            runs = self._repository.list_runs(journey.id)
            closed: list[str] = []
            for run in runs:
                if run["Status"] != JourneyRunStatus.RUNNING.value:
                    continue
                segment_run = run.get("EntryState") == ENTRY_DONE
                if state == JourneyState.CANCELLED and active_count(counters, run["RunId"]) == 0:
                    run["Status"] = JourneyRunStatus.CANCELLED.value
                elif segment_run and active_count(counters, run["RunId"]) == 0:
                    run["Status"] = JourneyRunStatus.COMPLETED.value
                else:
                    continue
                run["LastUpdateTime"] = stamp
                self._repository.save_run(run)
                closed.append(run["RunId"])
            new_state = None
            if state == JourneyState.CANCELLED and active_count(counters) == 0:
                control["Ended"] = True
            elif state == JourneyState.ACTIVE and self._complete(journey, runs, counters, moment):
                new_state = JourneyState.COMPLETED
                for run in runs:
                    if run["Status"] == JourneyRunStatus.RUNNING.value:
                        run["Status"] = JourneyRunStatus.COMPLETED.value
                        run["LastUpdateTime"] = stamp
                        self._repository.save_run(run)
                        closed.append(run["RunId"])
            control["LastEvaluatedTime"] = stamp
            self._repository.save_control(journey.id, control)
            if new_state is not None:
                latest = dict(self._repository.get_journey(journey.id))
                if latest.get("State") == JourneyState.ACTIVE.value:
                    latest["State"] = new_state.value
                    self._repository.save_journey(latest)
            if closed or new_state is not None:
                changed.append(
                    {
                        "JourneyId": journey.id,
                        "State": (new_state or state).value,
                        "RunsClosed": closed,
                    }
                )
        return changed

    @staticmethod
    def _complete(
        journey: JourneyResponse,
        runs: list[dict[str, Any]],
        counters: dict[tuple[str, str, str], int],
        now: datetime,
    ) -> bool:
        if active_count(counters) > 0:
            return False
        schedule = journey.schedule
        if schedule and schedule.end_time and now >= parse_instant(schedule.end_time):
            return True
        start = journey.start_condition
        once = not journey.refresh_frequency and not journey.refresh_on_segment_update
        return bool(
            start is not None
            and start.segment_start_condition is not None
            and once
            and runs
            and all(
                run["Status"] != JourneyRunStatus.RUNNING.value
                or run.get("EntryState") == ENTRY_DONE
                for run in runs
            )
        )

    # -- all of it, in process (the local backend) -------------------------------------

    def tick(self, now: datetime | None = None) -> dict[str, Any]:
        """Plan, offer every pending run's members, advance every shard until nothing
        more is due, finish: ``clarion journeys tick``. Returns what each journey did."""
        moment = now or self._clock()
        plan = self.plan(moment)
        reports: dict[str, BatchReport] = {}
        for entry in plan.entries:
            report = reports.setdefault(entry.journey_id, BatchReport(entry.journey_id))
            members = self._audience.members(entry.segment_id, entry.segment_version)
            for batch in batches(iter(members), self._engine.batch_size):
                report.merge(self._engine.admit(entry.journey_id, entry.run_id, batch, moment))
            self.entered(entry.journey_id, entry.run_id, moment)
        for work in plan.shards:
            report = reports.setdefault(work.journey_id, BatchReport(work.journey_id))
            for _ in range(1_000_000):
                step = (
                    self._engine.cancel_shard(work.journey_id, work.shard, moment)
                    if work.cancel
                    else self._engine.advance_shard(work.journey_id, work.shard, moment)
                )
                report.merge(step)
                if not step.more:
                    break
        finished = self.finish(moment)
        return {
            "Now": iso(moment),
            "RunsStarted": plan.started_runs,
            "Journeys": [report.to_json() for report in reports.values() if _did_something(report)],
            "Finished": finished,
        }


def _pending(journey_id: str, runs: list[dict[str, Any]]) -> list[PendingEntry]:
    return [
        PendingEntry(journey_id, run["RunId"], str(run["SegmentId"]), run.get("SegmentVersion"))
        for run in runs
        if run.get("EntryState") == ENTRY_PENDING
    ]


def _did_something(report: BatchReport) -> bool:
    return bool(report.entered or report.refused or report.moved or report.conflicts)
