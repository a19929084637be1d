"""The AWS AnalyticsQuery (Athena)."""

from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery, bind_trino

__all__ = ["AthenaAnalyticsQuery", "bind_trino"]
