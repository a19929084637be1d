"""WriteJourneyRequest and JourneyResponse: Pinpoint's shapes, field for field with
botocore's model, and the activity graph's rules, each problem named by its field."""

from __future__ import annotations

import copy
import json
import typing
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from pydantic import BaseModel

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.journeys import (
    JourneyResponse,
    WriteJourneyRequest,
    parse_duration,
    validate_journey_request,
)

ROOT = Path(__file__).resolve().parents[2]
ONBOARDING = ROOT / "demo" / "journeys" / "onboarding-journey.json"
BRANCHING = ROOT / "tests" / "events" / "journeys" / "branching-journey.json"
SERVICE = botocore.session.get_session().get_service_model("pinpoint")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None``, ``list[X]`` or ``dict[K, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


def _member_shape(shape: Any) -> Any:
    while shape.type_name in ("list", "map"):
        shape = shape.member if shape.type_name == "list" else shape.value
    return shape


def _compare(model: type[BaseModel], shape: Any, path: str, seen: set[str]) -> list[str]:
    """Differences between a model's fields and a botocore structure, recursively."""
    if shape.name in seen:
        return []
    seen.add(shape.name)
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    members = shape.members
    problems = []
    if set(fields) != set(members):
        problems.append(
            f"{path} ({shape.name}): model has {sorted(set(fields) - set(members))}, "
            f"botocore has {sorted(set(members) - set(fields))}"
        )
    for name in set(fields) & set(members):
        inner = _model_of(fields[name].annotation)
        target = _member_shape(members[name])
        if inner is not None and target.type_name == "structure":
            problems += _compare(inner, target, f"{path}.{name}", seen)
    return problems


@pytest.mark.parametrize(
    ("model", "shape"),
    [(WriteJourneyRequest, "WriteJourneyRequest"), (JourneyResponse, "JourneyResponse")],
)
def test_the_models_are_the_service_models_field_for_field(model: type, shape: str):
    assert _compare(model, SERVICE.shape_for(shape), shape, set()) == []


@pytest.mark.parametrize("path", [ONBOARDING, BRANCHING])
def test_pinpoint_journey_json_is_accepted_unchanged(path: Path):
    body = json.loads(path.read_text(encoding="utf-8"))
    report = ParamValidator().validate(body, SERVICE.shape_for("WriteJourneyRequest"))
    assert not report.has_errors(), report.generate_report()

    request = validate_journey_request(body)

    assert request.to_pinpoint() == body


def _branching() -> dict[str, Any]:
    return copy.deepcopy(json.loads(BRANCHING.read_text(encoding="utf-8")))


def _problems(body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecordError) as caught:
        validate_journey_request(body)
    return [(p.field, p.reason) for p in caught.value.problems]


def test_an_unknown_next_activity_is_named_by_activity_and_field():
    body = _branching()
    body["Activities"]["welcome"]["EMAIL"]["NextActivity"] = "nowhere"

    problems = _problems(body)

    assert (
        "Activities.welcome.EMAIL.NextActivity",
        "'nowhere' is not an activity of this journey",
    ) in problems


def test_a_cycle_is_refused_with_its_path():
    body = _branching()
    body["Activities"]["thanks"]["SMS"]["NextActivity"] = "welcome"

    fields = dict(_problems(body))

    cycle = [reason for field, reason in fields.items() if "cycle" in reason]
    assert cycle and "welcome" in cycle[0] and "thanks" in cycle[0]


def test_an_unreachable_activity_is_named():
    body = _branching()
    body["Activities"]["orphan"] = {"Wait": {"WaitTime": {"WaitFor": "P1D"}}}

    assert (
        "Activities.orphan",
        "is unreachable: no path from StartActivity 'welcome' leads to it",
    ) in _problems(body)


def test_random_split_percentages_must_add_up_to_100():
    body = _branching()
    body["Activities"]["ab"]["RandomSplit"]["Branches"][0]["Percentage"] = 40

    problems = _problems(body)

    assert any(
        field == "Activities.ab.RandomSplit.Branches" and "add up to 90" in reason
        for field, reason in problems
    )


def test_more_than_40_activities_are_refused():
    body = _branching()
    chain = {
        f"w{n}": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}, "NextActivity": f"w{n + 1}"}}
        for n in range(41)
    }
    chain["w40"]["Wait"].pop("NextActivity")
    body["Activities"].update(chain)
    body["Activities"]["thanks"]["SMS"]["NextActivity"] = "w0"

    assert any(
        field == "Activities" and "at most 40" in reason for field, reason in _problems(body)
    )


def test_contact_center_is_refused_with_a_clear_error():
    body = _branching()
    body["Activities"]["agent"] = {"ContactCenter": {}}
    body["Activities"]["thanks"]["SMS"]["NextActivity"] = "agent"

    reasons = dict(_problems(body))

    assert "not supported" in reasons["Activities.agent.ContactCenter"]


def test_an_event_condition_on_a_later_or_non_message_activity_is_refused():
    body = _branching()
    conditions = body["Activities"]["opened"]["ConditionalSplit"]["Condition"]["Conditions"]
    conditions[0]["EventCondition"]["MessageActivity"] = "thanks"  # downstream
    body["Activities"]["engaged"]["MultiCondition"]["Branches"][0]["Condition"] = {
        "EventCondition": {"MessageActivity": "week", "Dimensions": {}}
    }

    reasons = dict(_problems(body))

    assert (
        "does not come before this split"
        in reasons[
            "Activities.opened.ConditionalSplit.Condition.Conditions[0].EventCondition.MessageActivity"
        ]
    )
    assert (
        "needs a message activity"
        in reasons[
            "Activities.engaged.MultiCondition.Branches[0].Condition.EventCondition.MessageActivity"
        ]
    )


def test_shape_errors_name_the_field():
    body = _branching()
    body["Activities"]["week"]["Wait"]["WaitTime"] = {"WaitFor": "seven days"}
    body["Limits"]["DailyCap"] = 101

    fields = {field for field, _ in _problems(body)}

    assert "Activities.week.Wait.WaitTime.WaitFor" in fields
    assert "Limits.DailyCap" in fields


def test_waits_must_last_from_one_hour_to_a_year():
    body = _branching()
    body["Activities"]["week"]["Wait"]["WaitTime"] = {"WaitFor": "PT5M"}

    assert any("one hour" in reason for _, reason in _problems(body))


def test_inline_segment_dimensions_are_checked_like_segments():
    body = _branching()
    branch = body["Activities"]["engaged"]["MultiCondition"]["Branches"][1]
    branch["Condition"]["SegmentDimensions"]["UserAttributes"] = {
        "Since": {"AttributeType": "AFTER", "Values": ["yesterday"]}
    }

    fields = {field for field, _ in _problems(body)}

    assert (
        "Activities.engaged.MultiCondition.Branches[1].Condition.SegmentDimensions."
        "UserAttributes.Since.Values"
    ) in fields


@pytest.mark.parametrize(
    ("text", "days", "months"),
    [("P7D", 7, 0), ("PT1H", 1 / 24, 0), ("P1Y2M", 0, 14), ("P2W", 14, 0), ("P1DT12H", 1.5, 0)],
)
def test_iso_durations(text: str, days: float, months: int):
    duration = parse_duration(text)
    assert duration.months == months
    assert duration.fixed.total_seconds() == pytest.approx(days * 86400)


@pytest.mark.parametrize("text", ["P", "PT", "7D", "P1H", "", "PT1.5.H"])
def test_bad_durations_are_refused(text: str):
    with pytest.raises(ValueError, match="ISO-8601 duration"):
        parse_duration(text)
