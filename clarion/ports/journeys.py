"""Ports of the journeys feature: journey definitions and runs, and the participants'
state (who is where, and the counters their moves change)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.journeys.participant import Participant, ParticipantChange

CounterKey = tuple[str, str, str]  # (run id, activity id or "", metric)


class JourneyRepository(Protocol):
    """Journeys (JourneyResponse JSON, one document each: Pinpoint journeys are not
    versioned), their runs (JourneyRunResponse JSON plus Clarion's own fields, keyed by
    ``JourneyId`` and ``RunId``) and each journey's control record (the engine's
    bookkeeping: pauses, the next segment refresh)."""

    def save_journey(self, journey: Mapping[str, Any]) -> None:
        """Create or replace a journey (``Id`` identifies it)."""
        ...

    def get_journey(self, journey_id: str) -> dict[str, Any]:
        """Raises ``NotFoundError``."""
        ...

    def list_journeys(self) -> list[dict[str, Any]]:
        """Every journey of every application, ordered by ``Id``."""
        ...

    def delete_journey(self, journey_id: str) -> None:
        """Remove the journey, its runs and its control record (no error if absent)."""
        ...

    def save_run(self, run: Mapping[str, Any]) -> None:
        """Create or replace a run record."""
        ...

    def get_run(self, journey_id: str, run_id: str) -> dict[str, Any]:
        """Raises ``NotFoundError``."""
        ...

    def list_runs(self, journey_id: str) -> list[dict[str, Any]]:
        """The journey's runs, oldest first (by ``CreationTime``, then ``RunId``)."""
        ...

    def save_control(self, journey_id: str, control: Mapping[str, Any]) -> None:
        """Create or replace the journey's control record."""
        ...

    def get_control(self, journey_id: str) -> dict[str, Any]:
        """The control record; ``{}`` when there is none."""
        ...


@dataclass(frozen=True)
class CommitResult:
    """What a commit wrote: the endpoints whose change (and its counters) was applied,
    and those whose stored record no longer had the expected version (left as they
    were, counters untouched)."""

    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


class ParticipantStore(Protocol):
    """One record per (journey, endpoint) and the journey's counters.

    Every change is a compare-and-set on the record's ``Version``, applied together with
    the counters it moves or not at all, so a retried batch (or two workers) can never
    move a participant twice or count a move twice.
    """

    def get(self, journey_id: str, endpoint_ids: Sequence[str]) -> dict[str, Participant]:
        """The stored records of these endpoints (absent ones left out), read
        consistently."""
        ...

    def due(self, journey_id: str, shard: int, due_by_ms: int, limit: int) -> list[Participant]:
        """Active participants of one shard due at or before ``due_by_ms``, earliest
        first, at most ``limit``."""
        ...

    def commit(self, journey_id: str, changes: Sequence[ParticipantChange]) -> CommitResult:
        """Write each change whose stored version is still ``expected`` (0: none stored)
        together with its increments; report the others as conflicts. One endpoint
        appears at most once in ``changes``."""
        ...

    def counters(self, journey_id: str) -> dict[CounterKey, int]:
        """Every counter of the journey, by (run, activity, metric); absent ones are 0."""
        ...

    def delete(self, journey_id: str, endpoint_ids: Sequence[str] | None = None) -> int:
        """Remove these endpoints' records (all, with the counters, when None): erasure,
        or a deleted journey. Returns how many records were removed."""
        ...
