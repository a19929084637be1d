"""The local analytics adapters: the AnalyticsQuery (DuckDB) and the ConversionGoalStore."""

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery, bind
from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore

__all__ = ["DuckDBAnalyticsQuery", "DuckDBConversionGoalStore", "bind"]
