"""Journeys: CreateJourney, GetJourney, UpdateJourney, UpdateJourneyState,
DeleteJourney, ListJourneys, and their metrics (GetJourneyExecutionMetrics,
GetJourneyExecutionActivityMetrics, GetJourneyRuns, GetJourneyRunExecutionMetrics,
GetJourneyRunExecutionActivityMetrics, GetJourneyDateRangeKpi).

The journey services answer in botocore's shapes already; each operation passes the
request's members to one call. (Metrics come in one page: a journey's counts are one
map, so ``PageSize`` and ``NextToken`` of the metrics operations have nothing to page.)
"""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("CreateJourney")
def create_journey(call: Call) -> dict[str, Any]:
    """A WriteJourneyRequest stored as a DRAFT (or ACTIVE when its State says so)."""
    return call.project().journey_service.create_journey(
        call.body("WriteJourneyRequest"), call.app_id
    )


@operation("GetJourney")
def get_journey(call: Call) -> dict[str, Any]:
    """The journey, with its state."""
    return call.project().journey_service.get_journey(call.get("JourneyId"), call.app_id)


@operation("UpdateJourney")
def update_journey(call: Call) -> dict[str, Any]:
    """Replaces a journey's definition (refused for an ACTIVE journey's activities)."""
    return call.project().journey_service.update_journey(
        call.get("JourneyId"), call.body("WriteJourneyRequest"), call.app_id
    )


@operation("UpdateJourneyState")
def update_journey_state(call: Call) -> dict[str, Any]:
    """ACTIVE (publish or resume), PAUSED or CANCELLED."""
    return call.project().journey_service.update_journey_state(
        call.get("JourneyId"), call.body("JourneyStateRequest"), call.app_id
    )


@operation("DeleteJourney")
def delete_journey(call: Call) -> dict[str, Any]:
    """Deletes a journey, its runs and its participants' state."""
    return call.project().journey_service.delete_journey(call.get("JourneyId"), call.app_id)


@operation("ListJourneys")
def list_journeys(call: Call) -> dict[str, Any]:
    """The project's journeys; paged."""
    return call.project().journey_service.list_journeys(
        call.app_id, call.get("PageSize"), call.get("Token")
    )


@operation("GetJourneyExecutionMetrics")
def get_journey_execution_metrics(call: Call) -> dict[str, Any]:
    """The journey's counts across its runs (ENDPOINT_ENTERED, ENDPOINT_LEFT...)."""
    return call.project().journey_reports.execution_metrics(call.get("JourneyId"), call.app_id)


@operation("GetJourneyExecutionActivityMetrics")
def get_journey_execution_activity_metrics(call: Call) -> dict[str, Any]:
    """One activity's counts across runs, by its type's metrics."""
    return call.project().journey_reports.execution_activity_metrics(
        call.get("JourneyId"), call.get("JourneyActivityId"), call.app_id
    )


@operation("GetJourneyRuns")
def get_journey_runs(call: Call) -> dict[str, Any]:
    """The journey's runs, newest first; paged."""
    return call.project().journey_reports.runs(
        call.get("JourneyId"), call.app_id, call.get("PageSize"), call.get("Token")
    )


@operation("GetJourneyRunExecutionMetrics")
def get_journey_run_execution_metrics(call: Call) -> dict[str, Any]:
    """One run's counts."""
    return call.project().journey_reports.run_execution_metrics(
        call.get("JourneyId"), call.get("RunId"), call.app_id
    )


@operation("GetJourneyRunExecutionActivityMetrics")
def get_journey_run_execution_activity_metrics(call: Call) -> dict[str, Any]:
    """One activity's counts in one run."""
    return call.project().journey_reports.run_execution_activity_metrics(
        call.get("JourneyId"), call.get("RunId"), call.get("JourneyActivityId"), call.app_id
    )


@operation("GetJourneyDateRangeKpi")
def get_journey_date_range_kpi(call: Call) -> dict[str, Any]:
    """A journey engagement KPI over a date range (``journey-emails-opened``...)."""
    return call.project().journey_reports.date_range_kpi(
        call.get("JourneyId"),
        call.get("KpiName"),
        call.app_id,
        call.get("StartTime"),
        call.get("EndTime"),
    )
