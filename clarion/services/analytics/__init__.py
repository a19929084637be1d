"""Analytics use cases: campaign metrics and event counts from the one SQL source, and
the campaign report (HTML with PNG charts)."""

from clarion.services.analytics.reports import ReportService
from clarion.services.analytics.service import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    AnalyticsService,
    campaign_metrics_sql,
)

__all__ = [
    "COUNT_COLUMNS",
    "RATE_COLUMNS",
    "AnalyticsService",
    "ReportService",
    "campaign_metrics_sql",
]
