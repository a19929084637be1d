"""Analytics, the pure rules: conversion goals (their model and their SQL), and the
conversion figures (attribution, incrementality, A/B) computed from query rows."""

from clarion.domain.analytics.conversions import (
    Arm,
    Contender,
    ab_test,
    attribution_metrics,
    day_metrics,
    incrementality,
)
from clarion.domain.analytics.goal_sql import (
    MeasuredGoal,
    event_condition,
    fill_conversions_query,
    goal_filter_sql,
    goals_relation_sql,
)
from clarion.domain.analytics.goals import (
    DEFAULT_GOALS,
    PROJECT_SCOPE,
    AttributionModel,
    ConversionGoal,
    ConversionGoals,
    campaign_scope,
    check_scope,
    goals_identity,
    parse_duration,
    validate_goals,
)

__all__ = [
    "DEFAULT_GOALS",
    "PROJECT_SCOPE",
    "Arm",
    "AttributionModel",
    "Contender",
    "ConversionGoal",
    "ConversionGoals",
    "MeasuredGoal",
    "ab_test",
    "attribution_metrics",
    "campaign_scope",
    "check_scope",
    "day_metrics",
    "event_condition",
    "fill_conversions_query",
    "goal_filter_sql",
    "goals_identity",
    "goals_relation_sql",
    "incrementality",
    "parse_duration",
    "validate_goals",
]
