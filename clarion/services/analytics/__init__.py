"""Analytics use cases: campaign metrics and event counts from the one SQL source,
conversions (goals, attribution, the holdout experiment, A/B), Pinpoint's date-range
KPIs, and the campaign report (HTML with PNG charts)."""

from clarion.services.analytics.conversions import ConversionService, ScanBounds
from clarion.services.analytics.goals import GoalService, ResolvedGoals
from clarion.services.analytics.kpis import APPLICATION_KPIS, CAMPAIGN_KPIS, KpiService
from clarion.services.analytics.message_kpis import (
    MESSAGE_KPIS,
    MessageKpis,
    message_kpi_names,
    message_kpi_sql,
)
from clarion.services.analytics.reports import ReportService
from clarion.services.analytics.service import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    AnalyticsService,
    CampaignMetrics,
    campaign_metrics_sql,
)

__all__ = [
    "APPLICATION_KPIS",
    "CAMPAIGN_KPIS",
    "COUNT_COLUMNS",
    "MESSAGE_KPIS",
    "RATE_COLUMNS",
    "AnalyticsService",
    "CampaignMetrics",
    "ConversionService",
    "GoalService",
    "KpiService",
    "MessageKpis",
    "ReportService",
    "ResolvedGoals",
    "ScanBounds",
    "campaign_metrics_sql",
    "message_kpi_names",
    "message_kpi_sql",
]
