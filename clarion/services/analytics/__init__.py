"""Analytics use cases: campaign metrics and event counts from the one SQL source,
conversions (goals, attribution, the holdout experiment, A/B), Pinpoint's date-range
KPIs, and the campaign report (HTML with PNG charts).

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    "APPLICATION_KPIS": "clarion.services.analytics.kpis",
    "AnalyticsService": "clarion.services.analytics.service",
    "CAMPAIGN_KPIS": "clarion.services.analytics.kpis",
    "COUNT_COLUMNS": "clarion.services.analytics.service",
    "CampaignMetrics": "clarion.services.analytics.service",
    "ConversionService": "clarion.services.analytics.conversions",
    "GoalService": "clarion.services.analytics.goals",
    "KpiService": "clarion.services.analytics.kpis",
    "MESSAGE_KPIS": "clarion.services.analytics.message_kpis",
    "MessageKpis": "clarion.services.analytics.message_kpis",
    "RATE_COLUMNS": "clarion.services.analytics.service",
    "ReportService": "clarion.services.analytics.reports",
    "ResolvedGoals": "clarion.services.analytics.goals",
    "ScanBounds": "clarion.services.analytics.conversions",
    "campaign_metrics_sql": "clarion.services.analytics.service",
    "message_kpi_names": "clarion.services.analytics.message_kpis",
    "message_kpi_sql": "clarion.services.analytics.message_kpis",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
