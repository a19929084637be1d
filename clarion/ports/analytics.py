"""Ports of the analytics feature: analytics SQL over the events relation, and the
conversion goals."""

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


class ConversionGoalStore(Protocol):
    """Conversion goal documents, versioned, one series per scope (``project``,
    ``campaign:<id>``; ``journey:<id>`` for journeys): the definitions table on AWS, a
    DuckDB table locally.

    A document is the goals JSON (``{"Goals": [...]}``) plus ``Scope`` and ``Version``
    (a positive integer), which identify it.
    """

    def save_goals(self, document: Mapping[str, Any]) -> None:
        """Store one version; it becomes the latest unless a higher version is stored."""
        ...

    def get_goals(self, scope: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_goals(self) -> list[dict[str, Any]]:
        """The latest version of every scope's goals, ordered by scope."""
        ...
