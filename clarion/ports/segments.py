"""Ports of the segments feature: segment definitions and the audience query."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol


class SegmentRepository(Protocol):
    """Segment definitions (Pinpoint SegmentResponse JSON, versioned) and the members of
    imported segments."""

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        """Store one version of a segment (``Id`` and ``Version`` identify it)."""
        ...

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_segments(self) -> list[dict[str, Any]]:
        """The latest version of every segment."""
        ...

    def list_segment_versions(self, segment_id: str) -> list[dict[str, Any]]:
        """Every version of one segment, oldest first. Raises ``NotFoundError``."""
        ...

    def delete_segment(self, segment_id: str) -> None:
        """Remove every version of the segment. Raises ``NotFoundError``."""
        ...

    def put_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        """Add endpoint ids to an imported segment; returns how many were written."""
        ...


class AudienceQuery(Protocol):
    """Runs segment SQL (Trino dialect, as Athena speaks it) over the relations
    ``endpoints`` (latest version of each endpoint, columns in
    ``clarion.domain.audience.rows``) and ``imported_segment_members(segment_id,
    endpoint_id)``. The local adapter transpiles it to DuckDB."""

    def count(self, sql: str) -> int:
        """Rows of ``SELECT id FROM (...)``: the audience size."""
        ...

    def endpoint_ids(self, sql: str) -> Iterator[str]:
        """The ids the query selects (a query selecting one column, ``id``)."""
        ...

    def scope(self, sql: str) -> str:
        """``sql`` reading only the project's endpoints: unchanged where each project
        has its own database (locally); on AWS, where projects share the endpoint lake,
        ``endpoints`` is narrowed to the project's rows (their ids without the key
        prefix)."""

    def tally(self, sql: str, conditions: Sequence[str]) -> tuple[int, list[int]]:
        """The endpoints the query selects, and how many of them meet each condition
        (a Trino boolean expression over the ``endpoints`` columns), in one query
        (``clarion.domain.segments.sql.tally_sql``)."""
        ...
