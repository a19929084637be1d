"""EventBridge Scheduler expressions for campaign Schedules.

The property: the moments the produced schedules fire, computed by a small evaluator of
``at()``/``cron()`` expressions with their time zone, StartDate and EndDate, are the
domain's ``run_times`` (moved earlier by the local-time lead, to the minute).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.domain.campaigns.model import Frequency, Schedule
from clarion.domain.campaigns.schedule import run_times
from clarion.domain.campaigns.schedule_expressions import (
    FEBRUARY_SUFFIX,
    ScheduleSpec,
    local_time_lead,
    nominal_run_time,
    schedule_specs,
)

_DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


# -- a small evaluator of Scheduler expressions --------------------------------------


def _matches(field: str, value: int, *, last: int | None = None) -> bool:
    if field in ("*", "?"):
        return True
    if field == "L":
        return value == last
    for part in field.split(","):
        if "-" in part:
            low, high = part.split("-")
            if int(low) <= value <= int(high):
                return True
        elif part in _DAY_NAMES:
            if _DAY_NAMES.index(part) == value:
                return True
        elif int(part) == value:
            return True
    return False


def fires(spec: ScheduleSpec, after: datetime, until: datetime) -> list[datetime]:
    """When the schedule fires in (after, until], within StartDate and EndDate."""
    zone = ZoneInfo(spec.timezone)
    expression = spec.expression
    found: list[datetime] = []
    if expression.startswith("at("):
        found = [datetime.fromisoformat(expression[3:-1]).replace(tzinfo=zone)]
    else:
        assert expression.startswith("cron(")
        minute, hour, dom, month, dow, year = expression[5:-1].split()
        assert year == "*" and "?" in (dom, dow)
        day = after.astimezone(zone).date() - timedelta(days=1)
        last_day = until.astimezone(zone).date() + timedelta(days=1)
        while day <= last_day:
            month_days = calendar.monthrange(day.year, day.month)[1]
            if (
                _matches(dom, day.day, last=month_days)
                and _matches(month, day.month)
                and _matches(dow, day.weekday())
            ):
                hours = range(24) if hour == "*" else [int(hour)]
                found.extend(
                    datetime.combine(day, time(h, int(minute)), tzinfo=zone) for h in hours
                )
            day += timedelta(days=1)
    return sorted(
        moment.astimezone(UTC)
        for moment in found
        if after < moment <= until
        and (spec.start_date is None or moment >= spec.start_date)
        and (spec.end_date is None or moment <= spec.end_date)
    )


def schedule(**fields: Any) -> Schedule:
    return Schedule.model_validate({k: v for k, v in fields.items() if v is not None})


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- examples --------------------------------------------------------------------------


def test_daily_in_a_whole_hour_offset_is_cron_in_the_etc_zone():
    specs = schedule_specs(
        schedule(StartTime="2026-03-10T09:00:00", Frequency="DAILY", Timezone="UTC+01"), NOW
    )
    assert len(specs) == 1
    spec = specs[0]
    assert (spec.expression, spec.timezone) == ("cron(0 9 * * ? *)", "Etc/GMT-1")
    assert spec.start_date == datetime(2026, 3, 10, 7, 59, 59, tzinfo=UTC)
    assert spec.end_date is None and not spec.one_time


def test_weekly_hourly_and_an_indian_offset():
    weekly = schedule_specs(
        schedule(StartTime="2026-03-12T18:30:00+05:30", Frequency="WEEKLY"), NOW
    )[0]
    assert (weekly.expression, weekly.timezone) == ("cron(30 18 ? * THU *)", "Asia/Kolkata")
    hourly = schedule_specs(schedule(StartTime="2026-03-02T00:15:00Z", Frequency="HOURLY"), NOW)
    assert hourly[0].expression == "cron(15 * * * ? *)"


def test_monthly_month_ends():
    on_31 = schedule_specs(schedule(StartTime="2026-03-31T08:00:00Z", Frequency="MONTHLY"), NOW)
    assert [s.expression for s in on_31] == ["cron(0 8 L * ? *)"]
    on_30 = schedule_specs(schedule(StartTime="2026-03-30T08:00:00Z", Frequency="MONTHLY"), NOW)
    assert [(s.suffix, s.expression) for s in on_30] == [
        ("", "cron(0 8 30 1,3-12 ? *)"),
        (FEBRUARY_SUFFIX, "cron(0 8 L 2 ? *)"),
    ]


def test_once_in_the_future_is_a_one_time_at_schedule_in_utc():
    [spec] = schedule_specs(
        schedule(StartTime="2026-04-01T10:00:00", Timezone="UTC-03:30", Frequency="ONCE"), NOW
    )
    assert (spec.expression, spec.timezone, spec.one_time) == (
        "at(2026-04-01T13:30:00)",
        "UTC",
        True,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"StartTime": "IMMEDIATE"},
        {"StartTime": "2026-02-01T00:00:00Z", "Frequency": "ONCE"},
        {
            "StartTime": "2026-01-01T00:00:00Z",
            "EndTime": "2026-02-01T00:00:00Z",
            "Frequency": "DAILY",
        },
        {
            "StartTime": "2026-01-01T00:00:00Z",
            "Frequency": "EVENT",
            "EventFilter": {"FilterType": "ENDPOINT", "Dimensions": {}},
        },
    ],
)
def test_no_schedule_for_immediate_past_and_event_campaigns(fields: dict[str, Any]):
    assert schedule_specs(Schedule.model_validate(fields), NOW) == []


def test_local_time_fires_when_the_wall_clock_time_reaches_utc_plus_14():
    local = schedule(
        StartTime="2026-03-10T09:00:00", Frequency="DAILY", Timezone="UTC+01", IsLocalTime=True
    )
    assert local_time_lead(local) == timedelta(hours=13)
    [spec] = schedule_specs(local, NOW)
    assert (spec.expression, spec.timezone) == ("cron(0 9 * * ? *)", "Etc/GMT-14")
    fired = fires(spec, NOW, NOW + timedelta(days=12))[0]
    assert fired == datetime(2026, 3, 9, 19, 0, tzinfo=UTC)  # 09:00 in UTC+14
    # The run planned for that firing is the 09:00 (UTC+01) run.
    assert nominal_run_time(local, fired + timedelta(seconds=3)) == datetime(
        2026, 3, 10, 8, 0, tzinfo=UTC
    )
    # Without local time the firing is the run time itself.
    plain = schedule(StartTime="2026-03-10T09:00:00", Frequency="DAILY", Timezone="UTC+01")
    moment = datetime(2026, 3, 11, 8, 0, 2, tzinfo=UTC)
    assert nominal_run_time(plain, moment) == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def test_end_time_bounds_the_runs_inclusively():
    spec = schedule_specs(
        schedule(
            StartTime="2026-03-02T06:00:30Z", EndTime="2026-03-05T06:00:30Z", Frequency="DAILY"
        ),
        NOW,
    )[0]
    got = fires(spec, NOW, NOW + timedelta(days=10))
    assert got == [datetime(2026, 3, d, 6, 0, tzinfo=UTC) for d in (2, 3, 4, 5)]


# -- the property --------------------------------------------------------------------

OFFSETS = ["UTC", "UTC+01", "UTC-05", "UTC+05:30", "UTC+14", "UTC-12", "UTC+09:30"]
OFFSETS += ["UTC+02:15", "UTC-03:30", "UTC+12:45"]
WINDOWS = {
    Frequency.ONCE: timedelta(days=400),
    Frequency.HOURLY: timedelta(days=3),
    Frequency.DAILY: timedelta(days=40),
    Frequency.WEEKLY: timedelta(weeks=30),
    Frequency.MONTHLY: timedelta(days=3 * 366),
}


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    frequency = draw(st.sampled_from(list(WINDOWS)))
    start = draw(
        st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31))
    ).replace(microsecond=0)
    zone = draw(st.none() | st.sampled_from(OFFSETS))
    suffix = draw(st.sampled_from(["", "Z", "+01:00", "-04:00", "+05:30"]))
    end = draw(st.none() | st.timedeltas(timedelta(hours=1), timedelta(days=500)))
    fields: dict[str, Any] = {
        "StartTime": start.isoformat() + suffix,
        "Frequency": frequency.value,
        "Timezone": zone,
        "IsLocalTime": draw(st.booleans()),
        "EndTime": (start + end).isoformat() + suffix if end is not None else None,
    }
    offset_now = draw(st.timedeltas(timedelta(days=-40), timedelta(days=60)))
    now = (start + offset_now).replace(tzinfo=UTC)
    return schedule(**fields), now


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_scheduler_fires_at_the_domain_run_times(case: tuple[Schedule, datetime]):
    plan, now = case
    frequency = plan.effective_frequency
    until = now + WINDOWS[frequency]
    try:
        specs = schedule_specs(plan, now)
    except ValueError:
        assert frequency == Frequency.MONTHLY  # the one refused case (module docstring)
        return
    lead = local_time_lead(plan)
    runs = list(run_times(plan, now, after=now - timedelta(days=2), limit=5000))
    if frequency == Frequency.ONCE:
        expected = [
            max(run - lead, now + timedelta(minutes=1)).astimezone(UTC) for run in runs if run > now
        ]
        expected = [e.replace(microsecond=0) for e in expected if e <= until]
    else:
        expected = [(run - lead).astimezone(UTC).replace(second=0, microsecond=0) for run in runs]
        # the schedule exists from ``now``: what fires after it
        expected = [e for e in expected if now < e <= until]
    got = sorted(moment for spec in specs for moment in fires(spec, now, until))
    assert got == expected


def test_a_local_time_monthly_run_on_the_first_fires_on_every_last_day():
    # Local-time runs fire 14 h ahead of UTC+14's wall clock; with StartTime in +01:00
    # that is the previous month's last day in UTC, whose date varies (28 to 31).
    plan = schedule(StartTime="2025-03-01T00:00:00+01:00", Frequency="MONTHLY", IsLocalTime=True)
    now = datetime(2025, 3, 1, tzinfo=UTC)

    [spec] = schedule_specs(plan, now)

    assert (spec.expression, spec.timezone) == ("cron(0 9 L * ? *)", "UTC")
    fired = list(fires(spec, now, now + timedelta(days=100)))
    assert [f.date().isoformat() for f in fired] == ["2025-03-31", "2025-04-30", "2025-05-31"]
