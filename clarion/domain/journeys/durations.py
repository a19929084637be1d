"""ISO-8601 durations (``P7D``, ``PT1H``, ``P1M``) and the instants journeys wait for.

Journeys name their waits (``WaitTime.WaitFor``), the evaluation windows of splits, the
segment refresh period (``RefreshFrequency``) and the re-entry interval
(``Limits.EndpointReentryInterval``) as ISO-8601 durations. The standard library reads
none; the format is one regular expression, and its calendar parts (years, months) are
added here the way people read them: ``P1M`` from 31 January is the last day of
February, so a small parser is simpler than a dependency.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed ISO-8601 duration: calendar months (years are 12) and a fixed part."""

    months: int
    fixed: timedelta
    text: str

    def after(self, moment: datetime) -> datetime:
        """``moment`` plus this duration: months first (a day past the end of the month
        falls on its last day), then the fixed part."""
        if self.months:
            index = moment.month - 1 + self.months
            year, month = moment.year + index // 12, index % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            moment = moment.replace(year=year, month=month, day=day)
        return moment + self.fixed

    def at_least(self) -> timedelta:
        """The shortest span this duration can be (a month counts as 28 days)."""
        return self.fixed + timedelta(days=28 * self.months)

    def at_most(self) -> timedelta:
        """The longest span this duration can be (a month counts as 31 days)."""
        return self.fixed + timedelta(days=31 * self.months)


def parse_duration(text: str) -> Duration:
    """Read an ISO-8601 duration such as ``P7D``, ``PT1H30M`` or ``P1Y2M``.

    Raises
    ------
    ValueError
        For anything else (including an empty ``P`` or ``PT``), naming the value.
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as P7D, PT1H or P1DT12H")
    parts = {name: value for name, value in match.groupdict().items() if value is not None}
    months = int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))
    fixed = timedelta(
        weeks=int(parts.get("weeks", 0)),
        days=int(parts.get("days", 0)),
        hours=int(parts.get("hours", 0)),
        minutes=int(parts.get("minutes", 0)),
        seconds=float(parts.get("seconds", 0)),
    )
    return Duration(months, fixed, text)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date-time as an aware UTC datetime (no offset reads as UTC).

    Raises
    ------
    ValueError
        When ``text`` is not an ISO-8601 date-time.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not an ISO-8601 date-time")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date-time such as 2025-03-12T09:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(value / 1000, UTC)


def iso(moment: datetime) -> str:
    """``2025-03-12T09:00:00.000Z``: how journeys write instants."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
