"""Segments in DuckDB: the local SegmentRepository.

Each version of a segment is one row holding its SegmentResponse JSON. Members of
imported segments live in ``imported_segment_members``, the relation segment SQL reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import VersionedDocuments, create_versions_table
from clarion.domain.common.stored import version_identity

# Imports can add millions of members: write them in slices, not one giant list.
_MEMBER_BATCH = 50_000


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    create_versions_table(connection, "segments")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS imported_segment_members ("
        "segment_id VARCHAR NOT NULL, endpoint_id VARCHAR NOT NULL, "
        "PRIMARY KEY (segment_id, endpoint_id))"
    )


def _batches(values: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


class DuckDBSegmentRepository:
    """SegmentRepository on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database
        self._segments = VersionedDocuments(database, "segments", "segment")

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        self._segments.save(*version_identity("segment", segment), segment)

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        return self._segments.get(segment_id, version)

    def list_segment_versions(self, segment_id: str) -> list[dict[str, Any]]:
        return self._segments.versions(segment_id)

    def delete_segment(self, segment_id: str) -> None:
        self._segments.delete(segment_id)

    def list_segments(self) -> list[dict[str, Any]]:
        return self._segments.list_latest()

    def put_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        written = 0
        cursor = self._database.cursor()
        for batch in _batches(endpoint_ids, _MEMBER_BATCH):
            table = pa.table({"endpoint_id": pa.array(batch, type=pa.string())})
            cursor.register("incoming_members", table)
            try:
                # DISTINCT dedupes within the batch; the key dedupes against earlier ones.
                result = cursor.execute(
                    "INSERT OR IGNORE INTO imported_segment_members "
                    "SELECT DISTINCT ?, endpoint_id FROM incoming_members "
                    "WHERE endpoint_id IS NOT NULL",
                    [segment_id],
                ).fetchone()
            finally:
                cursor.unregister("incoming_members")
            written += int(result[0]) if result else 0
        return written
