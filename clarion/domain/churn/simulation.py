"""What a simulated customer history is made from, and how its events are named.

The simulator itself is demo and benchmark code outside the runtime package; the churn
services keep these parameters (as the ``simulation`` document) so that the same
population can be rebuilt later: for the oracle baseline, and to play out a retention
campaign's response. Time is in days relative to the end of the history: day ``d`` of
a history of ``D`` days starts at ``end - (D - d) days``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clarion.domain.churn.model import day_start


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What a simulation is made from: the same config gives the same history.

    Parameters
    ----------
    customers
        How many customers (one endpoint each).
    days
        Days of history.
    seed
        The random seed.
    end
        Midnight UTC: the as-of date the history runs up to.
    """

    customers: int
    days: int
    seed: int
    end: datetime

    def __post_init__(self) -> None:
        if self.customers < 1 or self.days < 1:
            raise ValueError("customers and days must be at least 1")

    @property
    def start(self) -> datetime:
        """Midnight UTC of the history's first day."""
        return self.end - timedelta(days=self.days)

    def day_of(self, moment: datetime) -> int:
        """The day index of a midnight (may be outside the history)."""
        return round((day_start(moment) - self.start).total_seconds() / 86400)

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "days": self.days,
            "seed": self.seed,
            "end": self.end.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SimulationConfig:
        return cls(
            int(data["customers"]),
            int(data["days"]),
            int(data["seed"]),
            datetime.fromisoformat(str(data["end"])),
        )


def event_id_prefix(seed: int, stream: int, first_day: int) -> str:
    """Event ids of one simulated run: ``<prefix><index of the event in the run>``, so
    writing the same run twice stores it once."""
    return f"simulation-{seed}-{stream}-{first_day}-"
