"""The journey engine's pure moves: entry, each activity type, each condition type,
message outcomes, cancellation and pauses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.events.records import EventRecord
from clarion.domain.journeys import (
    JOURNEY,
    MessageOutcome,
    Metric,
    Participant,
    ParticipantStatus,
    PreparedJourney,
    admit,
    advance,
    after_message,
    cancel,
    event_matches,
    journey_conditions,
    new_participant,
    rebase,
    to_ms,
    validate_journey_request,
    validate_journey_response,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)  # a Wednesday
T0 = to_ms(NOW)
HOUR = 3_600_000
DAY = 24 * HOUR


def _journey(body: Mapping[str, Any], **extra: Any) -> PreparedJourney:
    request = validate_journey_request({**body, **extra})
    document = {**request.to_pinpoint(), "Id": "j1", "ApplicationId": "app", "State": "ACTIVE"}
    return PreparedJourney(validate_journey_response(document))


def _file(name: str) -> dict[str, Any]:
    paths = {
        "onboarding": ROOT / "demo" / "journeys" / "onboarding-journey.json",
        "branching": ROOT / "tests" / "events" / "journeys" / "branching-journey.json",
    }
    return json.loads(paths[name].read_text(encoding="utf-8"))


def _endpoint(endpoint_id: str = "e1", **fields: Any) -> Any:
    return validate_endpoint(
        {
            "Id": endpoint_id,
            "ChannelType": "EMAIL",
            "Address": f"{endpoint_id}@example.com",
            **fields,
        }
    )


def _never(key: str, endpoint_id: str) -> bool:
    raise AssertionError(f"no segment condition expected ({key})")


def _counts(increments: list[Any]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for inc in increments:
        out[(inc.activity, inc.metric)] = out.get((inc.activity, inc.metric), 0) + inc.value
    return out


def _entered(prepared: PreparedJourney, endpoint: Any = None, at: int = T0) -> Participant:
    admission = admit(prepared, new_participant("j1", "e1"), endpoint or _endpoint(), "run1", at)
    assert admission.refused is None
    return admission.participant


# -- entry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"OptOut": "ALL"}, Metric.ENDPOINT_OPT_OUT),
        ({"EndpointStatus": "INACTIVE"}, Metric.ENDPOINT_INACTIVE),
    ],
)
def test_opted_out_and_inactive_endpoints_do_not_enter(fields: dict[str, Any], reason: Metric):
    prepared = _journey(_file("onboarding"))

    admission = admit(prepared, new_participant("j1", "e1"), _endpoint(**fields), "run1", T0)

    assert admission.refused == reason
    assert admission.participant.status == ParticipantStatus.REFUSED
    assert admission.participant.refusal["Reason"] == reason.value
    assert _counts(admission.increments)[(JOURNEY, reason.value)] == 1


def test_reentry_is_off_by_default_and_says_so():
    prepared = _journey(_file("onboarding"), Limits={})
    first = _entered(prepared)
    finished = Participant.from_document(
        {**first.to_document(), "Status": "FINISHED", "Activity": None, "Version": 3}
    )

    again = admit(prepared, finished, _endpoint(), "run2", T0 + DAY)

    assert again.refused == Metric.REENTRY_CAP_EXCEEDED
    assert "each endpoint enters once" in again.participant.refusal["Detail"]


def test_reentry_cap_and_interval():
    prepared = _journey(
        _file("onboarding"), Limits={"EndpointReentryCap": 3, "EndpointReentryInterval": "P1D"}
    )
    first = _entered(prepared)
    done = Participant.from_document({**first.to_document(), "Status": "FINISHED", "Version": 2})

    too_soon = admit(prepared, done, _endpoint(), "run1", T0 + HOUR)
    later = admit(prepared, done, _endpoint(), "run1", T0 + 2 * DAY)

    assert too_soon.refused == Metric.REENTRY_INTERVAL_NOT_ELAPSED
    assert later.refused is None
    assert later.participant.entry == 2
    assert later.participant.history[0]["Entry"] == 1


def test_an_active_participant_is_rejected_not_entered_twice():
    prepared = _journey(_file("onboarding"), Limits={"EndpointReentryCap": 0})
    active = _entered(prepared)

    again = admit(prepared, active, _endpoint(), "run1", T0 + HOUR)

    assert again.refused == Metric.ACTIVE_ENDPOINT_REJECTED
    assert again.participant.entry == 1


def test_paused_journeys_admit_no_one():
    prepared = _journey(_file("onboarding"))

    admission = admit(prepared, new_participant("j1", "e1"), _endpoint(), "run1", T0, paused=True)

    assert admission.refused == Metric.PAUSED


def test_entry_outside_the_schedule_is_refused():
    prepared = _journey(_file("onboarding"), Schedule={"StartTime": "2025-04-01T00:00:00Z"})

    admission = admit(prepared, new_participant("j1", "e1"), _endpoint(), "run1", T0)

    assert admission.refused == Metric.OUTSIDE_SCHEDULE


# -- activities -------------------------------------------------------------------------


def test_a_message_activity_waits_for_the_send_decision_then_moves_on():
    prepared = _journey(_file("onboarding"))
    p = _entered(prepared)

    step = advance(prepared, p, T0, _never)
    assert step.pending == "welcome"

    moved = after_message(prepared, step.participant, MessageOutcome("SUCCESS", sent=True), T0)
    waiting = advance(prepared, moved.participant, T0, _never)

    assert waiting.participant.activity == "week"
    assert waiting.participant.due_at == T0 + 7 * DAY
    assert waiting.participant.total_sends == 1
    assert _counts(moved.increments)[("welcome", "SUCCESS")] == 1


def test_a_wait_holds_until_its_time_and_a_waitUntil_in_the_past_passes():
    body = _file("onboarding")
    prepared = _journey(body)
    p = after_message(
        prepared,
        advance(prepared, _entered(prepared), T0, _never).participant,
        MessageOutcome("SUCCESS", sent=True),
        T0,
    ).participant
    p = advance(prepared, p, T0, _never).participant

    early = advance(prepared, p, T0 + 6 * DAY, _never)
    due = advance(prepared, p, T0 + 7 * DAY, _never)

    assert early.participant.activity == "week"
    assert due.participant.activity in ("tips", "basics")
    assert due.pending == due.participant.activity

    body["Activities"]["week"]["Wait"]["WaitTime"] = {"WaitUntil": "2025-01-01T00:00:00Z"}
    past = _journey(body)
    q = _entered(past)
    q = after_message(
        past, advance(past, q, T0, _never).participant, MessageOutcome("SUCCESS", sent=True), T0
    ).participant
    assert advance(past, q, T0, _never).participant.activity == "basics"


def _at_split(prepared: PreparedJourney, matched: Mapping[str, int] | None = None) -> Participant:
    p = _entered(prepared)
    p = after_message(
        prepared,
        advance(prepared, p, T0, _never).participant,
        MessageOutcome("SUCCESS", sent=True),
        T0,
    ).participant
    p = advance(prepared, p, T0, _never).participant
    return Participant.from_document({**p.to_document(), "Matched": dict(matched or {})})


def test_the_whitepapers_split_on_opening_the_welcome_email():
    prepared = _journey(_file("onboarding"))
    opener = _at_split(prepared, {"opened/0": T0 + HOUR})
    other = _at_split(prepared)

    yes = advance(prepared, opener, T0 + 7 * DAY, _never)
    no = advance(prepared, other, T0 + 7 * DAY, _never)

    assert yes.pending == "tips"
    assert no.pending == "basics"
    split_step = next(s for s in yes.participant.path if s.activity == "opened")
    assert split_step.outcome == "Branch_1"
    assert split_step.detail["Conditions"][0]["Result"] is True
    assert _counts(no.increments)[("opened", "Branch_2")] == 1


def test_an_evaluation_window_waits_and_an_event_wakes_the_split_at_once():
    body = _file("onboarding")
    split = body["Activities"]["opened"]["ConditionalSplit"]
    split["EvaluationWaitTime"] = {"WaitFor": "P3D"}
    prepared = _journey(body)
    p = _at_split(prepared)

    arrived = advance(prepared, p, T0 + 7 * DAY, _never).participant
    assert arrived.activity == "opened" and arrived.due_at == T0 + 10 * DAY

    opened = Participant.from_document(
        {**arrived.to_document(), "Matched": {"opened/0": T0 + 8 * DAY}}
    )
    woken = advance(prepared, opened, T0 + 8 * DAY, _never, woken=True)
    assert woken.pending == "tips"

    expired = advance(prepared, arrived, T0 + 10 * DAY, _never)
    assert expired.pending == "basics"

    late = Participant.from_document(
        {**arrived.to_document(), "Matched": {"opened/0": T0 + 11 * DAY}}
    )
    assert advance(prepared, late, T0 + 11 * DAY, _never).pending == "basics"


def _at(prepared: PreparedJourney, activity: str, **fields: Any) -> Participant:
    p = _entered(prepared)
    document = {**p.to_document(), "Activity": activity, "ArrivedAt": None, "DueAt": T0, **fields}
    return Participant.from_document(document)


def test_multivariate_split_takes_the_first_matching_branch_in_order_else_the_default():
    prepared = _journey(_file("branching"))
    members = {"engaged/b1": {"e1"}, "engaged/b2": {"e1"}}

    def membership(key: str, endpoint_id: str) -> bool:
        return endpoint_id in members.get(key, set())

    clicked = advance(
        prepared, _at(prepared, "engaged", Matched={"engaged/b0": T0}), T0, membership
    )
    pro = advance(prepared, _at(prepared, "engaged"), T0, membership)
    members.clear()
    nobody = advance(prepared, _at(prepared, "engaged"), T0, membership)

    assert clicked.pending == "thanks"
    assert pro.pending == "vip"
    steps = next(s for s in pro.participant.path if s.activity == "engaged")
    assert steps.outcome == "Branch_2"
    assert [c["Condition"] for c in steps.detail["Conditions"]] == ["engaged/b0", "engaged/b1"]
    assert nobody.pending == "thanks"
    assert [s.outcome for s in nobody.participant.path if s.activity == "engaged"] == ["OTHER"]


def test_random_split_is_deterministic_and_near_its_percentages():
    prepared = _journey(_file("branching"))
    branches = {"reminderA": 0, "reminderB": 0}
    for n in range(2000):
        p = _at(prepared, "ab")
        p = Participant.from_document({**p.to_document(), "EndpointId": f"e{n}"})
        first = advance(prepared, p, T0, _never)
        second = advance(prepared, p, T0, _never)
        assert first.pending == second.pending
        branches[first.pending or ""] += 1

    assert 900 < branches["reminderA"] < 1100


def test_holdout_ends_about_its_percentage_and_counts_both_ways():
    prepared = _journey(_file("branching"))
    held = 0
    for n in range(2000):
        p = Participant.from_document(
            {**_at(prepared, "hold").to_document(), "EndpointId": f"e{n}"}
        )
        step = advance(prepared, p, T0, _never)
        counts = _counts(step.increments)
        if step.participant.status == ParticipantStatus.FINISHED:
            held += 1
            assert step.participant.outcome == "HOLDOUT"
            assert counts[("hold", "HOLDOUT")] == 1
        else:
            assert counts[("hold", "CONTINUED")] == 1

    assert 140 < held < 260


def test_opt_out_at_a_message_ends_the_participant():
    prepared = _journey(_file("onboarding"))
    p = advance(prepared, _entered(prepared), T0, _never).participant

    left = after_message(prepared, p, MessageOutcome("OPT_OUT", leaves=True), T0)

    assert left.participant.status == ParticipantStatus.FINISHED
    assert left.participant.outcome == "OPT_OUT"
    assert _counts(left.increments)[(JOURNEY, Metric.ENDPOINT_LEFT.value)] == 1


def test_a_deferred_message_keeps_the_participant_at_the_activity():
    prepared = _journey(_file("onboarding"))
    p = advance(prepared, _entered(prepared), T0, _never).participant

    deferred = after_message(prepared, p, MessageOutcome("QUIET_TIME", until_ms=T0 + 5 * HOUR), T0)

    assert deferred.participant.activity == "welcome"
    assert advance(prepared, deferred.participant, T0 + HOUR, _never).pending is None
    assert advance(prepared, deferred.participant, T0 + 5 * HOUR, _never).pending == "welcome"


def test_cancel_ends_participants_where_they_are():
    prepared = _journey(_file("onboarding"))
    p = _at_split(prepared)

    ended = cancel(p, T0 + DAY)

    assert ended.participant.status == ParticipantStatus.CANCELLED
    counts = _counts(ended.increments)
    assert counts[(JOURNEY, "CANCELLED")] == 1
    assert counts[("week", "CANCELLED")] == 1


def test_a_pause_lengthens_waits_by_its_duration():
    prepared = _journey(_file("onboarding"))
    p = _at_split(prepared)  # waiting at "week" since T0, due T0 + 7 days

    shifted = rebase(p, [(T0 + DAY, T0 + 3 * DAY)])

    assert shifted.due_at == T0 + 9 * DAY
    assert rebase(shifted, [(T0 + DAY, T0 + 3 * DAY)]) == shifted  # seen once
    assert advance(prepared, shifted, T0 + 8 * DAY, _never).participant.activity == "week"


# -- event conditions -------------------------------------------------------------------


def _record(event_type: str, **attributes: str) -> EventRecord:
    return EventRecord.model_validate(
        {
            "event_type": event_type,
            "event_timestamp": T0 + HOUR,
            "arrival_timestamp": T0 + HOUR,
            "application": {"app_id": "app"},
            "client": {"client_id": "e1"},
            "attributes": attributes,
            "event_id": f"{event_type}-1",
        }
    )


def test_an_event_condition_counts_only_its_message_activitys_events_of_this_entry():
    prepared = _journey(_file("onboarding"))
    p = _entered(prepared)
    condition = {key: c for key, _, c in journey_conditions(prepared.journey)}[
        "opened/0"
    ].event_condition
    assert condition is not None
    mine = {"journey_id": "j1", "journey_activity_id": "welcome", "run_id": p.entry_key}

    assert event_matches(condition, _record("_email.open", **mine), p)
    assert not event_matches(condition, _record("_email.click", **mine), p)
    assert not event_matches(
        condition, _record("_email.open", **{**mine, "journey_activity_id": "tips"}), p
    )
    assert not event_matches(condition, _record("_email.open", **{**mine, "run_id": "run0.1"}), p)
    assert not event_matches(condition, _record("_email.open", **{**mine, "journey_id": "j2"}), p)


def test_an_event_condition_without_a_message_activity_matches_custom_events_after_entry():
    body = _file("onboarding")
    body["Activities"]["opened"]["ConditionalSplit"]["Condition"]["Conditions"] = [
        {
            "EventCondition": {
                "Dimensions": {
                    "EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]},
                    "Metrics": {"price": {"ComparisonOperator": "GREATER_THAN", "Value": 10}},
                }
            }
        }
    ]
    prepared = _journey(body)
    p = _entered(prepared, at=T0)
    condition = next(iter(journey_conditions(prepared.journey)))[2].event_condition
    assert condition is not None
    purchase = _record("purchase").model_copy(update={"metrics": {"price": 20.0}})
    cheap = _record("purchase").model_copy(update={"metrics": {"price": 5.0}})
    before = purchase.model_copy(update={"event_timestamp": T0 - HOUR})

    assert event_matches(condition, purchase, p)
    assert not event_matches(condition, cheap, p)
    assert not event_matches(condition, before, p)


def test_every_step_time_is_after_entry():
    prepared = _journey(_file("onboarding"))
    p = _entered(prepared, at=T0)
    step = advance(prepared, p, T0 + timedelta(minutes=5).seconds * 1000, _never)
    assert all(s.at >= T0 for s in step.participant.path)
