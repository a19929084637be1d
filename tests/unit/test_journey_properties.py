"""Properties of the journey engine under random schedules of sign-ups, opens,
opt-outs, pauses and ticks, on the real local adapters:

- no participant is ever in two activities at once: for every activity, the counters'
  arrivals minus exits equal the participants the store holds there, and together they
  equal ENDPOINT_ACTIVE;
- no endpoint gets a message from a journey after opting out;
- caps hold across journeys: DailyCap per journey over any 24 hours, TimeframeCap over
  every journey's messages in its days;
- a tick run again at the same moment changes nothing.
"""

from __future__ import annotations

import copy
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fakes.journeys import JourneyWorld, journey_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.domain.journeys import ARRIVED, JOURNEY, ParticipantStatus

DAY_MS = 86_400_000
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

operation = st.one_of(
    st.tuples(st.just("sign_up"), st.sets(st.integers(0, 4), min_size=1)),
    st.tuples(st.just("open"), st.sets(st.integers(0, 4), min_size=1)),
    st.tuples(st.just("opt_out"), st.integers(0, 4)),
    st.tuples(st.just("wait"), st.integers(1, 30)),  # hours, then a tick
    st.tuples(st.just("pause"), st.booleans()),
)
# Everyone signs up first; then anything, in any order.
scenarios = st.lists(operation, min_size=2, max_size=12).map(
    lambda ops: [("sign_up", {0, 1, 2, 3, 4}), *ops]
)


@contextmanager
def fresh_world() -> Iterator[JourneyWorld]:
    with tempfile.TemporaryDirectory() as folder:
        world = JourneyWorld(Path(folder) / "home", memory=True)
        world.templates()
        world.endpoints(5)
        yield world


def _onboarding(reentry: bool = True) -> dict[str, Any]:
    body = journey_json("onboarding")
    body["Limits"] = {"EndpointReentryCap": 0 if reentry else 1}
    body["Activities"]["opened"]["ConditionalSplit"]["EvaluationWaitTime"] = {"WaitFor": "P2D"}
    return body


def _dense(name: str) -> dict[str, Any]:
    """Messages close together: welcome and tips at once, basics six hours later; an
    endpoint may re-enter at once."""
    body = journey_json("onboarding")
    body["Name"] = name
    body["Limits"] = {"EndpointReentryCap": 0}
    body["Activities"] = {
        "welcome": {"EMAIL": {"TemplateName": "onboarding-welcome", "NextActivity": "tips"}},
        "tips": {"EMAIL": {"TemplateName": "onboarding-tips", "NextActivity": "later"}},
        "later": {"Wait": {"WaitTime": {"WaitFor": "PT6H"}, "NextActivity": "basics"}},
        "basics": {"EMAIL": {"TemplateName": "onboarding-basics"}},
    }
    return body


def _play(
    world: JourneyWorld, journeys: list[str], ops: list[Any], paused: list[bool]
) -> Iterator[None]:
    service = world.boot.journey_service
    for kind, value in ops:
        if kind == "sign_up":
            world.sign_up([f"e{n}" for n in sorted(value)])
        elif kind == "open":
            for activity in ("welcome", "tips", "basics"):
                world.engage(activity, [f"e{n}" for n in sorted(value)], "Open")
        elif kind == "opt_out":
            world.put(f"e{value}", OptOut="ALL")
        elif kind == "wait":
            world.later(hours=value)
            world.tick()
        elif kind == "pause":
            state = "PAUSED" if value else "ACTIVE"
            if paused[0] != value:
                for journey in journeys:
                    service.update_journey_state(journey, {"State": state}, now=world.now)
                paused[0] = value
        world.later(minutes=7)
        yield


def _waiting_by_activity(world: JourneyWorld, journey: str) -> Counter[str]:
    counters = world.boot.adapters.participant_store.counters(journey)
    waiting: Counter[str] = Counter()
    for (_run, activity, metric), value in counters.items():
        if activity == JOURNEY or metric == "TOTAL":
            continue
        waiting[activity] += value if metric == ARRIVED else -value
    return +waiting


def _stored_by_activity(world: JourneyWorld, journey: str) -> Counter[str]:
    records = world.boot.adapters.participant_store.get(journey, [f"e{n}" for n in range(5)])
    placed: Counter[str] = Counter()
    for p in records.values():
        if p.status == ParticipantStatus.ACTIVE:
            assert p.activity is not None  # one activity, always
            placed[p.activity] += 1
        else:
            assert p.activity is None and p.due_at is None
    return placed


@SETTINGS
@given(ops=scenarios)
def test_no_participant_is_ever_in_two_activities_at_once(ops: list[Any]):
    with fresh_world() as world:
        journey = world.journey(_onboarding())
        for _ in _play(world, [journey], ops, [False]):
            placed = _stored_by_activity(world, journey)
            assert _waiting_by_activity(world, journey) == placed
            assert sum(placed.values()) == world.metrics(journey)["ENDPOINT_ACTIVE"]


@SETTINGS
@given(ops=scenarios)
def test_no_endpoint_gets_a_journey_message_after_opting_out(ops: list[Any]):
    with fresh_world() as world:
        journey = world.journey(_dense("dense"))
        opted: dict[str, int] = {}
        for (kind, value), _ in zip(ops, _play(world, [journey], ops, [False]), strict=True):
            if kind == "opt_out":
                opted.setdefault(
                    f"e{value}", int((world.now - timedelta(minutes=7)).timestamp() * 1000)
                )
        for event in world.journey_events(journey):
            if event["status"] == "SUCCESS" and event["endpoint"] in opted:
                assert event["at"] < opted[event["endpoint"]]


@SETTINGS
@given(ops=scenarios)
def test_caps_hold_across_journeys(ops: list[Any]):
    with fresh_world() as world:
        first = _dense("first")
        first["Limits"].update({"DailyCap": 1, "TimeframeCap": {"Cap": 2, "Days": 3}})
        second = copy.deepcopy(first)
        second["Name"] = "second"
        journeys = [world.journey(first), world.journey(second)]
        for _ in _play(world, journeys, ops, [False]):
            pass
        sends: dict[str, list[tuple[str, int]]] = {}
        for journey in journeys:
            for event in world.journey_events(journey):
                if event["status"] == "SUCCESS":
                    sends.setdefault(event["endpoint"], []).append((journey, int(event["at"])))
        for moments in sends.values():
            for journey, at in moments:
                same_day = [m for j, m in moments if j == journey and at - DAY_MS < m <= at]
                assert len(same_day) <= 1  # DailyCap 1, per journey, over 24 hours
            days = Counter(at // DAY_MS for _, at in moments)
            for day in days:
                assert sum(days[d] for d in range(day - 2, day + 1)) <= 2  # TimeframeCap


@SETTINGS
@given(ops=scenarios)
def test_a_tick_run_again_changes_nothing(ops: list[Any]):
    with fresh_world() as world:
        journey = world.journey(_onboarding())
        for _ in _play(world, [journey], ops, [False]):
            pass
        world.tick()
        store = world.boot.adapters.participant_store
        before = (store.counters(journey), store.get(journey, [f"e{n}" for n in range(5)]))
        emails = len(world.emails())

        again = world.tick()

        assert again["Journeys"] == []
        assert (store.counters(journey), store.get(journey, [f"e{n}" for n in range(5)])) == before
        assert len(world.emails()) == emails
