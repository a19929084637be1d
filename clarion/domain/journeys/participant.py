"""One endpoint's place in one journey: the participant record the engine moves.

There is one record per (journey, endpoint), kept across entries, so re-entry caps and
the journey's own message caps count every entry, and ``explain`` can answer for an
endpoint that never entered (its last refusal is kept). ``Version`` increases with
every change; a store writes a change only if the version it read is still the stored
one, so no participant is moved twice by two workers or a retried batch.

The record is stored as a JSON document (``to_document``); ``due_at`` and the shard are
also stored beside it so the store can find due participants without reading documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

PARTICIPANT_SHARDS = 16  # tick workers per journey: each advances one shard in order
MAX_HISTORY = 5  # earlier entries kept (summaries) for explain
MAX_SEND_TIMES = 100  # recent journey sends kept per participant (DailyCap is at most 100)
DAY_MS = 86_400_000


class ParticipantStatus(StrEnum):
    ACTIVE = "ACTIVE"  # in the journey (at ``activity``)
    FINISHED = "FINISHED"  # left the journey (its last entry ended)
    CANCELLED = "CANCELLED"  # ended because the journey was cancelled
    REFUSED = "REFUSED"  # never entered: ``refusal`` says why


def shard_of(endpoint_id: str) -> int:
    """The endpoint's shard 0..PARTICIPANT_SHARDS-1 (a stable hash)."""
    digest = hashlib.blake2b(endpoint_id.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % PARTICIPANT_SHARDS


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happened to the participant at an activity (for explain)."""

    activity: str
    at: int
    outcome: str
    detail: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Activity": self.activity, "At": self.at, "Outcome": self.outcome}
        if self.detail:
            out["Detail"] = dict(self.detail)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        return cls(str(data["Activity"]), int(data["At"]), str(data["Outcome"]), data.get("Detail"))


@dataclass(frozen=True, slots=True)
class Participant:
    """The participant record (module docstring). Immutable: changes make new records
    with :func:`dataclasses.replace`."""

    journey_id: str
    endpoint_id: str
    status: ParticipantStatus = ParticipantStatus.REFUSED
    version: int = 0  # 0: not stored yet
    activity: str | None = None
    run_id: str | None = None
    entry: int = 0  # entries so far
    entered_at: int | None = None
    last_entry_at: int | None = None
    arrived_at: int | None = None  # at the current activity; None: just moved there
    due_at: int | None = None  # when the engine must look at it again (ACTIVE only)
    deadline: int | None = None  # a split's evaluation window end (EvaluationWaitTime)
    matched: Mapping[str, int] = field(default_factory=dict)  # condition key -> event ms
    path: Sequence[Step] = ()
    send_times: Sequence[int] = ()  # recent sends of this journey to the endpoint
    total_sends: int = 0
    pauses_seen: int = 0  # journey pauses already added to waits
    outcome: str | None = None
    refusal: Mapping[str, Any] | None = None
    last_event_id: str | None = None  # the event that made the last entry
    history: Sequence[Mapping[str, Any]] = ()

    @property
    def shard(self) -> int:
        return shard_of(self.endpoint_id)

    @property
    def is_active(self) -> bool:
        return self.status == ParticipantStatus.ACTIVE

    @property
    def entry_key(self) -> str:
        """This entry's id: the run and the entry number (what message tags carry)."""
        return f"{self.run_id}.{self.entry}"

    def sends_since(self, since_ms: int) -> int:
        return sum(1 for moment in self.send_times if moment > since_ms)

    def with_step(self, step: Step) -> Participant:
        return replace(self, path=(*self.path, step))

    def with_send(self, at: int) -> Participant:
        recent = [moment for moment in self.send_times if moment > at - DAY_MS]
        return replace(
            self,
            send_times=(*recent[-(MAX_SEND_TIMES - 1) :], at),
            total_sends=self.total_sends + 1,
        )

    def to_document(self) -> dict[str, Any]:
        """The stored JSON document (``Version`` included)."""
        document: dict[str, Any] = {
            "JourneyId": self.journey_id,
            "EndpointId": self.endpoint_id,
            "Status": self.status.value,
            "Version": self.version,
            "Entry": self.entry,
            "TotalSends": self.total_sends,
        }
        optional = {
            "Activity": self.activity,
            "RunId": self.run_id,
            "EnteredAt": self.entered_at,
            "LastEntryAt": self.last_entry_at,
            "ArrivedAt": self.arrived_at,
            "DueAt": self.due_at,
            "Deadline": self.deadline,
            "Outcome": self.outcome,
            "Refusal": dict(self.refusal) if self.refusal else None,
            "LastEventId": self.last_event_id,
        }
        document.update({k: v for k, v in optional.items() if v is not None})
        if self.matched:
            document["Matched"] = dict(self.matched)
        if self.path:
            document["Path"] = [step.to_json() for step in self.path]
        if self.send_times:
            document["SendTimes"] = list(self.send_times)
        if self.pauses_seen:
            document["PausesSeen"] = self.pauses_seen
        if self.history:
            document["History"] = [dict(item) for item in self.history]
        return document

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> Participant:
        return cls(
            journey_id=str(data["JourneyId"]),
            endpoint_id=str(data["EndpointId"]),
            status=ParticipantStatus(data["Status"]),
            version=int(data["Version"]),
            activity=data.get("Activity"),
            run_id=data.get("RunId"),
            entry=int(data.get("Entry", 0)),
            entered_at=data.get("EnteredAt"),
            last_entry_at=data.get("LastEntryAt"),
            arrived_at=data.get("ArrivedAt"),
            due_at=data.get("DueAt"),
            deadline=data.get("Deadline"),
            matched={str(k): int(v) for k, v in (data.get("Matched") or {}).items()},
            path=tuple(Step.from_json(step) for step in data.get("Path") or ()),
            send_times=tuple(int(v) for v in data.get("SendTimes") or ()),
            total_sends=int(data.get("TotalSends", 0)),
            pauses_seen=int(data.get("PausesSeen", 0)),
            outcome=data.get("Outcome"),
            refusal=data.get("Refusal"),
            last_event_id=data.get("LastEventId"),
            history=tuple(data.get("History") or ()),
        )


def new_participant(journey_id: str, endpoint_id: str) -> Participant:
    """The record of an endpoint the journey has never seen (not stored yet)."""
    return Participant(journey_id=journey_id, endpoint_id=endpoint_id)


@dataclass(frozen=True, slots=True)
class Increment:
    """One counter change: a metric of the journey (``activity`` empty) or of one
    activity, in one run."""

    run_id: str
    activity: str
    metric: str
    value: int = 1


@dataclass(frozen=True, slots=True)
class ParticipantChange:
    """A new participant record to store if the stored one still has ``expected``
    version (0: none stored), with the counters it moves. A store applies the record
    and its increments together, or neither."""

    participant: Participant
    expected: int
    increments: Sequence[Increment] = ()

    @property
    def endpoint_id(self) -> str:
        return self.participant.endpoint_id
