"""The message governor's counts in DuckDB: the local MessageCounts.

Table ``message_counts (app_id, endpoint_id, period, sends)``: ``period`` is a UTC day
(``YYYY-MM-DD``) or ``total``. ``admit`` reads the counts of its endpoints, decides and
writes the increments in one transaction; DuckDB refuses a transaction that raced
another's write of the same rows, and the call is then made again on fresh counts, so
two admits can never both take an endpoint's last message.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.messaging.governor import EndpointCounts, GovernorCaps, verdict
from clarion.domain.messaging.ledger import Reason

TOTAL = "total"
_ATTEMPTS = 20


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS message_counts (app_id VARCHAR NOT NULL, "
        "endpoint_id VARCHAR NOT NULL, period VARCHAR NOT NULL, sends INTEGER NOT NULL, "
        "PRIMARY KEY (app_id, endpoint_id, period))"
    )


class DuckDBMessageCounts:
    """MessageCounts on the embedded database (module docstring)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def counts(self, app_id: str, endpoint_ids: Sequence[str]) -> dict[str, EndpointCounts]:
        return self._read(self._database.cursor(), app_id, endpoint_ids)

    @staticmethod
    def _read(
        cursor: duckdb.DuckDBPyConnection, app_id: str, endpoint_ids: Sequence[str]
    ) -> dict[str, EndpointCounts]:
        if not endpoint_ids:
            return {}
        rows = cursor.execute(
            "SELECT endpoint_id, period, sends FROM message_counts WHERE app_id = ? "
            "AND endpoint_id IN (SELECT unnest(?))",
            [app_id, list(endpoint_ids)],
        ).fetchall()
        found: dict[str, EndpointCounts] = {}
        for endpoint_id, period, sends in rows:
            counts = found.setdefault(endpoint_id, EndpointCounts())
            if period == TOTAL:
                counts.total = int(sends)
            else:
                counts.days[period] = int(sends)
        return found

    def admit(
        self, app_id: str, endpoint_ids: Sequence[str], caps: GovernorCaps, day: str
    ) -> dict[str, Reason | None]:
        ids = list(dict.fromkeys(endpoint_ids))
        if not ids:
            return {}
        for attempt in range(_ATTEMPTS):
            cursor = self._database.cursor()
            cursor.execute("BEGIN TRANSACTION")
            try:
                current = self._read(cursor, app_id, ids)
                verdicts = {i: verdict(caps, current.get(i, EndpointCounts()), day) for i in ids}
                admitted = [i for i, reason in verdicts.items() if reason is None]
                if admitted:
                    table = pa.table(
                        {
                            "endpoint_id": admitted + admitted,
                            "period": [day] * len(admitted) + [TOTAL] * len(admitted),
                        }
                    )
                    cursor.register("admitted", table)
                    cursor.execute(
                        "INSERT INTO message_counts SELECT ?, endpoint_id, period, 1 "
                        "FROM admitted ON CONFLICT (app_id, endpoint_id, period) "
                        "DO UPDATE SET sends = message_counts.sends + 1",
                        [app_id],
                    )
                    cursor.unregister("admitted")
                cursor.execute("COMMIT")
                return verdicts
            except duckdb.TransactionException:
                cursor.execute("ROLLBACK")
                if attempt == _ATTEMPTS - 1:
                    raise
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        raise AssertionError("unreachable")
