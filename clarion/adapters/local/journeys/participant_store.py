"""Journey participants and counters in DuckDB: the local ParticipantStore.

A commit is one transaction: new records are inserted with ``ON CONFLICT DO NOTHING``,
changed ones updated ``WHERE version = expected``, both ``RETURNING`` what was written,
and the counters of exactly those changes added, so a change and its counters are
written together or not at all. Changes arrive as Arrow tables (one statement per
commit, not one per participant).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.journeys.participant import Participant, ParticipantChange
from clarion.ports.journeys import CommitResult, CounterKey


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS journey_participants ("
        "journey_id VARCHAR NOT NULL, endpoint_id VARCHAR NOT NULL, shard INTEGER NOT NULL, "
        "version INTEGER NOT NULL, status VARCHAR NOT NULL, due_at BIGINT, "
        "document VARCHAR NOT NULL, PRIMARY KEY (journey_id, endpoint_id))"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS journey_counters ("
        "journey_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, activity_id VARCHAR NOT NULL, "
        "metric VARCHAR NOT NULL, value BIGINT NOT NULL, "
        "PRIMARY KEY (journey_id, run_id, activity_id, metric))"
    )


def _dumps(participant: Participant) -> str:
    return json.dumps(participant.to_document(), separators=(",", ":"), ensure_ascii=False)


class DuckDBParticipantStore:
    """ParticipantStore on the embedded database (module docstring)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def get(self, journey_id: str, endpoint_ids: Sequence[str]) -> dict[str, Participant]:
        if not endpoint_ids:
            return {}
        cursor = self._database.cursor()
        cursor.register("wanted", pa.table({"endpoint_id": list(dict.fromkeys(endpoint_ids))}))
        try:
            rows = cursor.execute(
                "SELECT p.endpoint_id, p.document FROM journey_participants p "
                "JOIN wanted w ON p.endpoint_id = w.endpoint_id WHERE p.journey_id = ?",
                [journey_id],
            ).fetchall()
        finally:
            cursor.unregister("wanted")
        return {
            endpoint_id: Participant.from_document(json.loads(doc)) for endpoint_id, doc in rows
        }

    def due(self, journey_id: str, shard: int, due_by_ms: int, limit: int) -> list[Participant]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT document FROM journey_participants WHERE journey_id = ? AND shard = ? "
                "AND status = 'ACTIVE' AND due_at <= ? ORDER BY due_at, endpoint_id LIMIT ?",
                [journey_id, shard, due_by_ms, limit],
            )
            .fetchall()
        )
        return [Participant.from_document(json.loads(doc)) for (doc,) in rows]

    def commit(self, journey_id: str, changes: Sequence[ParticipantChange]) -> CommitResult:
        if not changes:
            return CommitResult()
        by_id = {change.endpoint_id: change for change in changes}
        if len(by_id) != len(changes):
            raise ValueError("a commit changes each participant at most once")
        new = [c for c in changes if c.expected == 0]
        old = [c for c in changes if c.expected != 0]
        cursor = self._database.cursor()
        applied: list[str] = []
        cursor.execute("BEGIN TRANSACTION")
        try:
            if new:
                cursor.register("new_in", self._table(new))
                try:
                    rows = cursor.execute(
                        "INSERT INTO journey_participants SELECT ?, endpoint_id, shard, version, "
                        "status, due_at, document FROM new_in ON CONFLICT DO NOTHING "
                        "RETURNING endpoint_id",
                        [journey_id],
                    ).fetchall()
                finally:
                    cursor.unregister("new_in")
                applied += [endpoint_id for (endpoint_id,) in rows]
            if old:
                cursor.register("old_in", self._table(old))
                try:
                    rows = cursor.execute(
                        "UPDATE journey_participants AS p SET version = c.version, "
                        "status = c.status, due_at = c.due_at, document = c.document "
                        "FROM old_in c WHERE p.journey_id = ? AND p.endpoint_id = c.endpoint_id "
                        "AND p.version = c.expected RETURNING p.endpoint_id",
                        [journey_id],
                    ).fetchall()
                finally:
                    cursor.unregister("old_in")
                applied += [endpoint_id for (endpoint_id,) in rows]
            totals: dict[CounterKey, int] = {}
            for endpoint_id in applied:
                for inc in by_id[endpoint_id].increments:
                    key = (inc.run_id, inc.activity, inc.metric)
                    totals[key] = totals.get(key, 0) + inc.value
            if totals:
                keys = list(totals)
                cursor.register(
                    "counts_in",
                    pa.table(
                        {
                            "run_id": [k[0] for k in keys],
                            "activity_id": [k[1] for k in keys],
                            "metric": [k[2] for k in keys],
                            "value": pa.array([totals[k] for k in keys], pa.int64()),
                        }
                    ),
                )
                try:
                    cursor.execute(
                        "INSERT INTO journey_counters SELECT ?, run_id, activity_id, metric, value "
                        "FROM counts_in ON CONFLICT DO UPDATE SET "
                        "value = journey_counters.value + excluded.value",
                        [journey_id],
                    )
                finally:
                    cursor.unregister("counts_in")
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        done = set(applied)
        return CommitResult(
            applied=[c.endpoint_id for c in changes if c.endpoint_id in done],
            conflicts=[c.endpoint_id for c in changes if c.endpoint_id not in done],
        )

    @staticmethod
    def _table(changes: Sequence[ParticipantChange]) -> pa.Table:
        participants = [change.participant for change in changes]
        return pa.table(
            {
                "endpoint_id": [p.endpoint_id for p in participants],
                "shard": pa.array([p.shard for p in participants], pa.int32()),
                "version": pa.array([p.version for p in participants], pa.int32()),
                "expected": pa.array([c.expected for c in changes], pa.int32()),
                "status": [p.status.value for p in participants],
                "due_at": pa.array(
                    [p.due_at if p.is_active else None for p in participants], pa.int64()
                ),
                "document": [_dumps(p) for p in participants],
            }
        )

    def counters(self, journey_id: str) -> dict[CounterKey, int]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT run_id, activity_id, metric, value FROM journey_counters "
                "WHERE journey_id = ?",
                [journey_id],
            )
            .fetchall()
        )
        return {(run, activity, metric): int(value) for run, activity, metric, value in rows}

    def delete(self, journey_id: str, endpoint_ids: Sequence[str] | None = None) -> int:
        cursor = self._database.cursor()
        if endpoint_ids is None:
            row = cursor.execute(
                "SELECT count(*) FROM journey_participants WHERE journey_id = ?", [journey_id]
            ).fetchone()
            cursor.execute("DELETE FROM journey_participants WHERE journey_id = ?", [journey_id])
            cursor.execute("DELETE FROM journey_counters WHERE journey_id = ?", [journey_id])
            return int(row[0]) if row else 0
        if not endpoint_ids:
            return 0
        rows = cursor.execute(
            "DELETE FROM journey_participants WHERE journey_id = ? "
            "AND list_contains(?, endpoint_id) RETURNING endpoint_id",
            [journey_id, list(endpoint_ids)],
        ).fetchall()
        return len(rows)
