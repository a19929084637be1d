"""The AWS analytics adapters: the AnalyticsQuery (Athena) and the ConversionGoalStore
(the DynamoDB definitions table)."""

from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery, bind_trino
from clarion.adapters.aws.analytics.goal_store import DynamoDBConversionGoalStore

__all__ = ["AthenaAnalyticsQuery", "DynamoDBConversionGoalStore", "bind_trino"]
