"""Analytics: GetApplicationDateRangeKpi, GetCampaignDateRangeKpi."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


@operation("GetApplicationDateRangeKpi")
def get_application_date_range_kpi(call: Call) -> dict[str, Any]:
    """A KPI of the project over a date range (``email-open-rate``, ``txn-emails-sent``...)."""
    return call.project().kpi_service.application_date_range_kpi(
        call.app_id, call.get("KpiName"), call.get("StartTime"), call.get("EndTime")
    )


@operation("GetCampaignDateRangeKpi")
def get_campaign_date_range_kpi(call: Call) -> dict[str, Any]:
    """A KPI of one campaign over a date range."""
    return call.project().kpi_service.campaign_date_range_kpi(
        call.app_id,
        call.get("CampaignId"),
        call.get("KpiName"),
        call.get("StartTime"),
        call.get("EndTime"),
    )
