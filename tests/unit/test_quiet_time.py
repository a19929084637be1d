"""Quiet time in the endpoint's zone, against a minute-by-minute reference."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.campaigns.model import QuietTime
from clarion.domain.campaigns.quiet_time import QuietWindow, quiet_time_until

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


def _reference_quiet(local: time, start: time, end: time) -> bool:
    minutes = local.hour * 60 + local.minute
    a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    if a == b:
        return False
    return a <= minutes < b if a < b else minutes >= a or minutes < b


def _hh_mm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@settings(max_examples=300, deadline=None)
@given(
    times,
    times,
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    st.sampled_from(ZONES),
)
def test_quiet_time_against_reference(start: time, end: time, naive: datetime, zone: str):
    now = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    quiet = QuietTime(start=_hh_mm(start), end=_hh_mm(end))
    until = quiet_time_until(quiet, now, zone)
    local = now.astimezone(ZoneInfo(zone))
    assert (until is not None) == _reference_quiet(local.time(), start, end)
    if until is None:
        return
    assert until > now
    assert until - now <= timedelta(hours=25)  # one window, DST included
    # The moment it ends is outside quiet time, and the minute before is inside.
    ends_local = until.astimezone(ZoneInfo(zone))
    assert not _reference_quiet(ends_local.time(), start, end)
    before = (until - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
    assert (
        _reference_quiet(before.time(), start, end) or ends_local.utcoffset() != before.utcoffset()
    )


def test_window_crossing_midnight():
    window = QuietWindow.of(QuietTime(start="22:00", end="07:00"))
    assert window is not None
    paris = "Europe/Paris"
    # 23:30 in Paris (UTC+1 in January) → until 07:00 the next day.
    now = datetime(2025, 1, 10, 22, 30, tzinfo=UTC)
    assert quiet_time_until(QuietTime(start="22:00", end="07:00"), now, paris) == datetime(
        2025, 1, 11, 6, 0, tzinfo=UTC
    )
    # 02:00 local → until 07:00 the same day.
    now = datetime(2025, 1, 11, 1, 0, tzinfo=UTC)
    assert quiet_time_until(QuietTime(start="22:00", end="07:00"), now, paris) == datetime(
        2025, 1, 11, 6, 0, tzinfo=UTC
    )
    # 12:00 local: not quiet.
    assert (
        quiet_time_until(QuietTime(start="22:00", end="07:00"), now.replace(hour=11), paris) is None
    )


def test_zone_falls_back_to_the_schedule_then_utc():
    quiet = QuietTime(start="22:00", end="07:00")
    now = datetime(2025, 1, 10, 21, 30, tzinfo=UTC)  # 21:30 UTC, 22:30 at UTC+01
    assert quiet_time_until(quiet, now, None) is None
    assert quiet_time_until(quiet, now, None, "UTC+01") == datetime(2025, 1, 11, 6, tzinfo=UTC)
    assert quiet_time_until(quiet, now, "Not/AZone", "UTC+01") is not None


def test_equal_start_and_end_is_no_quiet_time():
    quiet = QuietTime(start="09:00", end="09:00")
    assert quiet_time_until(quiet, datetime(2025, 1, 1, 9, 0, tzinfo=UTC), "UTC") is None
