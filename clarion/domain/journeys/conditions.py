"""Split conditions, evaluated for one participant.

A split's simple conditions each have a key: ``<activity>/<index>`` for a yes/no split's
``Condition.Conditions[index]``, ``<activity>/b<index>`` for a multivariate split's
``Branches[index].Condition``.

- **EventCondition**: met when a matching event was seen for the participant's current
  entry. With ``MessageActivity``, only the events of the message that activity sent in
  this entry count (the message's tags carry the journey, the activity and the entry);
  without it, any of the endpoint's events after it entered. ``Dimensions`` are read
  as an EventFilter's (EventType, Attributes, Metrics). The events consumer records a
  match on the participant as it happens (``matched``: key -> event time); a split with
  an evaluation window counts only matches up to the window's end.
- **SegmentCondition** and **SegmentDimensions**: the participant's endpoint is in the
  segment, or matches the inline dimensions (any dimension type segments support),
  answered by the ``membership`` function the engine is given (the service asks the
  audience query for the batch, through the one segment SQL compiler).

``Operator`` ALL (the default) needs every condition, ANY one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from clarion.domain.campaigns.event_filter import event_dimensions_match
from clarion.domain.events.records import EventRecord
from clarion.domain.journeys.durations import from_ms, iso
from clarion.domain.journeys.model import (
    Condition,
    ConditionalSplitActivity,
    EventCondition,
    JourneyResponse,
    MultiConditionalSplitActivity,
    Operator,
    SimpleCondition,
)
from clarion.domain.journeys.participant import Participant

Membership = Callable[[str, str], bool]  # (condition key, endpoint id) -> in the segment


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """One simple condition's result, and why (for explain)."""

    key: str
    kind: str
    result: bool
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"Condition": self.key, "Kind": self.kind, "Result": self.result, "Why": self.reason}


@dataclass(frozen=True, slots=True)
class ConditionResult:
    value: bool
    checks: tuple[ConditionCheck, ...]


def journey_conditions(journey: JourneyResponse) -> Iterator[tuple[str, str, SimpleCondition]]:
    """Every simple condition of the journey's splits: (key, split activity id,
    condition)."""
    for activity_id, activity in (journey.activities or {}).items():
        settings = activity.settings
        if isinstance(settings, ConditionalSplitActivity) and settings.condition is not None:
            for index, condition in enumerate(settings.condition.conditions or []):
                yield f"{activity_id}/{index}", activity_id, condition
        elif isinstance(settings, MultiConditionalSplitActivity):
            for index, branch in enumerate(settings.branches or []):
                if branch.condition is not None:
                    yield f"{activity_id}/b{index}", activity_id, branch.condition


def event_matches(condition: EventCondition, record: EventRecord, participant: Participant) -> bool:
    """Whether ``record`` (an event of the participant's endpoint) meets the event
    condition for the participant's current entry (module docstring)."""
    if condition.dimensions is None or not participant.is_active:
        return False
    attributes = record.attributes
    if condition.message_activity is not None:
        if attributes.get("journey_id") != participant.journey_id:
            return False
        if attributes.get("journey_activity_id") != condition.message_activity:
            return False
        entry = attributes.get("run_id")
        if entry is not None and entry != participant.entry_key:
            return False
        if entry is None and attributes.get("journey_run_id") != participant.run_id:
            return False
    elif participant.entered_at is None or record.event_timestamp < participant.entered_at:
        return False
    return event_dimensions_match(condition.dimensions, record)


def _describe_event(condition: EventCondition) -> str:
    dims = condition.dimensions
    types = ", ".join(dims.event_type.values) if dims and dims.event_type else "an event"
    if condition.message_activity:
        return f"{types} of the message sent by {condition.message_activity!r}"
    return f"{types} after entry"


def evaluate_simple(
    key: str,
    condition: SimpleCondition,
    participant: Participant,
    membership: Membership,
    deadline: int | None,
) -> ConditionCheck:
    """One simple condition for the participant (module docstring)."""
    if condition.event_condition is not None:
        seen = participant.matched.get(key)
        what = _describe_event(condition.event_condition)
        if seen is not None and (deadline is None or seen <= deadline):
            return ConditionCheck(
                key, "EventCondition", True, f"{what}: seen at {iso(from_ms(seen))}"
            )
        if seen is not None:
            return ConditionCheck(
                key, "EventCondition", False, f"{what}: seen only after the window ended"
            )
        return ConditionCheck(key, "EventCondition", False, f"{what}: not seen")
    if condition.segment_condition is not None:
        segment = condition.segment_condition.segment_id
        member = membership(key, participant.endpoint_id)
        state = "in" if member else "not in"
        return ConditionCheck(
            key, "SegmentCondition", member, f"endpoint {state} segment {segment}"
        )
    member = membership(key, participant.endpoint_id)
    state = "matches" if member else "does not match"
    return ConditionCheck(key, "SegmentDimensions", member, f"endpoint {state} the dimensions")


def evaluate(
    activity_id: str,
    condition: Condition,
    participant: Participant,
    membership: Membership,
    deadline: int | None,
) -> ConditionResult:
    """A yes/no split's Condition: ALL (the default) or ANY of its simple conditions."""
    checks = tuple(
        evaluate_simple(f"{activity_id}/{index}", simple, participant, membership, deadline)
        for index, simple in enumerate(condition.conditions or [])
    )
    results = [check.result for check in checks]
    value = any(results) if condition.operator == Operator.ANY else all(results)
    return ConditionResult(bool(results) and value, checks)


def needs_membership(condition: SimpleCondition) -> bool:
    """Whether the condition asks the audience query (a segment or dimensions)."""
    return condition.segment_condition is not None or condition.segment_dimensions is not None
