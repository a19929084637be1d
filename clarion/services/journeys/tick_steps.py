"""The journey tick's steps as the AWS state machine runs them (docs/journeys.md, "On
AWS"): each a small call with JSON in and out, each safe to retry.

``Now`` is fixed by :meth:`plan` and handed to every later step, so a retried step
decides exactly what the first attempt decided; the participant store's
compare-and-set and the send ledger's claims make its writes and sends happen once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clarion.domain.journeys.durations import from_ms, to_ms
from clarion.services.journeys.engine import JourneyEngine
from clarion.services.journeys.ticks import JourneyTicker, PendingEntry

if TYPE_CHECKING:
    from clarion.services.common import ProjectService


class JourneyTickSteps:
    """Plan → (for each pending run: audience query → admit batches → entered) →
    advance every shard → finish.

    Parameters
    ----------
    ticker, engine
        The tick's planning and the engine.
    batch_size
        Endpoints per admit batch (the audience query's rows) and participants an
        advance invocation reads at a time.
    """

    def __init__(
        self, ticker: JourneyTicker, engine: JourneyEngine, *, batch_size: int = 500
    ) -> None:
        self._ticker = ticker
        self._engine = engine
        self.batch_size = batch_size

    def _entry(self, entries: Sequence[PendingEntry]) -> dict[str, Any] | None:
        if not entries:
            return None
        entry = entries[0]
        return {**entry.to_json(), "AudienceSql": self._ticker.audience_sql(entry, self.batch_size)}

    def now(self) -> datetime:
        """The engine's time (the tick's, when the plan is given none)."""
        return self._engine.now()

    def next_entry(self) -> dict[str, Any] | None:
        """The first run whose members are still to be offered, or None."""
        return self._entry(self._ticker.pending_entries())

    def plan(self, now: datetime | None = None) -> dict[str, Any]:
        """Start due runs; ``Entry`` is the first run whose members are to be offered
        (or None), ``Shards`` the advance work, ``Now`` the tick's time (epoch ms)."""
        plan = self._ticker.plan(now or self._engine.now())
        now_ms = to_ms(plan.now)
        return {
            "Now": now_ms,
            "Entry": self._entry(plan.entries),
            "Entries": len(plan.entries),
            "RunsStarted": plan.started_runs,
            "Shards": [{**work.to_json(), "Now": now_ms} for work in plan.shards],
        }

    def admit_batch(
        self, journey_id: str, run_id: str, endpoint_ids: Sequence[str], now_ms: int
    ) -> dict[str, Any]:
        """Offer one batch of a run's members; returns what the batch did."""
        report = self._engine.admit(journey_id, run_id, endpoint_ids, from_ms(now_ms))
        return report.to_json()

    def entered(self, journey_id: str, run_id: str, now_ms: int) -> dict[str, Any]:
        """The run's members have all been offered; returns the next pending run (or
        None) as ``Entry``."""
        self._ticker.entered(journey_id, run_id, from_ms(now_ms))
        return {"Entry": self.next_entry()}

    def advance_shard(
        self, journey_id: str, shard: int, now_ms: int, *, cancel: bool = False
    ) -> dict[str, Any]:
        """One page of a shard: due participants moved (or, for a cancelled journey,
        ended); ``More`` says whether to call again."""
        if cancel:
            report = self._engine.cancel_shard(
                journey_id, shard, from_ms(now_ms), limit=self.batch_size
            )
        else:
            report = self._engine.advance_shard(
                journey_id, shard, from_ms(now_ms), limit=self.batch_size
            )
        return report.to_json()

    def finish(self, now_ms: int) -> dict[str, Any]:
        """Close finished runs and journeys."""
        return {"Now": now_ms, "Finished": self._ticker.finish(from_ms(now_ms))}


class ProjectsTickSteps:
    """The tick over every project: each project's journeys move in the project's own
    :class:`JourneyTickSteps` (its keys, its settings), and every piece of work the
    plan hands out carries its project's id (``ApplicationId``), so each later step
    works in the project its input names.

    Parameters
    ----------
    projects
        Lists the projects (the default one first).
    steps_of
        A project's tick steps, by its id.
    """

    def __init__(
        self, projects: ProjectService, steps_of: Callable[[str], JourneyTickSteps]
    ) -> None:
        self._projects = projects
        self._steps_of = steps_of

    @property
    def default_app_id(self) -> str:
        return self._projects.default_app_id

    def _app(self, app_id: str | None) -> str:
        return app_id or self.default_app_id

    def steps(self, app_id: str | None) -> JourneyTickSteps:
        """Project ``app_id``'s steps (the default project's when None)."""
        return self._steps_of(self._app(app_id))

    def plan(self, now: datetime | None = None) -> dict[str, Any]:
        """Each project planned at the same ``Now``; ``Projects`` lists those with
        journeys to move (active, or cancelled and not yet ended), ``Entry`` the first
        of their runs whose members are to be offered, ``Shards`` all their shards."""
        moment = now or self.steps(None).now()
        projects: list[str] = []
        shards: list[dict[str, Any]] = []
        runs_started: list[str] = []
        entries = 0
        entry: dict[str, Any] | None = None
        for project in self._projects.list_apps():
            app_id = str(project["Id"])
            plan = self._steps_of(app_id).plan(moment)
            if not plan["Shards"]:
                continue
            projects.append(app_id)
            shards += [{**work, "ApplicationId": app_id} for work in plan["Shards"]]
            runs_started += plan["RunsStarted"]
            entries += plan["Entries"]
            if entry is None and plan["Entry"] is not None:
                entry = {**plan["Entry"], "ApplicationId": app_id}
        return {
            "Now": to_ms(moment),
            "Projects": projects,
            "Entry": entry,
            "Entries": entries,
            "RunsStarted": runs_started,
            "Shards": shards,
        }

    def entered(
        self,
        app_id: str | None,
        journey_id: str,
        run_id: str,
        now_ms: int,
        projects: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The run's members have all been offered; ``Entry`` is the next run to offer:
        this project's, else the first of the projects after it in ``projects``."""
        current = self._app(app_id)
        answer = self.steps(current).entered(journey_id, run_id, now_ms)
        if answer["Entry"] is not None:
            return {"Entry": {**answer["Entry"], "ApplicationId": current}}
        later = list(projects)[list(projects).index(current) + 1 :] if current in projects else []
        for other in later:
            entry = self.steps(other).next_entry()
            if entry is not None:
                return {"Entry": {**entry, "ApplicationId": other}}
        return {"Entry": None}

    def finish(self, now_ms: int, projects: Sequence[str] = ()) -> dict[str, Any]:
        """Close finished runs and journeys of each project (the default one's when
        none is named); each closed journey names its project."""
        finished: list[dict[str, Any]] = []
        for app_id in projects or [self.default_app_id]:
            answer = self.steps(app_id).finish(now_ms)
            finished += [{**item, "ApplicationId": app_id} for item in answer["Finished"]]
        return {"Now": now_ms, "Finished": finished}
