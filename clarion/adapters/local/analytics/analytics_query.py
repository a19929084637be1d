"""The local AnalyticsQuery: analytics SQL (Trino) transpiled to DuckDB and run over
the ``events`` table, named parameters bound by parsing the statement."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from clarion.adapters.local.audience import profile_store as _profiles  # noqa: F401  (creates `endpoints`)
from clarion.adapters.local.common.database import LocalDatabase


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def bind(sql: str, parameters: Mapping[str, Any] | None) -> exp.Expr:
    """Parse Trino SQL and replace ``:name`` placeholders with literals of the values."""
    tree = sqlglot.parse_one(sql, read="trino")
    if parameters:
        missing = {node.name for node in tree.find_all(exp.Placeholder) if node.name} - set(
            parameters
        )
        if missing:
            raise ValueError(f"no value for SQL parameter(s): {', '.join(sorted(missing))}")
        # A None value is NULL (replace_placeholders would leave its placeholder).
        values = {name: exp.null() if v is None else v for name, v in parameters.items()}
        tree = exp.replace_placeholders(tree, **values)
    elif any(tree.find_all(exp.Placeholder)):
        raise ValueError("the SQL has placeholders but no parameters were given")
    return tree


def plain_value(value: Any) -> Any:
    """A DuckDB value as the port gives it, as Athena's adapter does: decimals as float,
    dates and timestamps as Athena writes them (``2025-03-12``,
    ``2025-03-12 10:00:00.000``); anything else as it is."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(sep=" ", timespec="milliseconds")
        return value
    if isinstance(value, date):
        return value.isoformat()
    return value


class DuckDBAnalyticsQuery:
    """AnalyticsQuery on the embedded database (Trino SQL transpiled by sqlglot)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        text = bind(sql, parameters).sql("duckdb")
        cursor = self._database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute(text)
        description = cursor.description or []
        names = [column[0] for column in description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        # Only decimal and temporal columns need converting (see plain_value).
        converted = [
            name
            for name, kind, *_ in description
            if str(kind).startswith(("DECIMAL", "DATE", "TIMESTAMP"))
        ]
        if converted:
            for row in rows:
                for name in converted:
                    row[name] = plain_value(row[name])
        return rows
