"""Journey metrics in Pinpoint's operations, and explain.

=======================================  ===================================================
Pinpoint operation                       method → response
=======================================  ===================================================
GetJourneyExecutionMetrics               ``execution_metrics`` → JourneyExecutionMetricsResponse
GetJourneyExecutionActivityMetrics       ``execution_activity_metrics`` →
                                         JourneyExecutionActivityMetricsResponse
GetJourneyRuns                           ``runs`` → JourneyRunsResponse
GetJourneyRunExecutionMetrics            ``run_execution_metrics`` →
                                         JourneyRunExecutionMetricsResponse
GetJourneyRunExecutionActivityMetrics    ``run_execution_activity_metrics`` →
                                         JourneyRunExecutionActivityMetricsResponse
GetJourneyDateRangeKpi                   ``date_range_kpi`` → JourneyDateRangeKpiResponse
=======================================  ===================================================

Execution metrics come from the engine's counters (exact, written with every move);
engagement KPIs from the events (``journey_engagement.sql``, Athena on AWS, DuckDB
locally). :meth:`JourneyReports.explain` answers "why didn't this endpoint enter or
advance?" for any endpoint id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.journeys.conditions import evaluate, evaluate_simple
from clarion.domain.journeys.durations import iso, parse_instant, to_ms
from clarion.domain.journeys.engine import PreparedJourney
from clarion.domain.journeys.explain import explain
from clarion.domain.journeys.metrics import activity_metrics, journey_metrics
from clarion.domain.journeys.model import (
    ConditionalSplitActivity,
    JourneyResponse,
    MultiConditionalSplitActivity,
    validate_journey_response,
)
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.audience import ProfileStore
from clarion.ports.journeys import JourneyRepository, ParticipantStore
from clarion.resources import read_text
from clarion.services.journeys.engine import BatchMembership, JourneyAudience, utc_now
from clarion.services.journeys.service import page, page_size
from clarion.services.journeys.ticks import run_response

# GetJourneyDateRangeKpi's journey KPIs: name -> (column of journey_engagement.sql,
# grouped by activity).
_KPIS: dict[str, tuple[str, bool]] = {}
for _column in (
    "emails_sent",
    "emails_delivered",
    "emails_opened",
    "emails_clicked",
    "emails_hardbounced",
    "emails_softbounced",
    "emails_complained",
    "emails_rejected",
    "emails_unsubscribed",
):
    _words = _column.replace("_", "-")
    _KPIS[f"journey-{_words}"] = (_column, False)
    _KPIS[f"{_words}-grouped-by-journey-activity"] = (_column, True)
KPI_NAMES = tuple(sorted(_KPIS))
DEFAULT_KPI_DAYS = 31


@cache
def journey_engagement_sql() -> str:
    return (
        f"SELECT * FROM ({read_text('sql/analytics/journey_engagement.sql')}) AS engagement "
        "WHERE journey_id = :journey_id AND day >= :start_day AND day <= :end_day"
    )


def _value_key(column: str) -> str:
    return "".join(part.capitalize() for part in column.split("_"))


class JourneyReports:
    """Journey metrics and explain (module docstring)."""

    def __init__(
        self,
        repository: JourneyRepository,
        participants: ParticipantStore,
        profiles: ProfileStore,
        audience: JourneyAudience,
        analytics: AnalyticsQuery | None = None,
        *,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._participants = participants
        self._profiles = profiles
        self._audience = audience
        self._analytics = analytics
        self.app_id = app_id
        self._clock = clock

    def _journey(self, journey_id: str, application_id: str | None) -> JourneyResponse:
        journey = validate_journey_response(self._repository.get_journey(journey_id))
        if journey.application_id != (application_id or self.app_id):
            raise NotFoundError("journey", journey_id)
        return journey

    def _evaluated(self, journey_id: str) -> str:
        control = self._repository.get_control(journey_id)
        return str(control.get("LastEvaluatedTime") or iso(self._clock()))

    def _activity(self, journey: JourneyResponse, activity_id: str) -> Any:
        activity = (journey.activities or {}).get(activity_id)
        if activity is None:
            raise NotFoundError("journey activity", activity_id)
        return activity

    def _run(self, journey_id: str, run_id: str) -> dict[str, Any]:
        return self._repository.get_run(journey_id, run_id)

    # -- execution metrics ------------------------------------------------------------

    def execution_metrics(
        self, journey_id: str, application_id: str | None = None
    ) -> dict[str, Any]:
        """GetJourneyExecutionMetrics: the journey's counts across its runs."""
        journey = self._journey(journey_id, application_id)
        counters = self._participants.counters(journey.id)
        return {
            "ApplicationId": journey.application_id,
            "JourneyId": journey.id,
            "LastEvaluatedTime": self._evaluated(journey.id),
            "Metrics": journey_metrics(counters),
        }

    def execution_activity_metrics(
        self, journey_id: str, activity_id: str, application_id: str | None = None
    ) -> dict[str, Any]:
        """GetJourneyExecutionActivityMetrics: one activity's counts across runs.
        Raises NotFoundError for an activity the journey does not have."""
        journey = self._journey(journey_id, application_id)
        activity = self._activity(journey, activity_id)
        counters = self._participants.counters(journey.id)
        return {
            "ActivityType": activity.type.metric_type,
            "ApplicationId": journey.application_id,
            "JourneyActivityId": activity_id,
            "JourneyId": journey.id,
            "LastEvaluatedTime": self._evaluated(journey.id),
            "Metrics": activity_metrics(activity_id, activity, counters),
        }

    def runs(
        self,
        journey_id: str,
        application_id: str | None = None,
        page_size_value: str | int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """GetJourneyRuns: the journey's runs, newest first, ``PageSize`` at a time."""
        journey = self._journey(journey_id, application_id)
        runs = [run_response(run) for run in reversed(self._repository.list_runs(journey.id))]
        items, following = page(runs, page_size(page_size_value), token)
        response: dict[str, Any] = {"Item": items}
        if following:
            response["NextToken"] = following
        return response

    def run_execution_metrics(
        self, journey_id: str, run_id: str, application_id: str | None = None
    ) -> dict[str, Any]:
        """GetJourneyRunExecutionMetrics: one run's counts."""
        journey = self._journey(journey_id, application_id)
        self._run(journey.id, run_id)
        counters = self._participants.counters(journey.id)
        return {
            "ApplicationId": journey.application_id,
            "JourneyId": journey.id,
            "LastEvaluatedTime": self._evaluated(journey.id),
            "Metrics": journey_metrics(counters, run_id),
            "RunId": run_id,
        }

    def run_execution_activity_metrics(
        self,
        journey_id: str,
        run_id: str,
        activity_id: str,
        application_id: str | None = None,
    ) -> dict[str, Any]:
        """GetJourneyRunExecutionActivityMetrics: one activity's counts in one run."""
        journey = self._journey(journey_id, application_id)
        activity = self._activity(journey, activity_id)
        self._run(journey.id, run_id)
        counters = self._participants.counters(journey.id)
        return {
            "ActivityType": activity.type.metric_type,
            "ApplicationId": journey.application_id,
            "JourneyActivityId": activity_id,
            "JourneyId": journey.id,
            "LastEvaluatedTime": self._evaluated(journey.id),
            "Metrics": activity_metrics(activity_id, activity, counters, run_id),
            "RunId": run_id,
        }

    # -- engagement KPIs --------------------------------------------------------------

    def date_range_kpi(
        self,
        journey_id: str,
        kpi_name: str,
        application_id: str | None = None,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
    ) -> dict[str, Any]:
        """GetJourneyDateRangeKpi: one of Pinpoint's journey engagement metrics
        (``journey-emails-opened``, ``emails-opened-grouped-by-journey-activity``...)
        over a date range (by default the 31 days to now), from the events.

        Raises
        ------
        InvalidRecordError
            An unknown KpiName, or a range whose StartTime is after its EndTime.
        """
        journey = self._journey(journey_id, application_id)
        if kpi_name not in _KPIS:
            raise InvalidRecordError(
                [FieldProblem("KpiName", f"{kpi_name!r} is not one of {', '.join(KPI_NAMES)}")]
            )
        if self._analytics is None:
            raise RuntimeError("journey KPIs need the analytics query")
        end = _instant(end_time) if end_time else self._clock()
        start = _instant(start_time) if start_time else end - timedelta(days=DEFAULT_KPI_DAYS)
        if start > end:
            raise InvalidRecordError([FieldProblem("StartTime", "must not be after EndTime")])
        column, grouped = _KPIS[kpi_name]
        rows = self._analytics.rows(
            journey_engagement_sql(),
            {
                "journey_id": journey.id,
                "start_day": start.date().isoformat(),
                "end_day": end.date().isoformat(),
            },
        )
        totals: dict[str, int] = {}
        for row in rows:
            key = str(row.get("journey_activity_id") or "") if grouped else ""
            totals[key] = totals.get(key, 0) + int(row.get(column) or 0)
        value_key = _value_key(column)
        result_rows: list[dict[str, Any]]
        if grouped:
            result_rows = [
                {
                    "GroupedBys": [{"Key": "JourneyActivityId", "Type": "String", "Value": key}],
                    "Values": [{"Key": value_key, "Type": "Double", "Value": str(count)}],
                }
                for key, count in sorted(totals.items())
            ]
        else:
            result_rows = [
                {
                    "GroupedBys": [],
                    "Values": [
                        {"Key": value_key, "Type": "Double", "Value": str(totals.get("", 0))}
                    ],
                }
            ]
        return {
            "ApplicationId": journey.application_id,
            "EndTime": iso(end),
            "JourneyId": journey.id,
            "KpiName": kpi_name,
            "KpiResult": {"Rows": result_rows},
            "StartTime": iso(start),
        }

    # -- explain ----------------------------------------------------------------------

    def explain(
        self,
        journey_id: str,
        endpoint_id: str,
        application_id: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Why this endpoint did or did not enter, and where it is or why it stopped:
        its path (each step's conditions and their results), its waits, the caps and
        windows that stopped a message, its earlier entries and refusals."""
        journey = self._journey(journey_id, application_id)
        prepared = PreparedJourney(journey)
        moment = now or self._clock()
        participant = self._participants.get(journey.id, [endpoint_id]).get(endpoint_id)
        endpoint = self._profiles.get_endpoint(endpoint_id)
        membership = BatchMembership(self._audience, journey, [endpoint_id])
        checks: tuple[Any, ...] = ()
        if participant is not None and participant.is_active and participant.activity:
            settings = prepared.activities[participant.activity].settings
            if isinstance(settings, ConditionalSplitActivity) and settings.condition:
                checks = evaluate(
                    participant.activity,
                    settings.condition,
                    participant,
                    membership,
                    participant.deadline,
                ).checks
            elif isinstance(settings, MultiConditionalSplitActivity):
                checks = tuple(
                    evaluate_simple(
                        f"{participant.activity}/b{index}",
                        branch.condition,
                        participant,
                        membership,
                        participant.deadline,
                    )
                    for index, branch in enumerate(settings.branches or [])
                    if branch.condition is not None
                )
        in_segment = self._start_membership(journey, endpoint_id)
        return explain(
            prepared,
            endpoint_id,
            participant,
            endpoint,
            to_ms(moment),
            current_checks=checks,
            in_start_segment=in_segment,
        )

    def _start_membership(self, journey: JourneyResponse, endpoint_id: str) -> bool | None:
        start = journey.start_condition
        segment_id = None
        if start and start.segment_start_condition:
            segment_id = start.segment_start_condition.segment_id
        elif start and start.event_start_condition and start.event_start_condition.segment_id:
            segment_id = start.event_start_condition.segment_id
        if segment_id is None:
            return None
        try:
            return endpoint_id in self._audience.members_among(segment_id, [endpoint_id])
        except NotFoundError:
            return None


def metrics_map(values: Mapping[str, str]) -> dict[str, int]:
    """A Metrics map's values as numbers (for printing)."""
    return {name: int(value) for name, value in values.items()}


def _instant(value: str | datetime) -> datetime:
    """A range bound: an ISO-8601 string (the CLI) or a datetime (the API's timestamp)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_instant(value)
