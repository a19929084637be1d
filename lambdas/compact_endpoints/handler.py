"""Daily compaction of the endpoint change feed into a new snapshot (Athena).

Triggered by a schedule (EventBridge; the event carries nothing the run needs). Runs
the statement the stack passes in ``CLARION_COMPACTION_SQL`` (from
``clarion/resources/sql/audience/compact_endpoints.sql``) with the run's time, in epoch
milliseconds, as the new ``endpoint_snapshot`` partition
(``EndpointCompactionService``). The ``endpoint_latest`` view then reads that snapshot
and only the changes since. Then, and only then, the change objects older than
``CLARION_CHANGE_RETENTION_DAYS`` are deleted (a snapshot holds them). A failed or
timed-out query, a previous snapshot older than the change table shows, or a failed
deletion raises, so the scheduled invocation is retried, alarmed and, in the end, lands
in the dead-letter queue.

Returns ``{"snapshot_ms", "query_execution_id", "expired_changes"}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas._runtime import LazyBootstrap, powertools

# Stop waiting this long before Lambda's own timeout, to report the query id.
TIMEOUT_MARGIN_S = 30.0

logger, tracer, _ = powertools()  # publishes no metrics

bootstrap = LazyBootstrap()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    remaining_s = context.get_remaining_time_in_millis() / 1000 - TIMEOUT_MARGIN_S
    result = bootstrap().endpoint_compaction_service.compact(timeout_s=max(remaining_s, 1.0))
    logger.info(
        "Snapshot written",
        extra={
            "snapshot_ms": result.snapshot_ms,
            "query_id": result.query_execution_id,
            "expired_changes": result.expired_changes,
        },
    )
    return result.to_json()
