"""Conversion goals compiled to the SQL pieces of the conversions query.

``clarion/resources/sql/analytics/conversions.sql`` reads the goals being measured from
its ``goals`` relation (one row per source and goal: window, model, revenue metric,
currency) and finds their events with the boolean ``:goal_filter``. This module builds
both, in Trino SQL, from :class:`~clarion.domain.analytics.goals.ConversionGoal` s:

- ``goals_relation_sql``: ``SELECT * FROM (VALUES ...) AS g (source_kind, source_id,
  goal, window_ms, first_touch, revenue_metric, currency)``;
- ``goal_filter_sql``: one condition per goal, OR-ed, over ``g`` (that goals row) and
  ``e`` (the event): the goal's row, an event type it lists (those its FilterType lets
  through), and every attribute and metric dimension, with the EventFilter meanings
  Clarion's event-triggered campaigns use (:func:`~clarion.domain.campaigns.event_filter.
  event_filter_matches`): INCLUSIVE the value is listed, EXCLUSIVE it is not (an absent
  attribute is EXCLUSIVE), CONTAINS it contains a listed text, a metric compares with its
  ComparisonOperator (an absent metric never matches). Matching is case-sensitive.

User text reaches the SQL only as quoted literals (sqlglot escapes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from clarion.domain.analytics.goals import AttributionModel, ConversionGoal
from clarion.domain.segments.model import AttributeType
from clarion.domain.segments.sql import sql_number, sql_string

GOAL_COLUMNS = (
    "source_kind",
    "source_id",
    "goal",
    "window_ms",
    "first_touch",
    "revenue_metric",
    "currency",
)
_OPERATORS = {
    "GREATER_THAN": ">",
    "LESS_THAN": "<",
    "GREATER_THAN_OR_EQUAL": ">=",
    "LESS_THAN_OR_EQUAL": "<=",
    "EQUAL": "=",
}


@dataclass(frozen=True, slots=True)
class MeasuredGoal:
    """One goal of one source (a campaign; a journey later) being measured."""

    source_kind: str
    source_id: str
    goal: ConversionGoal


def _varchar(value: str | None) -> str:
    return "CAST(NULL AS varchar)" if value is None else f"CAST({sql_string(value)} AS varchar)"


def goals_relation_sql(goals: Sequence[MeasuredGoal]) -> str:
    """The ``goals`` relation of the conversions query."""
    if not goals:
        raise ValueError("no goals to measure")
    keys = [(m.source_kind, m.source_id, m.goal.name) for m in goals]
    if len(set(keys)) != len(keys):
        raise ValueError("a source names the same goal twice")
    rows = []
    for measured in goals:
        goal = measured.goal
        first = "TRUE" if goal.attribution_model == AttributionModel.FIRST_TOUCH else "FALSE"
        rows.append(
            "("
            + ", ".join(
                [
                    _varchar(measured.source_kind),
                    _varchar(measured.source_id),
                    _varchar(goal.name),
                    f"CAST({goal.window_ms} AS bigint)",
                    first,
                    _varchar(goal.revenue_metric),
                    _varchar(goal.currency),
                ]
            )
            + ")"
        )
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS g ({', '.join(GOAL_COLUMNS)})"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(sql_string(v) for v in values) + ")"


def event_condition(goal: ConversionGoal, event: str = "e") -> str:
    """The condition an event (alias ``event``) meets to be one of this goal's."""
    dimensions = goal.event_filter.dimensions
    parts = [f"{event}.event_type IN {_in_list(goal.event_types)}"]
    for name, attribute in sorted((dimensions.attributes or {}).items()):
        value = f"element_at({event}.attributes, {sql_string(name)})"
        kind = attribute.attribute_type or AttributeType.INCLUSIVE
        if kind == AttributeType.CONTAINS:
            test = " OR ".join(f"strpos({value}, {sql_string(t)}) > 0" for t in attribute.values)
            parts.append(f"COALESCE({test}, FALSE)")
        else:
            listed = f"COALESCE({value} IN {_in_list(attribute.values)}, FALSE)"
            parts.append(f"(NOT {listed})" if kind == AttributeType.EXCLUSIVE else listed)
    for name, metric in sorted((dimensions.metrics or {}).items()):
        operator = _OPERATORS[metric.comparison_operator]
        parts.append(
            f"COALESCE(element_at({event}.metrics, {sql_string(name)}) {operator} "
            f"{sql_number(metric.value)}, FALSE)"
        )
    return " AND ".join(parts)


def goal_filter_sql(goals: Sequence[MeasuredGoal], *, row: str = "g", event: str = "e") -> str:
    """``:goal_filter``: the event is one of the goals row's goal."""
    if not goals:
        raise ValueError("no goals to measure")
    conditions = [
        f"({row}.source_kind = {sql_string(m.source_kind)} AND {row}.source_id = "
        f"{sql_string(m.source_id)} AND {row}.goal = {sql_string(m.goal.name)} AND "
        f"{event_condition(m.goal, event)})"
        for m in goals
    ]
    return "(" + " OR ".join(conditions) + ")"


def fill_conversions_query(sql: str, goals: Sequence[MeasuredGoal]) -> str:
    """The conversions query (``sql``, the text of conversions.sql) measuring ``goals``:
    its ``goals`` relation replaced by theirs and ``:goal_filter`` by their conditions.
    The other placeholders are left for the AnalyticsQuery to bind."""
    tree = sqlglot.parse_one(sql, read="trino")
    relation = next((c for c in tree.find_all(exp.CTE) if c.alias == "goals"), None)
    hook = next((p for p in tree.find_all(exp.Placeholder) if p.name == "goal_filter"), None)
    if relation is None or hook is None:
        raise ValueError("the conversions query has no goals relation or :goal_filter")
    relation.set("this", sqlglot.parse_one(goals_relation_sql(goals), read="trino"))
    hook.replace(sqlglot.parse_one(goal_filter_sql(goals), read="trino"))
    return tree.sql("trino", comments=False)


def within_period(sql: str) -> str:
    """``sql`` (Trino) reading only the events of a period: every ``events`` it reads
    becomes ``(SELECT * FROM events WHERE dt BETWEEN :period_since AND :period_until AND
    event_timestamp >= :period_from_ms AND event_timestamp < :period_to_ms)``, so a view
    such as campaign_metrics answers for a date range and Athena reads only its days."""
    tree = sqlglot.parse_one(sql, read="trino")
    for table in list(tree.find_all(exp.Table)):
        if table.name != "events" or table.db:
            continue
        alias = table.alias or "events"
        period = sqlglot.parse_one(
            "SELECT * FROM events WHERE dt BETWEEN :period_since AND :period_until "
            "AND event_timestamp >= :period_from_ms AND event_timestamp < :period_to_ms",
            read="trino",
        )
        table.replace(
            exp.Subquery(this=period, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        )
    return tree.sql("trino", comments=False)
