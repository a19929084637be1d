"""Daily compaction of the endpoint change feed into a new snapshot, named by the run's
time in epoch milliseconds: the ``endpoint_latest`` view then reads that snapshot and
only the changes since, so what it scans stays about one day of changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from clarion.ports.audience import EndpointCompactor


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """The snapshot written, and the query that wrote it."""

    snapshot_ms: int
    query_execution_id: str

    def to_json(self) -> dict[str, int | str]:
        return asdict(self)


class EndpointCompactionService:
    """Writes endpoint snapshots (module docstring).

    Parameters
    ----------
    compactor
        What writes a snapshot (the Athena statement on AWS).
    clock_ms
        The time in epoch milliseconds (tests pass a fixed one).
    """

    def __init__(
        self, compactor: EndpointCompactor, *, clock_ms: Callable[[], int] = _now_ms
    ) -> None:
        self._compactor = compactor
        self._clock_ms = clock_ms

    def compact(
        self, *, snapshot_ms: int | None = None, timeout_s: float | None = None
    ) -> CompactionResult:
        """Write the snapshot of now (or of ``snapshot_ms``), waiting at most
        ``timeout_s``. Raises what the compactor raises when the snapshot fails, so a
        scheduled run is retried."""
        moment = self._clock_ms() if snapshot_ms is None else snapshot_ms
        query_id = self._compactor.compact(moment, timeout_s=timeout_s)
        return CompactionResult(snapshot_ms=moment, query_execution_id=query_id)
