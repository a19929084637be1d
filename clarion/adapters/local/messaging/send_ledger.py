"""The send ledger in DuckDB: per (run, endpoint) records and per (campaign, endpoint)
send counts, the local SendLedger.

A claim is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE NOT claimed RETURNING``
statement, so it is atomic: two claimers of the same endpoint cannot both get it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.messaging.ledger import (
    IN_DOUBT_DETAIL,
    CapCount,
    LedgerOutcome,
    Reason,
    WarningTally,
)

TOTAL = "total"
# A record still in doubt: claimed without an outcome, or released as not seen.
_IN_DOUBT = "(reason = ? OR (reason = ? AND starts_with(coalesce(detail, ''), ?)))"
_IN_DOUBT_TARGET = (
    "(campaign_sends.reason = ? OR (campaign_sends.reason = ? "
    "AND starts_with(coalesce(campaign_sends.detail, ''), ?)))"
)


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaign_sends ("
        "run_id VARCHAR NOT NULL, endpoint_id VARCHAR NOT NULL, "
        "claimed BOOLEAN NOT NULL, reason VARCHAR NOT NULL, treatment_id VARCHAR, "
        "until_ms BIGINT, message_id VARCHAR, detail VARCHAR, warnings VARCHAR[], "
        "PRIMARY KEY (run_id, endpoint_id))"
    )
    # Homes made before rendering warnings were recorded.
    connection.execute("ALTER TABLE campaign_sends ADD COLUMN IF NOT EXISTS warnings VARCHAR[]")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS campaign_send_counts ("
        "campaign_id VARCHAR NOT NULL, endpoint_id VARCHAR NOT NULL, period VARCHAR NOT NULL, "
        "sends INTEGER NOT NULL, PRIMARY KEY (campaign_id, endpoint_id, period))"
    )


class DuckDBSendLedger:
    """SendLedger on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def claim(self, run_id: str, endpoint_ids: Sequence[str]) -> set[str]:
        if not endpoint_ids:
            return set()
        cursor = self._database.cursor()
        table = pa.table({"endpoint_id": pa.array(list(dict.fromkeys(endpoint_ids)))})
        cursor.register("claiming", table)
        try:
            rows = cursor.execute(
                "INSERT INTO campaign_sends (run_id, endpoint_id, claimed, reason) "
                "SELECT ?, endpoint_id, true, ? FROM claiming "
                "ON CONFLICT (run_id, endpoint_id) DO UPDATE SET claimed = true, "
                "reason = excluded.reason, until_ms = NULL, detail = NULL, warnings = NULL "
                "WHERE NOT campaign_sends.claimed "
                "RETURNING endpoint_id",
                [run_id, Reason.CLAIMED.value],
            ).fetchall()
        finally:
            cursor.unregister("claiming")
        return {endpoint_id for (endpoint_id,) in rows}

    def record_outcomes(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> None:
        if not outcomes:
            return
        final = (Reason.SENT, Reason.FAILED)
        claimer = [(k, v) for k, v in outcomes.items() if v.reason in final]
        other = [(k, v) for k, v in outcomes.items() if v.reason not in final]
        cursor = self._database.cursor()
        for rows, guard in ((claimer, ""), (other, "WHERE NOT campaign_sends.claimed ")):
            if not rows:
                continue
            table = pa.table(
                {
                    "endpoint_id": [k for k, _ in rows],
                    "claimed": [v.reason in (Reason.SENT, Reason.FAILED) for _, v in rows],
                    "reason": [v.reason.value for _, v in rows],
                    "treatment_id": pa.array([v.treatment_id for _, v in rows], pa.string()),
                    "until_ms": pa.array([v.until_ms for _, v in rows], pa.int64()),
                    "message_id": pa.array([v.message_id for _, v in rows], pa.string()),
                    "detail": pa.array([v.detail for _, v in rows], pa.string()),
                    "warnings": pa.array(
                        [list(v.warnings) or None for _, v in rows], pa.list_(pa.string())
                    ),
                }
            )
            cursor.register("outcomes_in", table)
            try:
                cursor.execute(
                    "INSERT INTO campaign_sends (run_id, endpoint_id, claimed, reason, "
                    "treatment_id, until_ms, message_id, detail, warnings) "
                    "SELECT ?, endpoint_id, claimed, reason, treatment_id, until_ms, "
                    "message_id, detail, warnings FROM outcomes_in "
                    "ON CONFLICT (run_id, endpoint_id) DO UPDATE SET "
                    "claimed = excluded.claimed, reason = excluded.reason, "
                    "treatment_id = excluded.treatment_id, until_ms = excluded.until_ms, "
                    "message_id = excluded.message_id, detail = excluded.detail, "
                    "warnings = excluded.warnings " + guard,
                    [run_id],
                )
            finally:
                cursor.unregister("outcomes_in")

    def outcomes(self, run_id: str, endpoint_ids: Sequence[str]) -> dict[str, LedgerOutcome]:
        if not endpoint_ids:
            return {}
        rows = (
            self._database.cursor()
            .execute(
                "SELECT endpoint_id, reason, treatment_id, until_ms, message_id, detail, "
                "warnings FROM campaign_sends WHERE run_id = ? AND list_contains(?, endpoint_id)",
                [run_id, list(endpoint_ids)],
            )
            .fetchall()
        )
        return {
            row[0]: LedgerOutcome(
                Reason(row[1]), row[2], row[3], row[4], row[5], tuple(row[6] or ())
            )
            for row in rows
        }

    def outcome_counts(self, run_id: str) -> dict[str, int]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT reason, count(*) FROM campaign_sends WHERE run_id = ? GROUP BY reason",
                [run_id],
            )
            .fetchall()
        )
        return {reason: int(count) for reason, count in rows}

    def warning_tally(self, run_id: str) -> WarningTally:
        cursor = self._database.cursor()
        row = cursor.execute(
            "SELECT count(*) FROM campaign_sends WHERE run_id = ? AND len(warnings) > 0",
            [run_id],
        ).fetchone()
        rows = cursor.execute(
            "SELECT warning, count(*) FROM (SELECT unnest(warnings) AS warning "
            "FROM campaign_sends WHERE run_id = ?) GROUP BY warning",
            [run_id],
        ).fetchall()
        return WarningTally(int(row[0]) if row else 0, {key: int(n) for key, n in rows})

    def deferred(self, run_id: str, due_by_ms: int) -> list[str]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT endpoint_id FROM campaign_sends WHERE run_id = ? AND NOT claimed "
                "AND starts_with(reason, 'DEFERRED_') AND until_ms <= ? ORDER BY endpoint_id",
                [run_id, due_by_ms],
            )
            .fetchall()
        )
        return [endpoint_id for (endpoint_id,) in rows]

    def in_doubt(self, run_id: str) -> dict[str, LedgerOutcome]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT endpoint_id, reason, treatment_id, until_ms, message_id, detail "
                "FROM campaign_sends WHERE run_id = ? AND " + _IN_DOUBT + " ORDER BY endpoint_id",
                [run_id, Reason.CLAIMED.value, Reason.FAILED.value, IN_DOUBT_DETAIL],
            )
            .fetchall()
        )
        return {
            row[0]: LedgerOutcome(Reason(row[1]), row[2], row[3], row[4], row[5]) for row in rows
        }

    def resolve_in_doubt(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> set[str]:
        if not outcomes:
            return set()
        rows = list(outcomes.items())
        table = pa.table(
            {
                "endpoint_id": [k for k, _ in rows],
                "reason": [v.reason.value for _, v in rows],
                "treatment_id": pa.array([v.treatment_id for _, v in rows], pa.string()),
                "message_id": pa.array([v.message_id for _, v in rows], pa.string()),
                "detail": pa.array([v.detail for _, v in rows], pa.string()),
            }
        )
        cursor = self._database.cursor()
        cursor.register("resolving", table)
        try:
            # One statement: the guard and the write are atomic per row.
            written = cursor.execute(
                "UPDATE campaign_sends SET claimed = true, reason = resolving.reason, "
                "treatment_id = coalesce(resolving.treatment_id, campaign_sends.treatment_id), "
                "message_id = coalesce(resolving.message_id, campaign_sends.message_id), "
                "detail = resolving.detail FROM resolving "
                "WHERE campaign_sends.run_id = ? "
                "AND campaign_sends.endpoint_id = resolving.endpoint_id AND "
                + _IN_DOUBT_TARGET
                + " RETURNING campaign_sends.endpoint_id",
                [run_id, Reason.CLAIMED.value, Reason.FAILED.value, IN_DOUBT_DETAIL],
            ).fetchall()
        finally:
            cursor.unregister("resolving")
        return {endpoint_id for (endpoint_id,) in written}

    def cap_counts(
        self, campaign_id: str, endpoint_ids: Sequence[str], day: str
    ) -> dict[str, CapCount]:
        if not endpoint_ids:
            return {}
        rows = (
            self._database.cursor()
            .execute(
                "SELECT endpoint_id, "
                "coalesce(max(sends) FILTER (WHERE period = ?), 0), "
                "coalesce(max(sends) FILTER (WHERE period = ?), 0) "
                "FROM campaign_send_counts WHERE campaign_id = ? "
                "AND list_contains(?, endpoint_id) AND period IN (?, ?) GROUP BY endpoint_id",
                [day, TOTAL, campaign_id, list(endpoint_ids), day, TOTAL],
            )
            .fetchall()
        )
        return {row[0]: CapCount(int(row[1]), int(row[2])) for row in rows}

    def add_sends(self, campaign_id: str, endpoint_ids: Sequence[str], day: str) -> None:
        if not endpoint_ids:
            return
        ids = list(endpoint_ids)
        table = pa.table(
            {
                "endpoint_id": ids + ids,
                "period": [day] * len(ids) + [TOTAL] * len(ids),
            }
        )
        cursor = self._database.cursor()
        cursor.register("sends_in", table)
        try:
            cursor.execute(
                "INSERT INTO campaign_send_counts "
                "SELECT ?, endpoint_id, period, count(*) FROM sends_in "
                "GROUP BY endpoint_id, period "
                "ON CONFLICT (campaign_id, endpoint_id, period) DO UPDATE SET "
                "sends = campaign_send_counts.sends + excluded.sends",
                [campaign_id],
            )
        finally:
            cursor.unregister("sends_in")
