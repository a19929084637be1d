"""Schedule expansion and local-time sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from clarion.domain.campaigns.model import Schedule
from clarion.domain.campaigns.schedule import local_send_time, next_run_time, run_times

NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def _schedule(**fields: object) -> Schedule:
    return Schedule.model_validate(fields)


def test_once_immediately_is_now_and_at_a_time_is_that_time():
    assert list(run_times(_schedule(StartTime="IMMEDIATE"), NOW)) == [NOW]
    at = _schedule(StartTime="2025-03-20T08:30:00Z", Frequency="ONCE")
    assert list(run_times(at, NOW)) == [datetime(2025, 3, 20, 8, 30, tzinfo=UTC)]
    assert list(run_times(at, NOW, after=datetime(2025, 3, 21, tzinfo=UTC))) == []


def test_recurring_frequencies_step_until_the_end_inclusive():
    start, end = "2025-03-12T10:00:00Z", "2025-03-13T10:00:00Z"
    hourly = list(run_times(_schedule(StartTime=start, EndTime=end, Frequency="HOURLY"), NOW))
    assert len(hourly) == 25
    assert hourly[1] - hourly[0] == timedelta(hours=1)
    daily = list(
        run_times(
            _schedule(StartTime=start, EndTime="2025-03-20T10:00:00Z", Frequency="DAILY"), NOW
        )
    )
    assert [d.day for d in daily] == list(range(12, 21))
    weekly = list(
        run_times(
            _schedule(StartTime=start, EndTime="2025-04-02T10:00:00Z", Frequency="WEEKLY"), NOW
        )
    )
    assert [d.day for d in weekly] == [12, 19, 26, 2]


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months():
    schedule = _schedule(
        StartTime="2025-01-31T12:00:00Z", EndTime="2025-05-31T12:00:00Z", Frequency="MONTHLY"
    )
    days = [(d.month, d.day) for d in run_times(schedule, NOW)]
    assert days == [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31)]


def test_no_end_repeats_and_after_skips_past_runs():
    schedule = _schedule(StartTime="2020-01-01T00:00:00Z", Frequency="HOURLY")
    after = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
    first = list(islice(run_times(schedule, NOW, after=after), 3))
    assert first == [datetime(2025, 3, 12, h, 0, tzinfo=UTC) for h in (10, 11, 12)]
    assert next_run_time(schedule, NOW, after) == first[0]


def test_event_schedules_have_no_run_times():
    schedule = _schedule(
        StartTime="2025-03-12T10:00:00Z",
        Frequency="EVENT",
        EventFilter={"FilterType": "ENDPOINT", "Dimensions": {}},
    )
    assert list(run_times(schedule, NOW)) == []


def test_start_time_without_offset_is_read_in_the_schedule_zone():
    schedule = _schedule(StartTime="2025-03-12T10:00:00", Timezone="UTC+02")
    assert list(run_times(schedule, NOW)) == [datetime(2025, 3, 12, 8, 0, tzinfo=UTC)]


def test_local_time_sends_at_the_same_wall_clock_time_in_each_zone():
    schedule = _schedule(StartTime="2025-07-01T09:00:00Z", IsLocalTime=True)
    run = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    # 09:00 in Paris (UTC+2 in summer) is 07:00 UTC; in New York (UTC-4) 13:00 UTC.
    assert local_send_time(run, schedule, "Europe/Paris") == datetime(2025, 7, 1, 7, tzinfo=UTC)
    assert local_send_time(run, schedule, "America/New_York") == datetime(
        2025, 7, 1, 13, tzinfo=UTC
    )
    # No endpoint zone: the schedule's Timezone, else UTC.
    assert local_send_time(run, schedule, None) == run
    with_zone = _schedule(StartTime="2025-07-01T09:00:00", IsLocalTime=True, Timezone="UTC+01")
    run = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 at UTC+01
    assert local_send_time(run, with_zone, None) == run
    assert local_send_time(run, with_zone, "Asia/Tokyo") == datetime(2025, 7, 1, 0, tzinfo=UTC)


def test_without_local_time_everyone_is_due_at_the_run_time():
    schedule = _schedule(StartTime="IMMEDIATE")
    assert local_send_time(NOW, schedule, "Asia/Tokyo") == NOW
