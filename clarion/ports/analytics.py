"""Ports of the analytics feature: analytics SQL over the events relation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AnalyticsQuery(Protocol):
    """Runs analytics SQL (Trino dialect, as Athena speaks it) over the ``events``
    relation (columns in ``clarion/resources/contracts/events_columns.json`` plus ``dt``).

    Named placeholders (``:name``) are bound to the given values as SQL literals by
    parsing the statement, never by string formatting.
    """

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The result rows as dicts, values typed (int, float, str, None)."""
        ...
