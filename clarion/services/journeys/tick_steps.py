"""The journey tick's steps as the AWS state machine runs them (docs/journeys.md, "On
AWS"): each a small call with JSON in and out, each safe to retry.

``Now`` is fixed by :meth:`plan` and handed to every later step, so a retried step
decides exactly what the first attempt decided; the participant store's
compare-and-set and the send ledger's claims make its writes and sends happen once.

The step that names the next run to offer (plan, then entered) starts that run's
audience query itself and returns only the query's execution id and the SQL's size: a
segment's SQL may be up to 200,000 bytes (``MAX_SEGMENT_SQL_BYTES``) and Step Functions
limits a state's input and output to 256 KiB, so the execution state never holds it.
The query's token is derived from the execution, the tick's ``Now``, the run and the
SQL, so a retried step gets the query it started. Were a retry to start a second query
all the same (the token forgotten, the segment changed in between), its members would
be offered twice and admitted once: admission is a compare-and-set on each participant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clarion.domain.journeys.durations import from_ms, to_ms
from clarion.services.journeys.engine import JourneyEngine
from clarion.services.journeys.ticks import JourneyTicker, PendingEntry

if TYPE_CHECKING:
    from clarion.ports.campaigns import CampaignAudienceQuery
    from clarion.services.common import ProjectService


def query_token(execution: str | None, now_ms: int, entry: PendingEntry, sql: str) -> str:
    """The audience query's idempotency token (64 hex characters): the same for a
    retried step of one execution, another for another execution or run."""
    text = "\n".join([execution or "", str(now_ms), entry.journey_id, entry.run_id, sql])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    audience_query
        Starts a run's audience query (Athena on AWS; only plan and entered need it),
        or a callable making it on first use.
    """

    def __init__(
        self,
        ticker: JourneyTicker,
        engine: JourneyEngine,
        *,
        batch_size: int = 500,
        audience_query: CampaignAudienceQuery | Callable[[], CampaignAudienceQuery] | None = None,
    ) -> None:
        self._ticker = ticker
        self._engine = engine
        self.batch_size = batch_size
        self._audience_query = audience_query

    def _queries(self) -> CampaignAudienceQuery:
        queries = self._audience_query
        if queries is None:
            raise RuntimeError("no audience query to start the journey run's query with")
        if callable(queries):
            queries = self._audience_query = queries()
        return queries

    def _entry(
        self, entries: Sequence[PendingEntry], now_ms: int, execution: str | None
    ) -> dict[str, Any] | None:
        """The first of ``entries`` with its audience query started (module docstring):
        its id and the SQL's size in bytes, never the SQL."""
        if not entries:
            return None
        entry = entries[0]
        sql = self._ticker.audience_sql(entry, self.batch_size)
        query_id = self._queries().start(sql, query_token(execution, now_ms, entry, sql))
        return {
            **entry.to_json(),
            "AudienceQueryExecutionId": query_id,
            "AudienceSqlBytes": len(sql.encode("utf-8")),
        }

    def now(self) -> datetime:
        """The engine's time (the tick's, when the plan is given none)."""
        return self._engine.now()

    def next_entry(self, now_ms: int, *, execution: str | None = None) -> dict[str, Any] | None:
        """The first run whose members are still to be offered, its audience query
        started (``execution``, the state machine execution's name, and the tick's
        ``now_ms`` make the query's token), or None."""
        return self._entry(self._ticker.pending_entries(), now_ms, execution)

    def plan(
        self,
        now: datetime | None = None,
        *,
        execution: str | None = None,
        start_query: bool = True,
    ) -> dict[str, Any]:
        """Start due runs; ``Entry`` is the first run whose members are to be offered
        (or None) with its audience query started (:meth:`next_entry`; with
        ``start_query`` false, the run alone: another project's entry is offered
        first), ``Shards`` the advance work, ``Now`` the tick's time (epoch ms)."""
        plan = self._ticker.plan(now or self._engine.now())
        now_ms = to_ms(plan.now)
        if start_query:
            entry = self._entry(plan.entries, now_ms, execution)
        else:
            entry = plan.entries[0].to_json() if plan.entries else None
        return {
            "Now": now_ms,
            "Entry": entry,
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

    def entered(
        self, journey_id: str, run_id: str, now_ms: int, *, execution: str | None = None
    ) -> dict[str, Any]:
        """The run's members have all been offered; returns the next pending run (or
        None) as ``Entry``, its audience query started (:meth:`next_entry`)."""
        self._ticker.entered(journey_id, run_id, from_ms(now_ms))
        return {"Entry": self.next_entry(now_ms, execution=execution)}

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

    def plan(self, now: datetime | None = None, *, execution: str | None = None) -> dict[str, Any]:
        """Each project planned at the same ``Now``; ``Projects`` lists those with
        journeys to move (active, or cancelled and not yet ended), ``Entry`` the first
        of their runs whose members are to be offered (its audience query started,
        ``execution`` naming the state machine execution), ``Shards`` all their
        shards."""
        moment = now or self.steps(None).now()
        projects: list[str] = []
        shards: list[dict[str, Any]] = []
        runs_started: list[str] = []
        entries = 0
        entry: dict[str, Any] | None = None
        for project in self._projects.list_apps():
            app_id = str(project["Id"])
            # Only the first entry's query is started: a later project's runs are
            # offered by the entered step that names them, which starts their query.
            plan = self._steps_of(app_id).plan(
                moment, execution=execution, start_query=entry is None
            )
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
        *,
        execution: str | None = None,
    ) -> dict[str, Any]:
        """The run's members have all been offered; ``Entry`` is the next run to offer
        (its audience query started, ``execution`` naming the state machine execution):
        this project's, else the first of the projects after it in ``projects``."""
        current = self._app(app_id)
        answer = self.steps(current).entered(journey_id, run_id, now_ms, execution=execution)
        if answer["Entry"] is not None:
            return {"Entry": {**answer["Entry"], "ApplicationId": current}}
        later = list(projects)[list(projects).index(current) + 1 :] if current in projects else []
        for other in later:
            entry = self.steps(other).next_entry(now_ms, execution=execution)
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
