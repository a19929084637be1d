"""Daily compaction of the endpoint change feed into a new snapshot (Athena).

Runs the statement the stack passes in ``CLARION_COMPACTION_SQL`` (from
``infra/sql/compact_endpoints.sql``) with the run's time, in epoch milliseconds, as the
new ``endpoint_snapshot`` partition. The ``endpoint_latest`` view then reads that
snapshot and only the changes since. A failed or timed-out query raises, so the
scheduled invocation is retried and, in the end, lands in the dead-letter queue.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.adapters.aws.audience import AthenaAudienceQuery, AthenaQueryError
from clarion.settings import AwsSettings

SQL_ENV = "CLARION_COMPACTION_SQL"
SNAPSHOT_PLACEHOLDER = "{snapshot_ms}"
# Stop waiting this long before Lambda's own timeout, to report the query id.
TIMEOUT_MARGIN_S = 30.0

logger = Logger()
tracer = Tracer()


@dataclass(frozen=True, slots=True)
class CompactionResult:
    snapshot_ms: int
    query_execution_id: str


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


def compact(athena: AthenaAudienceQuery, template: str, snapshot_ms: int) -> CompactionResult:
    """Write the snapshot ``snapshot_ms``; raises ``AthenaQueryError`` if Athena fails."""
    statement = compaction_statement(template, snapshot_ms)
    try:
        query_id = athena.execute(statement)
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
    logger.info("Snapshot written", extra={"snapshot_ms": snapshot_ms, "query_id": query_id})
    return CompactionResult(snapshot_ms=snapshot_ms, query_execution_id=query_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from clarion.adapters.aws.clients import make_client

    settings = AwsSettings.from_env()
    remaining_s = context.get_remaining_time_in_millis() / 1000 - TIMEOUT_MARGIN_S
    athena = AthenaAudienceQuery(
        make_client("athena", settings.region),
        workgroup=settings.athena_workgroup,
        database=settings.glue_database,
        output_location=settings.athena_output or None,
        timeout_s=max(remaining_s, 1.0),
    )
    result = compact(athena, os.environ[SQL_ENV], snapshot_ms=int(time.time() * 1000))
    return asdict(result)
