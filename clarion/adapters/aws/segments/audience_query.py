"""Segment SQL on Athena: the ``aws`` AudienceQuery, and a general query runner for the
other jobs that read the lake (compaction, churn features, analytics)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from clarion.adapters.aws.common.project_keys import PROJECT_KEY
from clarion.domain.audience.rows import COLUMN_NAMES
from clarion.domain.segments.sql import tally_sql

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
# GetQueryResults returns at most this many rows a call.
RESULTS_PAGE_SIZE = 1000


class AthenaQueryError(RuntimeError):
    """An Athena query ended FAILED or CANCELLED, or did not finish in time."""

    def __init__(self, query_execution_id: str, state: str, reason: str) -> None:
        self.query_execution_id = query_execution_id
        self.state = state
        self.reason = reason
        super().__init__(f"Athena query {query_execution_id} {state}: {reason}")


class AthenaAudienceQuery:
    """Runs Trino SQL on Athena and reads the results.

    Parameters
    ----------
    client
        A boto3 Athena client.
    workgroup
        The workgroup queries run in (its settings give the result location and limits).
    database
        The Glue database unqualified table names resolve in.
    output_location
        ``s3://`` prefix for results; only needed when the workgroup does not set one.
    timeout_s
        How long to wait for one query before stopping it.
    sleep
        Called between status polls (tests pass a no-op).
    """

    def __init__(
        self,
        client: Any,
        workgroup: str,
        database: str,
        output_location: str | None = None,
        *,
        timeout_s: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        project_prefix: str | None = None,
    ) -> None:
        self._project_prefix = project_prefix
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._output_location = output_location
        self._timeout_s = timeout_s
        self._sleep = sleep

    # -- the port ----------------------------------------------------------------------

    def count(self, sql: str) -> int:
        """Rows the query selects, counted by Athena (only one number comes back)."""
        query_id = self.execute(f"SELECT count(*) FROM ({sql})")
        rows = list(self.results(query_id))
        if len(rows) != 1 or not rows[0] or rows[0][0] is None:
            raise AthenaQueryError(query_id, "SUCCEEDED", f"expected one count, got {rows!r}")
        return int(rows[0][0])

    def endpoint_ids(self, sql: str) -> Iterator[str]:
        """The first column of each row, streamed page by page."""
        for row in self.rows(sql):
            if row[0] is not None:
                yield row[0]

    def scope(self, sql: str) -> str:
        """``sql`` over the project's endpoints only (module docstring of
        ``profile_store``: another project's keys carry its prefix). ``endpoints`` is
        shadowed by a WITH query of the same name over the database's table: the default
        project's rows are those without a project prefix; another project's are those
        with its prefix, read without it."""
        table = f'"{self._database}"."endpoints"'
        if self._project_prefix is None:
            body = f"SELECT * FROM {table} WHERE NOT starts_with(id, '{PROJECT_KEY}')"
        else:
            prefix = self._project_prefix.replace("'", "''")
            others = ", ".join(name for name in COLUMN_NAMES if name != "id")
            body = (
                f"SELECT substr(id, {len(self._project_prefix) + 1}) AS id, {others} "
                f"FROM {table} WHERE starts_with(id, '{prefix}')"
            )
        return f"WITH endpoints AS ({body}) SELECT * FROM ({sql})"

    def tally(self, sql: str, conditions: Sequence[str]) -> tuple[int, list[int]]:
        """One Athena query: the audience's size and each condition's count."""
        query_id = self.execute(tally_sql(sql, conditions))
        rows = list(self.results(query_id))
        if len(rows) != 1 or len(rows[0]) != len(conditions) + 1 or rows[0][0] is None:
            raise AthenaQueryError(
                query_id, "SUCCEEDED", f"expected one row of counts, got {rows!r}"
            )
        return int(rows[0][0]), [int(value or 0) for value in rows[0][1:]]

    # -- general queries -----------------------------------------------------------------

    def execute(self, sql: str) -> str:
        """Run a statement to completion; returns its query execution id.

        Raises
        ------
        AthenaQueryError
            When the query fails or is cancelled (with Athena's reason), or runs past the
            timeout (it is then stopped).
        """
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self._database},
            "WorkGroup": self._workgroup,
        }
        if self._output_location:
            request["ResultConfiguration"] = {"OutputLocation": self._output_location}
        query_id: str = self._client.start_query_execution(**request)["QueryExecutionId"]
        self._wait(query_id)
        return query_id

    def rows(self, sql: str) -> Iterator[tuple[str | None, ...]]:
        """Run a query and yield its rows (values as Athena's strings; NULL as None)."""
        query_id = self.execute(sql)
        yield from self.results(query_id)

    def run(self, sql: str) -> list[tuple[str | None, ...]]:
        """Run a query and return all its rows."""
        return list(self.rows(sql))

    def results(self, query_id: str) -> Iterator[tuple[str | None, ...]]:
        """The rows of a finished query, without the header row."""
        paginator = self._client.get_paginator("get_query_results")
        first = True
        for page in paginator.paginate(
            QueryExecutionId=query_id, PaginationConfig={"PageSize": RESULTS_PAGE_SIZE}
        ):
            rows = page.get("ResultSet", {}).get("Rows", [])
            if first and rows:
                # For SELECT, Athena repeats the column names as the first row of page one.
                rows = rows[1:]
            first = False
            for row in rows:
                yield tuple(datum.get("VarCharValue") for datum in row.get("Data", []))

    def _wait(self, query_id: str) -> None:
        deadline = time.monotonic() + self._timeout_s
        delay = 0.2
        while True:
            status = self._client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"][
                "Status"
            ]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in TERMINAL_STATES:
                reason = status.get("StateChangeReason") or "no reason given"
                raise AthenaQueryError(query_id, state, reason)
            if time.monotonic() >= deadline:
                self._client.stop_query_execution(QueryExecutionId=query_id)
                raise AthenaQueryError(
                    query_id, "TIMED_OUT", f"still {state} after {self._timeout_s:g} s; stopped"
                )
            self._sleep(delay)
            # Most segment queries finish in seconds; long ones need not be polled fast.
            delay = min(delay * 1.5, 5.0)
