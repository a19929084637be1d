"""Daily compaction of the endpoint change feed into a new snapshot, named by the run's
time in epoch milliseconds: the ``endpoint_latest`` view then reads that snapshot and
only the changes since, so what it scans stays about one day of changes.

Change objects are deleted here, after a snapshot succeeded, and never by a blind
lifecycle rule: a compaction failing for weeks then keeps every change (the view reads
them), instead of letting changes expire before any snapshot absorbed them, which would
drop those endpoints from every segment. Old snapshots go the same way (never the
newest, however old). Only change objects written ``retention_days`` ago
*and* well before the snapshot (``ABSORBED_MARGIN_MS``: the view's two days of late
changes, plus one) are deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from clarion.ports.audience import EndpointCompactor

DAY_MS = 86_400_000
# The endpoint_latest view re-reads changes up to two days older than the newest
# snapshot (late arrivals); a day more for clocks.
ABSORBED_MARGIN_MS = 3 * DAY_MS


def _now_ms() -> int:
    return int(time.time() * 1000)


class CompactionGapError(RuntimeError):
    """The previous snapshot is older than the change table shows: a new one would miss
    changes, so none is written and nothing is deleted (the changes are all kept; a
    larger ``change_retention_days`` makes the table show them again)."""

    def __init__(self, previous_ms: int, snapshot_ms: int, retention_days: int) -> None:
        days = (snapshot_ms - previous_ms) / DAY_MS
        super().__init__(
            f"the newest endpoint snapshot is {days:.1f} days old, and the change table shows "
            f"{retention_days + 1} days: no snapshot written, no change deleted; raise "
            f"change_retention_days above {days + 2:.0f} and redeploy, then compact"
        )
        self.previous_ms = previous_ms


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """The snapshot written, and the query that wrote it."""

    snapshot_ms: int
    query_execution_id: str
    expired_changes: int = 0

    def to_json(self) -> dict[str, int | str]:
        return asdict(self)


class EndpointCompactionService:
    """Writes endpoint snapshots (module docstring).

    Parameters
    ----------
    compactor
        What writes a snapshot (the Athena statement on AWS).
    retention_days
        Change objects are kept at least this long, then deleted after a successful
        snapshot; 0 or None never deletes any.
    snapshot_retention_days
        Snapshots older than this are deleted after a successful snapshot (never the
        newest); 0 or None never deletes any.
    clock_ms
        The time in epoch milliseconds (tests pass a fixed one).
    """

    def __init__(
        self,
        compactor: EndpointCompactor,
        *,
        retention_days: int | None = None,
        snapshot_retention_days: int | None = None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self._compactor = compactor
        self._retention_days = retention_days
        self._snapshot_retention_days = snapshot_retention_days
        self._clock_ms = clock_ms

    def compact(
        self, *, snapshot_ms: int | None = None, timeout_s: float | None = None
    ) -> CompactionResult:
        """Write the snapshot of now (or of ``snapshot_ms``), waiting at most
        ``timeout_s``, then delete the change objects it absorbed that are past their
        retention. Raises what the compactor raises when the snapshot fails (nothing is
        deleted then) or the deletion does, so a scheduled run is retried and alarmed."""
        now = self._clock_ms()
        moment = now if snapshot_ms is None else snapshot_ms
        previous = self._compactor.latest_snapshot_ms() if self._retention_days else None
        if previous is not None and self._retention_days:
            # The change table shows the last retention_days + 1 days (its partition
            # projection), and the view wants the changes since two days before the
            # previous snapshot: past that, a snapshot would miss changes.
            readable_ms = (self._retention_days - 1) * DAY_MS
            if moment - previous > readable_ms:
                raise CompactionGapError(previous, moment, self._retention_days)
        query_id = self._compactor.compact(moment, timeout_s=timeout_s)
        # Only past this line did a snapshot absorb the changes. The first snapshot
        # deletes nothing: older changes the table no longer shows were never absorbed.
        expired = 0
        if self._retention_days and previous is not None:
            cutoff = min(moment - ABSORBED_MARGIN_MS, now - self._retention_days * DAY_MS)
            expired = self._compactor.expire_absorbed_changes(cutoff)
        if self._snapshot_retention_days:
            self._compactor.expire_snapshots(now - self._snapshot_retention_days * DAY_MS)
        return CompactionResult(
            snapshot_ms=moment, query_execution_id=query_id, expired_changes=expired
        )
