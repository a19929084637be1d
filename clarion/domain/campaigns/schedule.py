"""When a schedule runs: :func:`run_times` for each Frequency between StartTime and
EndTime; :func:`local_send_time`, the moment one endpoint is due when the schedule is in
local time."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from clarion.domain.audience.endpoint import parse_iso8601
from clarion.domain.campaigns.model import (
    IMMEDIATE,
    Frequency,
    Schedule,
    parse_utc_offset,
    zone_for,
)

# -- schedules ------------------------------------------------------------------------


def _schedule_zone(schedule: Schedule) -> tzinfo:
    return parse_utc_offset(schedule.timezone) if schedule.timezone else UTC


def schedule_start(schedule: Schedule, now: datetime) -> datetime:
    """StartTime as an aware datetime (``now`` for IMMEDIATE). A StartTime without an
    offset is read in the schedule's Timezone."""
    if schedule.start_time == IMMEDIATE:
        return now
    return _read_time(schedule.start_time, schedule)


def _read_time(text: str, schedule: Schedule) -> datetime:
    stripped = text.strip()
    naive = not (stripped.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", stripped))
    moment = parse_iso8601(stripped)
    if naive and len(stripped) > 10:
        moment = moment.replace(tzinfo=_schedule_zone(schedule))
    return moment


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def run_times(
    schedule: Schedule,
    now: datetime,
    *,
    after: datetime | None = None,
    limit: int = 1000,
) -> Iterator[datetime]:
    """The moments the campaign runs, in order, from StartTime to EndTime (inclusive).

    ONCE gives one moment; HOURLY, DAILY, WEEKLY and MONTHLY step from StartTime (a
    monthly run on the 31st falls on the last day of shorter months); EVENT and
    IN_APP_EVENT give none (events start them). Only moments later than ``after`` are
    given, at most ``limit``; a schedule without EndTime repeats until the limit.
    """
    frequency = schedule.effective_frequency
    if frequency in (Frequency.EVENT, Frequency.IN_APP_EVENT):
        return
    start = schedule_start(schedule, now)
    end = _read_time(schedule.end_time, schedule) if schedule.end_time else None
    if frequency == Frequency.ONCE:
        if after is None or start > after:
            yield start
        return
    step = {
        Frequency.HOURLY: timedelta(hours=1),
        Frequency.DAILY: timedelta(days=1),
        Frequency.WEEKLY: timedelta(weeks=1),
    }.get(frequency)
    given = 0
    index = 0
    if after is not None and step is not None and after > start:
        # Jump close to ``after`` rather than walking years of hourly runs.
        index = max(0, int((after - start) / step) - 1)
    while given < limit:
        moment = start + step * index if step is not None else _add_months(start, index)
        index += 1
        if end is not None and moment > end:
            return
        if after is not None and moment <= after:
            continue
        given += 1
        yield moment


def next_run_time(schedule: Schedule, now: datetime, after: datetime) -> datetime | None:
    """The first run strictly after ``after``, or None when the schedule is done."""
    return next(run_times(schedule, now, after=after, limit=1), None)


def local_send_time(
    run_time: datetime, schedule: Schedule, endpoint_timezone: str | None
) -> datetime:
    """When one endpoint is due for a run at ``run_time``.

    Without IsLocalTime everyone is due at ``run_time``. With it, the run's wall-clock
    time in the schedule's Timezone (UTC when none) is taken as wall-clock time in the
    endpoint's Demographic.Timezone, falling back to the schedule's Timezone.
    """
    if not schedule.is_local_time:
        return run_time
    schedule_zone = _schedule_zone(schedule)
    wall = run_time.astimezone(schedule_zone).replace(tzinfo=None)
    zone = zone_for(endpoint_timezone, schedule.timezone)
    return _wall_to_utc(wall, zone)


def _wall_to_utc(wall: datetime, zone: tzinfo) -> datetime:
    moment = wall.replace(tzinfo=zone)
    # A wall time skipped by a DST change (02:30 on spring-forward day) does not exist:
    # round-tripping through UTC moves it forward by the gap, as clocks do.
    return moment.astimezone(UTC)
