"""The pure arithmetic that turns a Pinpoint campaign ``Schedule`` into EventBridge
Scheduler expressions (and back), used by the ``aws`` CampaignScheduler and by the local
scheduler that mirrors it.

Expressions (docs/campaign-pipeline.md, "Schedules"):

* ONCE → ``at(<UTC time>)`` in UTC, ``ActionAfterCompletion: DELETE``.
* HOURLY → ``cron(m * * * ? *)``, DAILY → ``cron(m h * * ? *)``, WEEKLY →
  ``cron(m h ? * DOW *)``, MONTHLY → ``cron(m h d * ? *)``; a monthly run on the 31st is
  ``L`` (the last day), and so is a run on the 1st whose firing falls on the day before
  (the previous month's last day, when the fields are converted to UTC); on the 29th or
  30th it is two schedules, ``d`` in every month but
  February plus ``L`` in February (``campaign-<id>-feb``), as :func:`run_times` falls on
  the last day of shorter months. Scheduler has minute resolution: StartTime's seconds
  are dropped.
* Time zone: Pinpoint's ``UTC+01`` is a fixed offset, so it is written as the IANA
  fixed-offset zone ``Etc/GMT-1`` (POSIX sign: inverted); offsets that are not whole
  hours use a tz database zone that has kept that offset all year (``Asia/Kolkata`` for
  ``UTC+05:30``...), else the cron fields are converted to UTC (exact for HOURLY, DAILY
  and WEEKLY; a MONTHLY run whose UTC day differs from its local day near a month's end
  cannot be expressed and is refused). The zone is the one StartTime is read in (its own
  offset, else Schedule.Timezone), as :func:`run_times` steps in it.
* StartDate: the first run, when in the future; EndDate: just after the last run
  EndTime allows (so inclusive or exclusive reading of EndDate gives the same runs).
* IsLocalTime: the run must start when the run's wall-clock time arrives in the
  earliest zone, UTC+14: each firing is :func:`local_time_lead` (14 h minus the
  schedule's offset) before the run time, i.e. the same cron fields in the zone
  ``Etc/GMT-14``. The run then defers every endpoint until its own local time
  (``DEFERRED_LOCAL_TIME``) and resumes them inside the execution.
  :func:`nominal_run_time` maps a firing back to the run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.domain.campaigns.model import (
    IMMEDIATE,
    Frequency,
    Schedule,
    parse_utc_offset,
)
from clarion.domain.campaigns.schedule import run_times, schedule_start

EARLIEST_OFFSET = timedelta(hours=14)  # UTC+14 (Line Islands): the first local day
SCHEDULE_PREFIX = "campaign-"
FEBRUARY_SUFFIX = "-feb"
_MINUTE = timedelta(minutes=1)
_SECOND = timedelta(seconds=1)
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# tz database zones without DST, for offsets that are not whole hours; each is checked
# against the running tz database before use.
_FIXED_ZONES = (
    "Asia/Kolkata",  # +05:30
    "Asia/Colombo",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Asia/Kabul",  # +04:30
    "Asia/Tehran",  # +03:30
    "Asia/Yangon",  # +06:30
    "Australia/Darwin",  # +09:30
    "Australia/Eucla",  # +08:45
    "Pacific/Marquesas",  # -09:30
)


# -- pure schedule arithmetic ---------------------------------------------------------


def local_time_lead(schedule: Schedule) -> timedelta:
    """How long before a run time its firing comes: 0, or with IsLocalTime the time
    from the run's wall-clock time in UTC+14 to that wall-clock time in the schedule's
    Timezone (UTC when none)."""
    if not schedule.is_local_time:
        return timedelta(0)
    zone = parse_utc_offset(schedule.timezone) if schedule.timezone else UTC
    return EARLIEST_OFFSET - (zone.utcoffset(None) or timedelta(0))


def nominal_run_time(
    schedule: Schedule, fired_at: datetime, tolerance: timedelta = timedelta(minutes=15)
) -> datetime:
    """The run time a firing at ``fired_at`` stands for: the schedule's run time nearest
    after ``fired_at + lead`` (within ``tolerance`` of a late start), else that moment."""
    target = fired_at + local_time_lead(schedule)
    candidate = next(run_times(schedule, fired_at, after=target - tolerance, limit=1), None)
    if candidate is not None and abs(candidate - target) <= tolerance:
        return candidate
    return target


def _end_time(schedule: Schedule, now: datetime) -> datetime | None:
    if schedule.end_time is None:
        return None
    # EndTime is read as StartTime is (without an offset: in the schedule's Timezone).
    return schedule_start(schedule.model_copy(update={"start_time": schedule.end_time}), now)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _fixed_zone(offset: timedelta) -> str | None:
    """An IANA zone that is always ``offset`` from UTC, or None."""
    if offset == timedelta(0):
        return "UTC"
    hours, rest = divmod(offset, timedelta(hours=1))
    if not rest and -12 <= hours <= 14:
        return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"  # POSIX: sign inverted
    year = datetime.now(UTC).year
    probes = [datetime(y, m, 15, 12, tzinfo=UTC) for y in (year, year + 1) for m in (1, 4, 7, 10)]
    for name in _FIXED_ZONES:
        try:
            zone = ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
        if all(p.astimezone(zone).utcoffset() == offset for p in probes):
            return name
    return None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """One Scheduler schedule for a campaign (``suffix`` names the second schedule of a
    monthly run on the 29th or 30th)."""

    suffix: str
    expression: str
    timezone: str
    start_date: datetime | None = None
    end_date: datetime | None = None
    one_time: bool = False


def schedule_specs(schedule: Schedule, now: datetime) -> list[ScheduleSpec]:
    """The Scheduler schedules that start the campaign's runs (module docstring); empty
    when it needs none (EVENT, IMMEDIATE, a past ONCE, a recurrence past its EndTime).

    Raises
    ------
    ValueError
        A MONTHLY schedule at a local time that no Scheduler expression can keep.
    """
    frequency = schedule.effective_frequency
    if frequency in (Frequency.EVENT, Frequency.IN_APP_EVENT) or schedule.start_time == IMMEDIATE:
        return []
    lead = local_time_lead(schedule)
    if frequency == Frequency.ONCE:
        run = schedule_start(schedule, now)
        if run <= now:
            return []
        # With IsLocalTime the earliest zones may already be past the wall-clock time:
        # they are due at once when the run starts.
        fire = max(run - lead, now + _MINUTE).astimezone(UTC)
        return [ScheduleSpec("", f"at({fire:%Y-%m-%dT%H:%M:%S})", "UTC", one_time=True)]
    if next(run_times(schedule, now, after=now + lead, limit=1), None) is None:
        return []  # every run (and its firing) is past
    start = schedule_start(schedule, now)
    offset = start.utcoffset() or timedelta(0)
    seconds = start - _floor_minute(start)
    wall = _floor_minute(start).replace(tzinfo=None)  # same fields in zone offset + lead
    zone = _fixed_zone(offset + lead)
    last_day = False  # a MONTHLY run on the 1st that fires on the month before's last day
    if zone is None:  # fields converted to UTC
        utc_wall = (_floor_minute(start) - lead).astimezone(UTC).replace(tzinfo=None)
        shifted_day = utc_wall.day != wall.day
        last_day = shifted_day and wall.day == 1 and utc_wall < wall
        if (
            frequency == Frequency.MONTHLY
            and shifted_day
            and not last_day
            and max(utc_wall.day, wall.day) > 28
        ):
            raise ValueError(
                f"a MONTHLY schedule on day {wall.day} at {wall:%H:%M} (UTC offset "
                f"{offset + lead}) cannot be kept by EventBridge Scheduler; use a time "
                "whose UTC date is the same day, or a whole-hour Timezone"
            )
        wall, zone = utc_wall, "UTC"
    first_fire = _floor_minute(start) - lead
    start_date = first_fire - _SECOND if first_fire - _SECOND > now else None
    end = _end_time(schedule, now)
    end_date = _floor_minute(end - lead - seconds) + _SECOND if end is not None else None
    m, h = wall.minute, wall.hour
    specs: list[tuple[str, str]]
    if frequency == Frequency.HOURLY:
        specs = [("", f"cron({m} * * * ? *)")]
    elif frequency == Frequency.DAILY:
        specs = [("", f"cron({m} {h} * * ? *)")]
    elif frequency == Frequency.WEEKLY:
        specs = [("", f"cron({m} {h} ? * {_DAYS[wall.weekday()]} *)")]
    elif wall.day == 31 or last_day:
        specs = [("", f"cron({m} {h} L * ? *)")]
    elif wall.day <= 28:
        specs = [("", f"cron({m} {h} {wall.day} * ? *)")]
    else:  # 29th or 30th: every month but February has it; February's last day
        specs = [
            ("", f"cron({m} {h} {wall.day} 1,3-12 ? *)"),
            (FEBRUARY_SUFFIX, f"cron({m} {h} L 2 ? *)"),
        ]
    return [ScheduleSpec(suffix, text, zone, start_date, end_date) for suffix, text in specs]


def schedule_name(campaign_id: str, suffix: str = "") -> str:
    """Scheduler names: up to 64 of ``[0-9a-zA-Z-_.]``."""
    return f"{SCHEDULE_PREFIX}{campaign_id}{suffix}"[:64]


# -- the adapter ----------------------------------------------------------------------
