"""Analytics SQL on Athena: the ``aws`` AnalyticsQuery.

Built on :class:`~clarion.adapters.aws.segments.audience_query.AthenaAudienceQuery`
(start, wait, page through results) by composition. Placeholders are bound as SQL
literals through sqlglot's parse tree, as locally, so the campaign id can never change
the statement; values come back typed from the result set's column metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery

_INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "bigint"})
_FLOAT_TYPES = frozenset({"double", "float", "real", "decimal"})


def bind_trino(sql: str, parameters: Mapping[str, Any] | None) -> str:
    """Trino SQL with ``:name`` placeholders replaced by literals of the values."""
    tree = sqlglot.parse_one(sql, read="trino")
    wanted = {node.name for node in tree.find_all(exp.Placeholder) if node.name}
    missing = wanted - set(parameters or {})
    if missing:
        raise ValueError(f"no value for SQL parameter(s): {', '.join(sorted(missing))}")
    if parameters:
        # A None value is NULL (replace_placeholders would leave its placeholder).
        values = {name: exp.null() if v is None else v for name, v in parameters.items()}
        tree = exp.replace_placeholders(tree, **values)
    return tree.sql("trino")


def _converter(athena_type: str) -> Callable[[str], Any]:
    kind = athena_type.lower()
    if kind in _INTEGER_TYPES:
        return int
    if kind in _FLOAT_TYPES:
        return float
    if kind == "boolean":
        return lambda text: text.lower() == "true"
    return str


class AthenaAnalyticsQuery:
    """AnalyticsQuery on Athena (same parameters as AthenaAudienceQuery)."""

    def __init__(self, client: Any, workgroup: str, database: str, **options: Any) -> None:
        self._client = client
        self._runner = AthenaAudienceQuery(client, workgroup, database, **options)

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        query_id = self._runner.execute(bind_trino(sql, parameters))
        first = self._client.get_query_results(QueryExecutionId=query_id, MaxResults=1)
        columns = first["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        names = [column["Name"] for column in columns]
        converters = [_converter(column.get("Type", "varchar")) for column in columns]
        out = []
        for row in self._runner.results(query_id):
            out.append(
                {
                    name: None if value is None else convert(value)
                    for name, convert, value in zip(names, converters, row, strict=False)
                }
            )
        return out
