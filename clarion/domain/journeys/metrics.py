"""Journey execution metrics in Pinpoint's shapes, from the engine's counters.

The engine counts, per run and activity (``""`` for the journey itself), every entry,
refusal, arrival and exit, in the same atomic write that moves the participant, so the
counters are exact however often a batch is retried. This module turns them into the
``Metrics`` maps of GetJourneyExecutionMetrics and GetJourneyExecutionActivityMetrics
(all values strings, as Pinpoint returned them):

- journey: ``ENDPOINT_ENTERED``, ``ENDPOINT_LEFT``, ``CANCELLED``,
  ``REENTRY_CAP_EXCEEDED``, ``ACTIVE_ENDPOINT_REJECTED`` and ``ENDPOINT_ACTIVE``
  (entered - left - cancelled) always; the other refusal reasons
  (``ENDPOINT_OPT_OUT``, ``FILTERED_OUT_BY_SEGMENT``...) when they occurred.
- ``MESSAGE`` activities: one count per send status (``SUCCESS``, ``DAILY_CAP``,
  ``QUIET_TIME``, ``PERMANENT_FAILURE``...), and ``WAITING`` for deferred messages.
- ``WAIT``: ``WAITING`` and ``COMPLETED``.
- ``CONDITIONAL_SPLIT``: ``Branch_1`` (the true path) and ``Branch_2`` (false);
  ``MULTI_CONDITIONAL_SPLIT``: ``Branch_1``... and ``OTHER`` (the default path);
  both ``WAITING`` while participants wait for their evaluation window.
- ``RANDOM_SPLIT``: ``TOTAL`` and ``Branch_1``...; ``HOLDOUT``: ``HOLDOUT`` and
  ``CONTINUED``.
- any activity: ``CANCELLED`` when the journey was cancelled with participants there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from clarion.domain.journeys.engine import ARRIVED, JOURNEY, Exit, Metric, branch
from clarion.domain.journeys.model import (
    Activity,
    ActivityType,
    MultiConditionalSplitActivity,
    RandomSplitActivity,
)

Counters = Mapping[tuple[str, str, str], int]  # (run id, activity id, metric) -> count

_ALWAYS = (
    Metric.ENDPOINT_ENTERED,
    Metric.ENDPOINT_LEFT,
    Metric.CANCELLED,
    Metric.REENTRY_CAP_EXCEEDED,
    Metric.ACTIVE_ENDPOINT_REJECTED,
)


def _sum(counters: Counters, activity: str, run_id: str | None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (run, activity_id, metric), value in counters.items():
        if activity_id != activity or (run_id is not None and run != run_id):
            continue
        totals[metric] = totals.get(metric, 0) + int(value)
    return totals


def _strings(values: Mapping[str, int]) -> dict[str, str]:
    return {name: str(value) for name, value in sorted(values.items())}


def journey_metrics(counters: Counters, run_id: str | None = None) -> dict[str, str]:
    """The journey's execution metrics (of one run, or all) as Pinpoint's map."""
    totals = _sum(counters, JOURNEY, run_id)
    out = {metric.value: totals.get(metric.value, 0) for metric in _ALWAYS}
    out["ENDPOINT_ACTIVE"] = max(
        0,
        totals.get(Metric.ENDPOINT_ENTERED, 0)
        - totals.get(Metric.ENDPOINT_LEFT, 0)
        - totals.get(Metric.CANCELLED, 0),
    )
    for name, value in totals.items():
        if name not in out and value:
            out[name] = value
    return _strings(out)


def active_count(counters: Counters, run_id: str | None = None) -> int:
    """Participants still in the journey (of one run, or all)."""
    return int(journey_metrics(counters, run_id)["ENDPOINT_ACTIVE"])


def activity_metrics(
    activity_id: str, activity: Activity, counters: Counters, run_id: str | None = None
) -> dict[str, str]:
    """One activity's execution metrics (module docstring) as Pinpoint's map."""
    totals = _sum(counters, activity_id, run_id)
    arrived = totals.pop(ARRIVED, 0)
    exits = sum(totals.values()) - totals.get("TOTAL", 0)
    waiting = max(0, arrived - exits)
    kind = activity.type
    settings = activity.settings
    out: dict[str, int] = {}
    if kind.is_message:
        out["SUCCESS"] = totals.get("SUCCESS", 0)
        out.update(totals)
        if waiting:
            out["WAITING"] = waiting
    elif kind == ActivityType.WAIT:
        out = {"WAITING": waiting, Exit.COMPLETED.value: totals.get(Exit.COMPLETED, 0)}
    elif kind == ActivityType.CONDITIONAL_SPLIT:
        out = {branch(1): totals.get(branch(1), 0), branch(2): totals.get(branch(2), 0)}
        if waiting:
            out["WAITING"] = waiting
    elif isinstance(settings, MultiConditionalSplitActivity):
        for number in range(1, len(settings.branches or []) + 1):
            out[branch(number)] = totals.get(branch(number), 0)
        out[Exit.OTHER.value] = totals.get(Exit.OTHER, 0)
        if waiting:
            out["WAITING"] = waiting
    elif isinstance(settings, RandomSplitActivity):
        out["TOTAL"] = totals.get("TOTAL", 0)
        for number in range(1, len(settings.branches or []) + 1):
            out[branch(number)] = totals.get(branch(number), 0)
    elif kind == ActivityType.HOLDOUT:
        out = {
            Exit.HOLDOUT.value: totals.get(Exit.HOLDOUT, 0),
            Exit.CONTINUED.value: totals.get(Exit.CONTINUED, 0),
        }
    if totals.get(Exit.CANCELLED):
        out[Exit.CANCELLED.value] = totals[Exit.CANCELLED]
    return _strings(out)


def merge(parts: Iterable[Counters]) -> dict[tuple[str, str, str], int]:
    """Counters of several stores' answers added up."""
    total: dict[tuple[str, str, str], int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + int(value)
    return total
