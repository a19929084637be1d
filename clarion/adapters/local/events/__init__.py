"""Local event adapters: the DuckDB EventSink, the columnar ingestion of JSON lines and
the file DeadLetterSink."""

from clarion.adapters.local.events.columnar_ingest import DuckDBColumnarEventIngest
from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink
from clarion.adapters.local.events.event_sink import (
    ARROW_SCHEMA,
    DuckDBEventStore,
    duckdb_type,
    records_to_arrow,
    rows_to_arrow,
)

__all__ = [
    "ARROW_SCHEMA",
    "DuckDBColumnarEventIngest",
    "DuckDBEventStore",
    "FileDeadLetterSink",
    "duckdb_type",
    "records_to_arrow",
    "rows_to_arrow",
]
