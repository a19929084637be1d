"""The demo's simulated engagement stays on the day of its send, in order, whatever the
time of day the demo runs at (the campaign is sent at the real time: a run late in the
evening once put the unsubscribes on the next day and split the daily KPIs)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

_PATH = Path(__file__).resolve().parents[2] / "demo" / "simulate_engagement.py"
_SPEC = importlib.util.spec_from_file_location("simulate_engagement", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
simulate_engagement = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(simulate_engagement)

OFFSETS = [timedelta(seconds=2), timedelta(seconds=3), timedelta(minutes=20, seconds=3)]
OFFSETS += [timedelta(hours=1, seconds=3), timedelta(hours=2, seconds=3)]


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
def test_engagement_keeps_its_order_within_the_sends_day(naive: datetime) -> None:
    sent = naive.replace(tzinfo=UTC)
    later = simulate_engagement._within_the_day(sent)
    moments = [later(offset) for offset in OFFSETS]
    assert all(m.date() == sent.date() for m in moments)
    assert moments == sorted(moments)
    assert moments[0] >= sent


def test_a_daytime_send_keeps_the_offsets_unchanged() -> None:
    sent = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    later = simulate_engagement._within_the_day(sent)
    assert [later(offset) - sent for offset in OFFSETS] == OFFSETS
