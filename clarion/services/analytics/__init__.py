"""Analytics use cases: campaign metrics, Pinpoint's date-range KPIs and event counts
from the one SQL source, and the campaign report (HTML with PNG charts)."""

from clarion.services.analytics.kpis import KPIS, KpiService, kpi_names, kpi_sql
from clarion.services.analytics.reports import ReportService
from clarion.services.analytics.service import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    AnalyticsService,
    campaign_metrics_sql,
)

__all__ = [
    "COUNT_COLUMNS",
    "KPIS",
    "RATE_COLUMNS",
    "AnalyticsService",
    "KpiService",
    "ReportService",
    "campaign_metrics_sql",
    "kpi_names",
    "kpi_sql",
]
