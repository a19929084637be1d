"""The AWS EndpointCompactor: the compaction statement the stack configures
(``clarion/resources/sql/audience/compact_endpoints.sql``, rendered), run on Athena
with the snapshot's time as the new ``endpoint_snapshot`` partition."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery, AthenaQueryError

SNAPSHOT_PLACEHOLDER = "{snapshot_ms}"
DEFAULT_TIMEOUT_S = 600.0

logger = Logger(child=True)


def compaction_statement(template: str, snapshot_ms: int) -> str:
    """The compaction SQL for one run.

    Raises
    ------
    ValueError
        When the template has no ``{snapshot_ms}`` placeholder (a misconfigured stack).
    """
    if SNAPSHOT_PLACEHOLDER not in template:
        raise ValueError(f"the compaction SQL has no {SNAPSHOT_PLACEHOLDER} placeholder")
    return template.replace(SNAPSHOT_PLACEHOLDER, str(int(snapshot_ms)))


class AthenaEndpointCompactor:
    """EndpointCompactor running the configured statement on Athena.

    Parameters
    ----------
    client
        A boto3 Athena client.
    statement
        The compaction SQL with a ``{snapshot_ms}`` placeholder.
    workgroup, database, output_location
        Where the statement runs (as for :class:`AthenaAudienceQuery`).
    sleep
        Called between status polls (tests pass a no-op).
    """

    def __init__(
        self,
        client: Any,
        statement: str,
        *,
        workgroup: str,
        database: str,
        output_location: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._statement = statement
        self._workgroup = workgroup
        self._database = database
        self._output_location = output_location
        self._sleep = sleep

    def compact(self, snapshot_ms: int, *, timeout_s: float | None = None) -> str:
        """Raises ``ValueError`` for a statement without the placeholder and
        ``AthenaQueryError`` (logged with Athena's reason) when the query fails."""
        statement = compaction_statement(self._statement, snapshot_ms)
        # The wait is the caller's to bound (a Lambda stops short of its own timeout).
        athena = AthenaAudienceQuery(
            self._client,
            self._workgroup,
            self._database,
            self._output_location,
            timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
            sleep=self._sleep,
        )
        try:
            return athena.execute(statement)
        except AthenaQueryError as exc:
            logger.error(
                "Compaction query failed",
                extra={
                    "query_execution_id": exc.query_execution_id,
                    "state": exc.state,
                    "reason": exc.reason,
                    "snapshot_ms": snapshot_ms,
                },
            )
            raise
