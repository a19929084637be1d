"""The local AnalyticsQuery (DuckDB)."""

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery, bind

__all__ = ["DuckDBAnalyticsQuery", "bind"]
