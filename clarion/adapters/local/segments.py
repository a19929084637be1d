"""Segments in DuckDB: the local SegmentRepository.

Each version of a segment is one row holding its SegmentResponse JSON. Members of
imported segments live in ``imported_segment_members``, the relation segment SQL reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import duckdb
import pyarrow as pa

from clarion.adapters.local.database import LocalDatabase, schema
from clarion.domain.errors import NotFoundError

# Imports can add millions of members: write them in slices, not one giant list.
_MEMBER_BATCH = 50_000


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS segments ("
        "id VARCHAR NOT NULL, version INTEGER NOT NULL, document VARCHAR NOT NULL, "
        "PRIMARY KEY (id, version))"
    )
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

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        segment_id = segment.get("Id")
        version = segment.get("Version")
        if not isinstance(segment_id, str) or not isinstance(version, int):
            raise ValueError("a stored segment needs a string Id and an integer Version")
        document = json.dumps(dict(segment), separators=(",", ":"), ensure_ascii=False)
        self._database.cursor().execute(
            "INSERT INTO segments VALUES (?, ?, ?) "
            "ON CONFLICT (id, version) DO UPDATE SET document = excluded.document",
            [segment_id, version, document],
        )

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        cursor = self._database.cursor()
        if version is None:
            row = cursor.execute(
                "SELECT document FROM segments WHERE id = ? ORDER BY version DESC LIMIT 1",
                [segment_id],
            ).fetchone()
            key = segment_id
        else:
            row = cursor.execute(
                "SELECT document FROM segments WHERE id = ? AND version = ?",
                [segment_id, version],
            ).fetchone()
            key = f"{segment_id} version {version}"
        if row is None:
            raise NotFoundError("segment", key)
        document: dict[str, Any] = json.loads(row[0])
        return document

    def list_segments(self) -> list[dict[str, Any]]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT document FROM segments "
                "QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1 "
                "ORDER BY id"
            )
            .fetchall()
        )
        return [json.loads(document) for (document,) in rows]

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
