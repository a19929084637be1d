"""Whether an endpoint is in its quiet time, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from clarion.domain.campaigns.model import QuietTime, _parse_hh_mm, zone_for
from clarion.domain.campaigns.schedule import _wall_to_utc

# -- quiet time -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """A parsed QuietTime: local start and end of day; a window with start after end
    crosses midnight; equal start and end is no window."""

    start: time
    end: time

    @classmethod
    def of(cls, quiet: QuietTime | None) -> QuietWindow | None:
        if quiet is None or quiet.start is None or quiet.end is None:
            return None
        start, end = _parse_hh_mm(quiet.start), _parse_hh_mm(quiet.end)
        return None if start == end else cls(start, end)

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def until(self, now: datetime, zone: tzinfo) -> datetime | None:
        """None when ``now`` is outside the window in ``zone``; else the (UTC) moment
        it ends, when the endpoint may next be messaged."""
        local = now.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if not self.contains(wall.time()):
            return None
        end_day: date = wall.date()
        if wall.time() >= self.end:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end)
        return _wall_to_utc(end, zone)


def quiet_time_until(
    quiet: QuietTime | None,
    now: datetime,
    endpoint_timezone: str | None,
    schedule_timezone: str | None = None,
) -> datetime | None:
    """When an endpoint in quiet time may next be messaged (UTC), or None when it may be
    messaged now. The window is read in the endpoint's Demographic.Timezone, else the
    schedule's Timezone, else UTC."""
    window = QuietWindow.of(quiet)
    if window is None:
        return None
    return window.until(now, zone_for(endpoint_timezone, schedule_timezone))
