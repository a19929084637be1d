""" "Why didn't this endpoint enter or advance?": one endpoint's story in one journey.

Built from the participant record (its path through the current entry, each step with
the conditions evaluated and their results, its waits, the caps and windows that
stopped a message, its earlier entries and its last refusal) and, for an endpoint the
journey never saw, from the start condition: the answer says what the endpoint would
have needed to enter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.journeys.conditions import ConditionCheck
from clarion.domain.journeys.durations import from_ms, iso
from clarion.domain.journeys.engine import PreparedJourney
from clarion.domain.journeys.model import (
    ConditionalSplitActivity,
    JourneyResponse,
    MultiConditionalSplitActivity,
    WaitActivity,
)
from clarion.domain.journeys.participant import DAY_MS, Participant, ParticipantStatus

STOPPING_STATUSES = frozenset(
    {
        "DAILY_CAP",
        "TOTAL_CAP",
        "TIMEFRAME_CAP",
        "QUIET_TIME",
        "OUTSIDE_OPEN_HOURS",
        "CLOSED_DAYS",
        "OPT_OUT",
        "ENDPOINT_INACTIVE",
        "ENDPOINT_MISSING_ADDRESS",
        "ENDPOINT_CHANNEL_MISMATCH",
        "ENDPOINT_NOT_FOUND",
        "IN_DOUBT",
    }
)


def _when(ms: int | None) -> str | None:
    return iso(from_ms(ms)) if ms is not None else None


def _start_condition(journey: JourneyResponse) -> dict[str, Any]:
    start = journey.start_condition
    if start is None:
        return {"Kind": None}
    if start.segment_start_condition is not None:
        return {
            "Kind": "SegmentStartCondition",
            "SegmentId": start.segment_start_condition.segment_id,
        }
    event = start.event_start_condition
    assert event is not None and event.event_filter is not None  # validated
    dims = event.event_filter.dimensions
    out: dict[str, Any] = {
        "Kind": "EventStartCondition",
        "FilterType": event.event_filter.filter_type.value,
        "EventTypes": list(dims.event_type.values) if dims.event_type else None,
    }
    if event.segment_id:
        out["SegmentId"] = event.segment_id
    return out


def _step_json(prepared: PreparedJourney, step: Mapping[str, Any]) -> dict[str, Any]:
    activity = prepared.activities.get(str(step.get("Activity")))
    out = {
        "Activity": step.get("Activity"),
        "Type": activity.type.value if activity else None,
        "At": _when(step.get("At")),
        "Outcome": step.get("Outcome"),
    }
    if step.get("Detail"):
        out["Detail"] = step["Detail"]
    return out


def _caps(journey: JourneyResponse, participant: Participant, now_ms: int) -> dict[str, Any]:
    limits = journey.limits
    out: dict[str, Any] = {
        "MessagesSent": participant.total_sends,
        "MessagesInLast24Hours": participant.sends_since(now_ms - DAY_MS),
    }
    if limits is not None:
        if limits.daily_cap:
            out["DailyCap"] = limits.daily_cap
        if limits.total_cap:
            out["TotalCap"] = limits.total_cap
        if limits.timeframe_cap and limits.timeframe_cap.cap:
            out["TimeframeCap"] = limits.timeframe_cap.to_pinpoint()
        out["EndpointReentryCap"] = (
            limits.endpoint_reentry_cap if limits.endpoint_reentry_cap is not None else 1
        )
    else:
        out["EndpointReentryCap"] = 1
    return out


def explain(
    prepared: PreparedJourney,
    endpoint_id: str,
    participant: Participant | None,
    endpoint: Endpoint | None,
    now_ms: int,
    *,
    current_checks: tuple[ConditionCheck, ...] = (),
    in_start_segment: bool | None = None,
) -> dict[str, Any]:
    """The answer for one endpoint (module docstring). ``current_checks``: the
    conditions of the split it waits at, evaluated now; ``in_start_segment``: whether
    it is in the start condition's segment now (None when not asked)."""
    journey = prepared.journey
    answer: dict[str, Any] = {
        "JourneyId": journey.id,
        "EndpointId": endpoint_id,
        "JourneyState": journey.effective_state.value,
        "StartCondition": _start_condition(journey),
        "EndpointExists": endpoint is not None,
    }
    if endpoint is not None:
        answer["Endpoint"] = {
            "ChannelType": endpoint.channel_type.value if endpoint.channel_type else None,
            "OptOut": endpoint.opt_out.value if endpoint.opt_out else "NONE",
            "EndpointStatus": endpoint.endpoint_status.value
            if endpoint.endpoint_status
            else "ACTIVE",
        }
    if in_start_segment is not None:
        answer["StartCondition"]["EndpointInSegment"] = in_start_segment
    if participant is None or (participant.entry == 0 and participant.refusal is None):
        answer["Status"] = "NEVER_OFFERED"
        answer["Entries"] = 0
        kind = answer["StartCondition"]["Kind"]
        if kind == "SegmentStartCondition":
            reason = "the endpoint was never among the start segment's members when a run began" + (
                "" if in_start_segment is None else f" (in the segment now: {in_start_segment})"
            )
        elif kind == "EventStartCondition":
            types = answer["StartCondition"].get("EventTypes")
            reason = f"no event of the endpoint matched the start condition ({types})"
        else:
            reason = "the journey has no start condition"
        if journey.effective_state.value == "DRAFT":
            reason = "the journey is a draft: it has not been published"
        answer["Summary"] = f"Never offered to the journey: {reason}."
        return answer
    answer["Status"] = participant.status.value
    answer["Entries"] = participant.entry
    answer["RunId"] = participant.run_id
    answer["EnteredAt"] = _when(participant.entered_at)
    answer["Path"] = [_step_json(prepared, step.to_json()) for step in participant.path]
    answer["Caps"] = _caps(journey, participant, now_ms)
    stopped = [step for step in answer["Path"] if step["Outcome"] in STOPPING_STATUSES]
    if stopped:
        answer["MessagesNotSent"] = stopped
    if participant.refusal:
        refusal = dict(participant.refusal)
        refusal["At"] = _when(refusal.get("At"))
        answer["LastRefusal"] = refusal
    if participant.history:
        answer["EarlierEntries"] = [
            {
                "Entry": item.get("Entry"),
                "RunId": item.get("RunId"),
                "EnteredAt": _when(item.get("EnteredAt")),
                "Outcome": item.get("Outcome"),
                "Path": [_step_json(prepared, step) for step in item.get("Path", [])],
            }
            for item in participant.history
        ]
    summary: str
    if participant.status == ParticipantStatus.REFUSED:
        last = participant.refusal or {}
        summary = f"Did not enter: {last.get('Reason')}: {last.get('Detail')}."
    elif participant.status == ParticipantStatus.ACTIVE:
        activity_id = participant.activity or ""
        activity = prepared.activities[activity_id]
        current: dict[str, Any] = {
            "Activity": activity_id,
            "Type": activity.type.value,
            "Since": _when(participant.arrived_at),
            "DueAt": _when(participant.due_at),
        }
        settings = activity.settings
        if isinstance(settings, WaitActivity):
            summary = f"Waiting at {activity_id!r} until {current['DueAt']}."
        elif isinstance(settings, ConditionalSplitActivity | MultiConditionalSplitActivity):
            current["EvaluationEndsAt"] = _when(participant.deadline)
            if current_checks:
                current["Conditions"] = [check.to_json() for check in current_checks]
            summary = (
                f"At split {activity_id!r}, waiting for its conditions until "
                f"{current['EvaluationEndsAt']}; then it takes the "
                + (
                    "false/default path."
                    if not any(c.result for c in current_checks)
                    else "matching path."
                )
            )
        elif activity.type.is_message:
            summary = f"At message activity {activity_id!r}, deferred until {current['DueAt']}."
        else:
            summary = f"At {activity_id!r}."
        answer["Current"] = current
        if participant.refusal:
            summary += f" A later entry was refused: {participant.refusal.get('Reason')}."
    else:
        summary = f"Left the journey ({participant.outcome}) after entry {participant.entry}."
        if participant.refusal:
            summary += (
                f" A later entry was refused: {participant.refusal.get('Reason')}: "
                f"{participant.refusal.get('Detail')}."
            )
    if stopped:
        summary += (
            " Messages not sent: "
            + ", ".join(f"{step['Activity']} ({step['Outcome']})" for step in stopped)
            + "."
        )
    answer["Summary"] = summary
    return answer
