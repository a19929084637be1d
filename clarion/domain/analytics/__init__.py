"""Analytics, the pure rules: conversion goals (their model and their SQL), and the
conversion figures (attribution, incrementality, A/B) computed from query rows.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
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
        journey_scope,
        parse_duration,
        validate_goals,
    )

_HOMES: dict[str, str] = {
    "Arm": "clarion.domain.analytics.conversions",
    "AttributionModel": "clarion.domain.analytics.goals",
    "Contender": "clarion.domain.analytics.conversions",
    "ConversionGoal": "clarion.domain.analytics.goals",
    "ConversionGoals": "clarion.domain.analytics.goals",
    "DEFAULT_GOALS": "clarion.domain.analytics.goals",
    "MeasuredGoal": "clarion.domain.analytics.goal_sql",
    "PROJECT_SCOPE": "clarion.domain.analytics.goals",
    "ab_test": "clarion.domain.analytics.conversions",
    "attribution_metrics": "clarion.domain.analytics.conversions",
    "campaign_scope": "clarion.domain.analytics.goals",
    "check_scope": "clarion.domain.analytics.goals",
    "day_metrics": "clarion.domain.analytics.conversions",
    "event_condition": "clarion.domain.analytics.goal_sql",
    "fill_conversions_query": "clarion.domain.analytics.goal_sql",
    "goal_filter_sql": "clarion.domain.analytics.goal_sql",
    "goals_identity": "clarion.domain.analytics.goals",
    "goals_relation_sql": "clarion.domain.analytics.goal_sql",
    "incrementality": "clarion.domain.analytics.conversions",
    "journey_scope": "clarion.domain.analytics.goals",
    "parse_duration": "clarion.domain.analytics.goals",
    "validate_goals": "clarion.domain.analytics.goals",
}

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
    "journey_scope",
    "parse_duration",
    "validate_goals",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
