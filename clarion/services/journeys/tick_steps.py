"""The journey tick's steps as the AWS state machine runs them (docs/journeys.md, "On
AWS"): each a small call with JSON in and out, each safe to retry.

``Now`` is fixed by :meth:`plan` and handed to every later step, so a retried step
decides exactly what the first attempt decided; the participant store's
compare-and-set and the send ledger's claims make its writes and sends happen once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clarion.domain.journeys.durations import from_ms, to_ms
from clarion.services.journeys.engine import JourneyEngine
from clarion.services.journeys.ticks import JourneyTicker, PendingEntry


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
        return {"Entry": self._entry(self._ticker.pending_entries())}

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
