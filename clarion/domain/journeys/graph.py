"""The rules of a journey's activity graph, each problem named by activity and field.

A journey is a directed acyclic graph of at most 40 activities entered at
``StartActivity``. :func:`graph_problems` reports what Pinpoint refused (and what would
make a journey run wrongly): unknown ``NextActivity`` targets, cycles, activities no
path reaches, random-split percentages that do not add up to 100, too many activities or
branches, activity ids Pinpoint does not accept, conditions on message activities that
are not upstream of the split, and activities Clarion cannot run (``ContactCenter``).
:func:`publish_problems` adds what a journey needs before it can be published.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.journeys.durations import parse_duration
from clarion.domain.journeys.model import (
    MAX_ACTIVITIES,
    MAX_MULTI_CONDITION_BRANCHES,
    MAX_RANDOM_SPLIT_BRANCHES,
    Activity,
    ActivityType,
    ConditionalSplitActivity,
    CustomMessageActivity,
    MultiConditionalSplitActivity,
    RandomSplitActivity,
    SimpleCondition,
    WaitActivity,
    WaitTime,
    _JourneyFields,
    activity_id_problem,
)
from clarion.domain.segments.model import validate_write_request

MIN_WAIT = timedelta(hours=1)
MAX_WAIT = timedelta(days=365)


def successors(activities: Mapping[str, Activity]) -> dict[str, list[str]]:
    """Each activity's next activities (existing ones only), in declaration order."""
    return {
        activity_id: [target for _, target in activity.next_activities() if target in activities]
        for activity_id, activity in activities.items()
    }


def reachable(activities: Mapping[str, Activity], start: str) -> set[str]:
    """The activities some path from ``start`` reaches (``start`` included)."""
    graph = successors(activities)
    seen: set[str] = set()
    stack = [start] if start in activities else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph[node])
    return seen


def find_cycle(activities: Mapping[str, Activity]) -> list[str] | None:
    """One cycle of the graph as the ids along it (the first repeated at the end), or
    None for an acyclic graph."""
    graph = successors(activities)
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in graph[node]:
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in activities:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def ancestors(activities: Mapping[str, Activity], target: str) -> set[str]:
    """The activities from which some path leads to ``target`` (itself excluded)."""
    graph = successors(activities)
    parents: dict[str, set[str]] = {node: set() for node in activities}
    for node, children in graph.items():
        for child in children:
            parents[child].add(node)
    seen: set[str] = set()
    stack = list(parents.get(target, ()))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(parents[node])
    return seen


def iter_conditions(activity: Activity) -> Iterator[tuple[str, SimpleCondition]]:
    """Every simple condition of a split, with its path inside the activity and a stable
    key (``<index>`` for a yes/no split's conditions, ``b<index>`` for a multivariate
    split's branches)."""
    settings = activity.settings
    if isinstance(settings, ConditionalSplitActivity) and settings.condition is not None:
        for index, condition in enumerate(settings.condition.conditions or []):
            yield f"ConditionalSplit.Condition.Conditions[{index}]", condition
    elif isinstance(settings, MultiConditionalSplitActivity):
        for index, branch in enumerate(settings.branches or []):
            if branch.condition is not None:
                yield f"MultiCondition.Branches[{index}].Condition", branch.condition


def _wait_problems(
    path: str, wait: WaitTime | None, *, required: bool, limits: bool = True
) -> list[FieldProblem]:
    if wait is None:
        return [FieldProblem(path, "is required")] if required else []
    if limits and wait.wait_for is not None:
        span = parse_duration(wait.wait_for)
        if span.at_most() < MIN_WAIT or span.at_least() > MAX_WAIT:
            return [
                FieldProblem(
                    f"{path}.WaitFor",
                    f"{wait.wait_for!r}: a wait lasts from one hour (PT1H) to 365 days (P365D)",
                )
            ]
    return []


def _condition_problems(
    where: str,
    condition: SimpleCondition,
    activities: Mapping[str, Activity],
    upstream: set[str],
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    event = condition.event_condition
    if event is not None and event.message_activity is not None:
        field = f"{where}.EventCondition.MessageActivity"
        target = activities.get(event.message_activity)
        if target is None:
            problems.append(
                FieldProblem(
                    field, f"{event.message_activity!r} is not an activity of this journey"
                )
            )
        elif not target.type.is_message:
            problems.append(
                FieldProblem(
                    field,
                    f"{event.message_activity!r} is a {target.type.value} activity; an event "
                    "condition needs a message activity (EMAIL, SMS, PUSH or CUSTOM)",
                )
            )
        elif event.message_activity not in upstream:
            problems.append(
                FieldProblem(
                    field,
                    f"{event.message_activity!r} does not come before this split on any path, "
                    "so its messages' events could never be seen here",
                )
            )
    if event is not None and event.dimensions is None:
        problems.append(FieldProblem(f"{where}.EventCondition.Dimensions", "is required"))
    if condition.segment_dimensions is not None:
        try:
            validate_write_request(
                {"Dimensions": condition.segment_dimensions.model_dump(by_alias=True, mode="json")}
            )
        except InvalidRecordError as exc:
            for problem in exc.problems:
                inner = problem.field.removeprefix("Dimensions").lstrip(".")
                name = f"{where}.SegmentDimensions" + (f".{inner}" if inner else "")
                problems.append(FieldProblem(name, problem.reason))
    return problems


def _activity_problems(
    activity_id: str,
    activity: Activity,
    activities: Mapping[str, Activity],
    wait_limits: bool = True,
) -> list[FieldProblem]:
    where = f"Activities.{activity_id}"
    kind = activity.type
    settings = activity.settings
    problems: list[FieldProblem] = []
    reason = activity_id_problem(activity_id)
    if reason:
        problems.append(FieldProblem(where, reason))
    if kind == ActivityType.CONTACT_CENTER:
        problems.append(
            FieldProblem(
                f"{where}.ContactCenter",
                "contact-center (Amazon Connect) activities are not supported: Clarion "
                "delivers through SES and End User Messaging; use a CUSTOM activity with a "
                "Lambda function or an https DeliveryUri to reach a contact center",
            )
        )
    for path, target in activity.next_activities():
        if target not in activities:
            problems.append(
                FieldProblem(f"{where}.{path}", f"{target!r} is not an activity of this journey")
            )
        elif target == activity_id:
            problems.append(FieldProblem(f"{where}.{path}", "an activity cannot lead to itself"))
    if kind.is_message and kind != ActivityType.CUSTOM:
        message = activity.message
        if message is not None and not message.template_name:
            problems.append(
                FieldProblem(
                    f"{where}.{kind.value}.TemplateName",
                    f"is required: a journey's {kind.value} activity sends a message template",
                )
            )
    if isinstance(settings, CustomMessageActivity):
        uri = settings.delivery_uri or ""
        if not uri:
            problems.append(FieldProblem(f"{where}.CUSTOM.DeliveryUri", "is required"))
        elif uri.startswith("http") and not uri.startswith("https://"):
            problems.append(
                FieldProblem(
                    f"{where}.CUSTOM.DeliveryUri",
                    f"{uri!r}: a web endpoint must be an https:// URL",
                )
            )
    if isinstance(settings, WaitActivity):
        problems += _wait_problems(
            f"{where}.Wait.WaitTime", settings.wait_time, required=True, limits=wait_limits
        )
    if isinstance(settings, ConditionalSplitActivity):
        conditions = settings.condition.conditions if settings.condition else None
        if not conditions:
            problems.append(
                FieldProblem(f"{where}.ConditionalSplit.Condition.Conditions", "is required")
            )
        problems += _wait_problems(
            f"{where}.ConditionalSplit.EvaluationWaitTime",
            settings.evaluation_wait_time,
            required=False,
            limits=wait_limits,
        )
    if isinstance(settings, MultiConditionalSplitActivity):
        branches = settings.branches or []
        if not 1 <= len(branches) <= MAX_MULTI_CONDITION_BRANCHES:
            problems.append(
                FieldProblem(
                    f"{where}.MultiCondition.Branches",
                    f"has {len(branches)} branches; a multivariate split has 1 to "
                    f"{MAX_MULTI_CONDITION_BRANCHES}, besides its DefaultActivity",
                )
            )
        for index, branch in enumerate(branches):
            if branch.condition is None:
                problems.append(
                    FieldProblem(
                        f"{where}.MultiCondition.Branches[{index}].Condition", "is required"
                    )
                )
        problems += _wait_problems(
            f"{where}.MultiCondition.EvaluationWaitTime",
            settings.evaluation_wait_time,
            required=False,
            limits=wait_limits,
        )
    if isinstance(settings, RandomSplitActivity):
        entries = settings.branches or []
        if not 1 <= len(entries) <= MAX_RANDOM_SPLIT_BRANCHES:
            problems.append(
                FieldProblem(
                    f"{where}.RandomSplit.Branches",
                    f"has {len(entries)} branches; a random split has 1 to "
                    f"{MAX_RANDOM_SPLIT_BRANCHES}",
                )
            )
        total = sum(entry.percentage or 0 for entry in entries)
        if entries and total != 100:
            shares = " + ".join(str(entry.percentage or 0) for entry in entries)
            problems.append(
                FieldProblem(
                    f"{where}.RandomSplit.Branches",
                    f"the percentages add up to {total} ({shares}); they must add up to 100",
                )
            )
    if activity.type in (ActivityType.CONDITIONAL_SPLIT, ActivityType.MULTI_CONDITION):
        upstream = ancestors(activities, activity_id)
        for path, condition in iter_conditions(activity):
            problems += _condition_problems(f"{where}.{path}", condition, activities, upstream)
    return problems


def graph_problems(journey: _JourneyFields, *, wait_limits: bool = True) -> list[FieldProblem]:
    """Every rule the journey's activities break (module docstring); [] when none.
    ``wait_limits`` False lets waits be shorter than an hour (test runs)."""
    activities = journey.activities or {}
    problems: list[FieldProblem] = []
    if len(activities) > MAX_ACTIVITIES:
        problems.append(
            FieldProblem(
                "Activities",
                f"{len(activities)} activities; a journey has at most {MAX_ACTIVITIES}",
            )
        )
    for activity_id, activity in activities.items():
        problems += _activity_problems(activity_id, activity, activities, wait_limits)
    start = journey.start_activity
    if start is not None and start not in activities:
        problems.append(
            FieldProblem("StartActivity", f"{start!r} is not an activity of this journey")
        )
    cycle = find_cycle(activities)
    if cycle is not None:
        problems.append(
            FieldProblem(
                f"Activities.{cycle[0]}",
                "the activities form a cycle: "
                + " -> ".join(cycle)
                + " (a participant would never leave)",
            )
        )
    if start is not None and start in activities:
        seen = reachable(activities, start)
        for activity_id in activities:
            if activity_id not in seen:
                problems.append(
                    FieldProblem(
                        f"Activities.{activity_id}",
                        f"is unreachable: no path from StartActivity {start!r} leads to it",
                    )
                )
    if (journey.open_hours is not None or journey.closed_days is not None) and not (
        journey.sending_schedule
    ):
        field = "OpenHours" if journey.open_hours is not None else "ClosedDays"
        problems.append(
            FieldProblem(field, "is used only with SendingSchedule true (set it, or remove this)")
        )
    return problems


def publish_problems(journey: _JourneyFields) -> list[FieldProblem]:
    """What a journey needs before it can be published (made ACTIVE), besides the graph
    rules: activities, a StartActivity and a StartCondition."""
    problems: list[FieldProblem] = []
    if not journey.activities:
        problems.append(FieldProblem("Activities", "a journey needs at least one activity to run"))
    if not journey.start_activity:
        problems.append(FieldProblem("StartActivity", "is required to publish a journey"))
    if journey.start_condition is None:
        problems.append(FieldProblem("StartCondition", "is required to publish a journey"))
    return problems
