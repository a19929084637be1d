"""Local segment adapters: the DuckDB SegmentRepository and AudienceQuery."""

from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery, to_duckdb
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository

__all__ = ["DuckDBAudienceQuery", "DuckDBSegmentRepository", "to_duckdb"]
