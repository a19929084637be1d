"""The steps of a campaign run on AWS, one per task of the campaign state machine
(docs/campaign-pipeline.md): start, send a batch, summarise, prepare a resume pass.

- **start** plans the run (or finds the one ``campaigns launch`` planned), describes
  its audience query (the campaign's Limits.MessagesPerSecond spread over the
  Distributed Map: :mod:`clarion.domain.campaigns.send_rate`) and starts that query
  itself, returning only its execution id: a segment's SQL may be a couple of hundred
  kilobytes, and the execution state never holds it. A schedule firing brings no run
  id: the run is planned with the execution's name as its id, so a retried task finds
  the run it planned instead of planning a second one.
- **send batch** sends one batch through :meth:`CampaignRunner.send_batch` (which claims
  endpoints in the send ledger before delivering, so a retry sends nothing twice) and
  then holds the invocation to its share of the rate.
- **summarise** counts the run's outcomes onto the run record; while endpoints are
  deferred (quiet time, a local-time schedule not yet due) it says when the earliest is
  due, and once nothing is deferred the campaign moves on (``finish_run``).
- **prepare resume** writes the deferred endpoints now due as batches, in the audience
  query's shape, so the same Map runs a resume pass, paced and retried like the first.
  Each endpoint goes through the whole decision again (it may have opted out meanwhile).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clarion.domain.campaigns.model import CampaignStatus
from clarion.domain.campaigns.send_rate import (
    MAX_BATCH_SIZE,
    SendPlan,
    batched_audience_sql,
    pause_needed,
    send_plan,
)
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.messaging.ledger import to_ms
from clarion.ports.campaigns import (
    BatchObject,
    CampaignAudienceQuery,
    CampaignBatchStore,
    CampaignRepository,
)
from clarion.ports.messaging import SendLedger
from clarion.services.campaigns.runner import CampaignRunner, batches, utc_now
from clarion.services.campaigns.service import SCHEDULE_TRIGGER, CampaignService

# Deferral moments are stored in epoch milliseconds; every deferred one is before this.
_FAR_FUTURE_MS = 10**15


def step_functions_time(moment_ms: int) -> str:
    """``moment_ms`` rounded up to a whole second, as Step Functions' Wait reads it."""
    seconds = math.ceil(moment_ms / 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class RunStart:
    """A run planned (or found), and how its audience is batched and paced."""

    run_id: str
    campaign_id: str
    audience_sql: str
    plan: SendPlan
    planned: bool

    def to_json(self) -> dict[str, Any]:
        """The run and its plan, without the SQL (the start step starts the query)."""
        return {"RunId": self.run_id, "CampaignId": self.campaign_id, **self.plan.to_json()}


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run planned (or found) whose audience query is running."""

    start: RunStart
    query_execution_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.start.to_json(),
            "AudienceQueryExecutionId": self.query_execution_id,
            "AudienceSqlBytes": len(self.start.audience_sql.encode("utf-8")),
        }


@dataclass(frozen=True, slots=True)
class BatchSent:
    """One batch's outcomes counted by reason."""

    run_id: str
    label: str
    endpoints: int
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "RunId": self.run_id,
            "Batch": self.label,
            "Endpoints": self.endpoints,
            "Counts": self.counts,
        }


@dataclass(frozen=True, slots=True)
class PassSummary:
    """A run after a pass: its state and counts, and when to resume while pending."""

    run_id: str
    state: str
    counts: dict[str, int]
    pending: bool
    resume_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "RunId": self.run_id,
            "State": self.state,
            "Counts": self.counts,
            "Pending": self.pending,
            "ResumeAt": self.resume_at,
        }


@dataclass(frozen=True, slots=True)
class ResumePass:
    """The batches of a resume pass (no object when nothing is due: ``batches`` 0)."""

    location: BatchObject
    endpoints: int
    batches: int

    def to_json(self) -> dict[str, Any]:
        return {
            "Bucket": self.location.bucket,
            "Key": self.location.key,
            "Endpoints": self.endpoints,
            "Batches": self.batches,
        }


class CampaignRunSteps:
    """The campaign state machine's steps (module docstring).

    Parameters
    ----------
    runner, campaigns
        The campaign engine and the campaign service (run time of a schedule, finishing).
    repository, ledger
        Runs and campaign versions; the send ledger's deferrals.
    batch_store
        Where resume passes are written, or a callable making it on first use (only the
        resume step needs it).
    audience_query
        Starts the audience query (only the start step needs it), or a callable making
        it on first use.
    clock, sleep, monotonic
        Time sources (tests pass fakes); ``sleep`` holds a batch to its rate.
    """

    def __init__(
        self,
        runner: CampaignRunner,
        campaigns: CampaignService,
        repository: CampaignRepository,
        ledger: SendLedger,
        batch_store: CampaignBatchStore | Callable[[], CampaignBatchStore],
        *,
        audience_query: CampaignAudienceQuery | Callable[[], CampaignAudienceQuery] | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runner = runner
        self._campaigns = campaigns
        self._repository = repository
        self._ledger = ledger
        self._batch_store = batch_store
        self._audience_query = audience_query
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic

    # -- start -------------------------------------------------------------------------

    def start(self, campaign_id: str, run_id: str | None = None) -> RunStart:
        """Plan (or find) the run and describe its batched audience query.

        Raises
        ------
        InvalidRecordError
            ``run_id`` names another campaign's run, or the campaign is paused or broken.
        NotFoundError
            No such campaign, or a template it names is missing.
        """
        run: dict[str, Any] | None = None
        if run_id is not None:
            try:
                run = self._repository.get_run(run_id)
            except NotFoundError:
                run = None
        planned = run is None
        if run is None:
            # A schedule firing: with IsLocalTime it fires ahead of the run's wall-clock
            # time (in UTC+14), so plan the run for the time it stands for.
            fired_at = self._clock()
            run = self._runner.plan_run(
                campaign_id,
                run_id=run_id,
                trigger=SCHEDULE_TRIGGER,
                now=fired_at,
                run_time=self._campaigns.scheduled_run_time(campaign_id, fired_at),
            )
        elif run.get("CampaignId") != campaign_id:
            raise InvalidRecordError(
                [FieldProblem("RunId", f"run {run_id} belongs to campaign {run.get('CampaignId')}")]
            )
        found_id = str(run["RunId"])
        campaign = self._repository.get_campaign(campaign_id, run.get("CampaignVersion"))
        plan = send_plan((campaign.get("Limits") or {}).get("MessagesPerSecond"))
        sql = batched_audience_sql(self._runner.audience_sql(found_id), plan.batch_size)
        return RunStart(found_id, campaign_id, sql, plan, planned)

    def start_with_query(
        self, campaign_id: str, run_id: str | None = None, *, execution: str | None = None
    ) -> RunStarted:
        """:meth:`start`, then start the run's audience query.

        ``execution`` (the state machine execution's name) and the SQL make the query's
        idempotency token: a retried step gets the query it started; another execution
        of the same run starts a fresh one.

        Raises
        ------
        RuntimeError
            No audience query was given (the local backend queries in process).
        """
        start = self.start(campaign_id, run_id)
        queries = self._audience_query
        if queries is None:
            raise RuntimeError("no audience query to start the run's query with")
        if callable(queries):
            queries = queries()
        token = hashlib.sha256(
            f"{execution or start.run_id}\n{start.audience_sql}".encode()
        ).hexdigest()
        return RunStarted(start, queries.start(start.audience_sql, token))

    # -- one batch -----------------------------------------------------------------------

    def send_batch(
        self,
        run_id: str,
        endpoint_ids: Sequence[str],
        *,
        invocation_rate: float | None = None,
        label: str = "",
        time_budget_s: float | None = None,
    ) -> BatchSent:
        """Send one batch, then wait as long as ``invocation_rate`` messages a second
        asks. Infrastructure errors (DynamoDB, Kinesis) are raised, so the batch is
        retried. Throttled and temporary failures are retried within ``time_budget_s``
        (the invocation's remaining time, less a margin)."""
        ids = [i for i in endpoint_ids if i]
        started = self._monotonic()
        counts = self._runner.send_batch(run_id, ids, time_budget_s=time_budget_s) if ids else {}
        delivered = counts.get("SENT", 0) + counts.get("FAILED", 0)
        pause = pause_needed(delivered, self._monotonic() - started, invocation_rate)
        if pause:
            self._sleep(pause)
        return BatchSent(run_id, label, len(ids), counts)

    # -- after a pass --------------------------------------------------------------------

    def summarise(self, run_id: str) -> PassSummary:
        """Count the run's outcomes and say whether (and when) to resume."""
        now = self._clock()
        run = self._runner.summarise_run(run_id, now=now)
        pending = run["State"] == CampaignStatus.PENDING_NEXT_RUN.value
        resume_at = step_functions_time(self._next_resume_ms(run_id, now)) if pending else None
        if not pending:
            self._campaigns.finish_run(run_id, now=now)
        return PassSummary(run_id, run["State"], run.get("Counts", {}), pending, resume_at)

    def _next_resume_ms(self, run_id: str, now: datetime) -> int:
        """The earliest moment a deferred endpoint of the run is due (``now`` if one
        already is, or if a deferral has no moment)."""
        deferred = self._ledger.deferred(run_id, _FAR_FUTURE_MS)
        now_ms = to_ms(now)
        if not deferred:
            return now_ms
        untils = [o.until_ms for o in self._ledger.outcomes(run_id, deferred).values()]
        known = [u for u in untils if u is not None]
        if len(known) < len(untils) or not known:
            return now_ms
        return max(now_ms, min(known))

    def prepare_resume(self, run_id: str, batch_size: int = MAX_BATCH_SIZE) -> ResumePass:
        """Write the deferred endpoints now due as the next pass's batches of
        ``batch_size`` (at most ``MAX_BATCH_SIZE``)."""
        now_ms = to_ms(self._clock())
        due = self._ledger.deferred(run_id, now_ms)
        grouped = list(batches(due, min(batch_size, MAX_BATCH_SIZE)))
        store = self._batch_store
        if callable(store):
            store = store()
        location = store.put_batches(run_id, now_ms, grouped)
        return ResumePass(location, len(due), len(grouped))
