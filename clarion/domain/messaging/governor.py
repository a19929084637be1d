"""The one message governor's rules: per-endpoint caps of a project, counting every
message a person gets from campaigns, journeys and social triggers together.

The caps come from the project's ApplicationSettings: the daily cap is the lower of
``Limits.Daily`` and ``JourneyLimits.DailyCap``, the total cap the lower of
``Limits.Total`` and ``JourneyLimits.TotalCap``, and ``JourneyLimits.TimeframeCap``
caps the messages of the last ``Days`` UTC days (today included). A cap of 0 or none is
no cap. A message over a cap is not sent and is recorded with the cap that stopped it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from clarion.domain.messaging.ledger import Reason

# Days of counts kept per endpoint: the longest timeframe Pinpoint allows.
KEPT_DAYS = 31


@dataclass(frozen=True, slots=True)
class GovernorCaps:
    """A project's per-endpoint caps (None: no cap)."""

    daily: int | None = None
    total: int | None = None
    timeframe_cap: int | None = None
    timeframe_days: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.daily or self.total or (self.timeframe_cap and self.timeframe_days))

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None) -> GovernorCaps:
        """The caps of an ApplicationSettingsResource (Pinpoint JSON)."""
        if not settings:
            return cls()
        limits = settings.get("Limits") or {}
        journeys = settings.get("JourneyLimits") or {}
        assert isinstance(limits, Mapping) and isinstance(journeys, Mapping)
        timeframe = journeys.get("TimeframeCap") or {}
        assert isinstance(timeframe, Mapping)

        def lower(*values: object) -> int | None:
            given = [int(v) for v in values if isinstance(v, int) and v > 0]
            return min(given) if given else None

        return cls(
            daily=lower(limits.get("Daily"), journeys.get("DailyCap")),
            total=lower(limits.get("Total"), journeys.get("TotalCap")),
            timeframe_cap=lower(timeframe.get("Cap")),
            timeframe_days=lower(timeframe.get("Days")),
        )


@dataclass
class EndpointCounts:
    """Messages one endpoint got: in total, and per UTC day (``YYYY-MM-DD``)."""

    total: int = 0
    days: dict[str, int] = field(default_factory=dict)

    def in_last(self, today: str, days: int) -> int:
        """Messages of the ``days`` days ending with ``today``."""
        end = date.fromisoformat(today)
        wanted = {(end - timedelta(days=n)).isoformat() for n in range(days)}
        return sum(count for day, count in self.days.items() if day in wanted)

    def counted(self, today: str) -> EndpointCounts:
        """These counts with one more message today, days older than kept dropped."""
        oldest = (date.fromisoformat(today) - timedelta(days=KEPT_DAYS - 1)).isoformat()
        days = {d: c for d, c in self.days.items() if d >= oldest}
        days[today] = days.get(today, 0) + 1
        return EndpointCounts(self.total + 1, days)


def verdict(caps: GovernorCaps, counts: EndpointCounts, today: str) -> Reason | None:
    """Why one more message today would break a cap, or None when it may be sent."""
    if caps.total and counts.total >= caps.total:
        return Reason.SKIPPED_PROJECT_TOTAL_CAP
    days, cap = caps.timeframe_days, caps.timeframe_cap
    if cap and days and counts.in_last(today, days) >= cap:
        return Reason.SKIPPED_PROJECT_TIMEFRAME_CAP
    if caps.daily and counts.days.get(today, 0) >= caps.daily:
        return Reason.SKIPPED_PROJECT_DAILY_CAP
    return None
