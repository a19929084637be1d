"""Campaign conversions: attributed conversions, the holdout experiment and the A/B
comparison, from the one SQL source ``clarion/resources/sql/analytics/conversions.sql``.

The service resolves the campaign's goals (:class:`GoalService`), fills them into the
query, works out which days of the lake to read from the campaign's runs (so Athena
reads only those partitions), runs it through the AnalyticsQuery port (Athena, or DuckDB
after sqlglot) and shapes the rows with :mod:`clarion.domain.analytics.conversions`.
docs/analytics.md defines every figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clarion.domain.analytics.conversions import (
    HOLDOUT,
    Arm,
    Contender,
    ab_test,
    attribution_metrics,
    day_metrics,
    incrementality,
)
from clarion.domain.analytics.goal_sql import MeasuredGoal, fill_conversions_query
from clarion.domain.analytics.goals import ConversionGoal
from clarion.domain.common.intervals import DEFAULT_CONFIDENCE
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.campaigns import CampaignRepository
from clarion.resources import read_text
from clarion.services.analytics.goals import GoalService

CAMPAIGN = "campaign"
# Before any real event, and after any: the bounds when nothing narrows the scan.
EARLIEST = date(1970, 1, 1)
LATEST = date(9999, 12, 31)
ALL_TIME_MS = (0, 253_402_300_800_000)  # [1970-01-01, 10000-01-01)


def _now() -> datetime:
    return datetime.now(UTC)


def conversions_query(goals: Sequence[MeasuredGoal]) -> str:
    """The conversions query (Trino SQL, placeholders for the scan bounds) for ``goals``."""
    return fill_conversions_query(read_text("sql/analytics/conversions.sql"), goals)


@dataclass(frozen=True, slots=True)
class ScanBounds:
    """The days of the lake the query reads: the measured sends in [send_since,
    send_until], competing messages from touch_since, conversions until event_until."""

    touch_since: date
    send_since: date
    send_until: date
    event_until: date

    @classmethod
    def everything(cls) -> ScanBounds:
        return cls(EARLIEST, EARLIEST, LATEST, LATEST)

    @classmethod
    def around(cls, since: date, until: date, window: timedelta) -> ScanBounds:
        """Sends in [since, until]; the window before and after them."""
        days = timedelta(days=math.ceil(window.total_seconds() / 86_400))
        return cls(
            since - days if since - EARLIEST > days else EARLIEST,
            since,
            until,
            until + days if LATEST - until > days else LATEST,
        )

    def parameters(self, conversions_ms: tuple[int, int] = ALL_TIME_MS) -> dict[str, Any]:
        return {
            "touch_since": self.touch_since.isoformat(),
            "send_since": self.send_since.isoformat(),
            "send_until": self.send_until.isoformat(),
            "event_until": self.event_until.isoformat(),
            "conversions_from_ms": conversions_ms[0],
            "conversions_to_ms": conversions_ms[1],
        }


def _day(text: Any) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
    except ValueError:
        return None


def send_days(runs: Iterable[Mapping[str, Any]], today: date) -> tuple[date, date] | None:
    """The first and last UTC day a campaign's runs sent on: from the earliest
    ``StartTime`` to the latest ``EndTime`` (today while a run is still open, its
    deferred endpoints yet to be sent); None without runs."""
    starts, ends = [], []
    for run in runs:
        start = _day(run.get("StartTime"))
        if start is None:
            continue
        starts.append(start)
        end = _day(run.get("EndTime"))
        ends.append(end if end is not None else today)
    if not starts:
        return None
    return min(starts), max(max(ends), min(starts))


def _max_window(goals: Iterable[ConversionGoal]) -> timedelta:
    return max(goal.window for goal in goals)


def _iso_ms(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _goal_description(goal: ConversionGoal) -> dict[str, Any]:
    return {
        "goal": goal.name,
        "event_types": list(goal.event_types),
        "attribution_window": goal.attribution_window,
        "attribution_model": goal.attribution_model.value,
        "revenue": goal.revenue_metric or "_item_price x _quantity",
        "currency": goal.currency,
    }


def _by(rows: Iterable[Mapping[str, Any]], **wanted: Any) -> list[Mapping[str, Any]]:
    return [r for r in rows if all(r.get(k) == v for k, v in wanted.items())]


class ConversionService:
    """Conversions of campaigns (module docstring).

    Parameters
    ----------
    query
        Runs the SQL.
    goals
        Resolves each campaign's goals.
    campaigns
        The campaigns' runs, which bound the days read; without it every day is read.
    clock
        The time windows are judged complete against.
    """

    def __init__(
        self,
        query: AnalyticsQuery,
        goals: GoalService,
        campaigns: CampaignRepository | None = None,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._query = query
        self._goals = goals
        self._campaigns = campaigns
        self._clock = clock

    # -- the query --------------------------------------------------------------------

    def bounds(
        self,
        campaign_ids: Sequence[str],
        goals: Sequence[ConversionGoal],
        since: date | None = None,
        until: date | None = None,
    ) -> ScanBounds:
        """The days to read for these campaigns: their send days (or ``since``/``until``
        when given) and the longest goal window around them."""
        window = _max_window(goals)
        days: tuple[date, date] | None = None
        if self._campaigns is not None and (since is None or until is None):
            today = self._clock().astimezone(UTC).date()
            found = [send_days(self._campaigns.list_runs(c), today) for c in campaign_ids]
            spans = [span for span in found if span is not None]
            if spans and len(spans) == len(campaign_ids):
                days = (min(s for s, _ in spans), max(u for _, u in spans))
        start = since or (days[0] if days else None)
        end = until or (days[1] if days else None)
        if start is None or end is None:
            bounds = ScanBounds.everything()
            start = start or bounds.send_since
            end = end or bounds.send_until
        return ScanBounds.around(start, end, window)

    def rows(
        self,
        goals: Sequence[MeasuredGoal],
        bounds: ScanBounds,
        conversions_ms: tuple[int, int] = ALL_TIME_MS,
    ) -> list[dict[str, Any]]:
        """The rows of the conversions query for ``goals`` (every section and grain)."""
        return self._query.rows(conversions_query(goals), bounds.parameters(conversions_ms))

    # -- one campaign -----------------------------------------------------------------

    def campaign_conversions(
        self,
        campaign_id: str,
        *,
        since: date | None = None,
        until: date | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> dict[str, Any]:
        """Every conversion figure of one campaign, per goal: attributed (totals, per
        treatment, the holdout, per run, per day), the holdout experiment (treated
        against holdout, each treatment against it, per run) and the A/B comparison.

        ``since``/``until`` bound the days the campaign sent on (default: from its runs).
        """
        resolved = self._goals.resolve(campaign_id)
        goals = list(resolved.goals.goals)
        measured = [MeasuredGoal(CAMPAIGN, campaign_id, goal) for goal in goals]
        bounds = self.bounds([campaign_id], goals, since, until)
        rows = self.rows(measured, bounds)
        now_ms = int(self._clock().timestamp() * 1000)
        return {
            "campaign_id": campaign_id,
            "goals_scope": resolved.scope,
            "goals_version": resolved.version,
            "scanned_days": {
                "from": bounds.touch_since.isoformat(),
                "until": bounds.event_until.isoformat(),
            },
            "goals": [
                self._goal_figures(
                    goal, [r for r in rows if r["goal"] == goal.name], now_ms, confidence
                )
                for goal in goals
            ],
        }

    @staticmethod
    def _goal_figures(
        goal: ConversionGoal,
        rows: Sequence[Mapping[str, Any]],
        now_ms: int,
        confidence: float,
    ) -> dict[str, Any]:
        attribution = _by(rows, section="attribution")
        experiment = _by(rows, section="experiment")
        treated = _by(attribution, grain="arm", arm="treated")
        held = _by(attribution, grain="arm", arm="holdout")
        treatments = sorted(
            (
                {"treatment_id": r["variant"], **attribution_metrics(r)}
                for r in _by(attribution, grain="variant", arm="treated")
            ),
            key=lambda t: str(t["treatment_id"]),
        )
        runs = sorted(
            (
                {"run_id": r["run_id"], **attribution_metrics(r)}
                for r in _by(attribution, grain="run", arm="treated")
            ),
            key=lambda r: str(r["run_id"]),
        )
        # By whole days after the message (the calendar days are the KPIs'): how soon
        # people convert, the same whatever the time of day the campaign went out.
        days_after = sorted(
            (
                {"arm": r["arm"], "days_after_message": int(r["days_after"]), **day_metrics(r)}
                for r in _by(attribution, grain="days_after")
            ),
            key=lambda d: (d["days_after_message"], d["arm"]),
        )
        whole = _by(experiment, run_id="")
        ends = [int(r["window_end_ms"]) for r in whole if r.get("window_end_ms") is not None]
        window_end = max(ends) if ends else None
        return {
            **_goal_description(goal),
            "window_end": _iso_ms(window_end) if window_end is not None else None,
            "window_complete": window_end is not None and now_ms >= window_end,
            "attributed": attribution_metrics(treated[0]) if treated else attribution_metrics({}),
            "treatments": treatments,
            "holdout": attribution_metrics(held[0]) if held else None,
            "runs": runs,
            "days_after_message": days_after,
            "incrementality": ConversionService._experiment(whole, experiment, confidence),
            "ab_test": ab_test(
                "conversion_rate",
                [
                    Contender(str(r["variant"]), int(r["converted_endpoints"]), int(r["endpoints"]))
                    for r in _by(whole, grain="variant")
                    if r["variant"] != HOLDOUT
                ],
                confidence,
            ),
        }

    @staticmethod
    def _experiment(
        whole: Sequence[Mapping[str, Any]],
        experiment: Sequence[Mapping[str, Any]],
        confidence: float,
    ) -> dict[str, Any]:
        arms = {r["arm"]: Arm.of(r) for r in _by(whole, grain="arm")}
        treated, holdout = arms.get("treated"), arms.get("holdout")
        variants = {
            str(r["variant"]): Arm.of(r)
            for r in _by(whole, grain="variant")
            if r["variant"] != HOLDOUT
        }
        result: dict[str, Any] = {
            "treatments": [
                {"treatment_id": key, **arm.to_json()} for key, arm in sorted(variants.items())
            ]
        }
        if holdout is None or holdout.endpoints == 0:
            return {**result, "lift": None, "reason": "no holdout: no endpoint was held out"}
        if treated is None or treated.endpoints == 0:
            return {**result, "lift": None, "reason": "no endpoint was assigned a treatment"}
        result["lift"] = incrementality(treated, holdout, confidence)
        for entry in result["treatments"]:
            entry["lift"] = incrementality(variants[entry["treatment_id"]], holdout, confidence)[
                "conversion_rate_difference"
            ]
        per_run = []
        for run_id in sorted({str(r["run_id"]) for r in experiment if r["run_id"]}):
            run_arms = {r["arm"]: Arm.of(r) for r in _by(experiment, run_id=run_id, grain="arm")}
            t, h = run_arms.get("treated"), run_arms.get("holdout")
            if t is None or h is None or not t.endpoints or not h.endpoints:
                per_run.append({"run_id": run_id, "lift": None})
                continue
            lift = incrementality(t, h, confidence)
            per_run.append(
                {
                    "run_id": run_id,
                    "treated": lift["treated"],
                    "holdout": lift["holdout"],
                    "conversion_rate_difference": lift["conversion_rate_difference"],
                }
            )
        result["runs"] = per_run
        return result
