"""The scoring consumer of the posts stream: sentiment, author matching, trigger rules.

Triggered by the posts Kinesis stream (batches, ``ReportBatchItemFailures``, bisect on
error, an on-failure destination). The whole batch goes through
``PostStreamService.score`` in one call, so Comprehend sees it in batches of 25 (one
record at a time would cost a call a post); then Powertools' BatchProcessor reports,
record by record, what failed.

- A record that is not a valid post is dead-lettered with the reasons and counts as
  processed (a retry would not fix it).
- A post already processed (same platform and post id: a replay, or the same post put
  twice) is skipped: the service's dedupe store claims each post with a conditional write
  before any effect, and triggered sends are idempotent by TraceId in the sends ledger.
  This is the function's idempotency; Powertools Idempotency is not used (it would key
  on the Kinesis record, not on the post, and add a second table).
- A post whose effects failed, or a batch whose scoring failed (Comprehend throttled past
  the client's retries), is reported in ``batchItemFailures``; its claim is released, so
  the retry processes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes import KinesisStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas._runtime import LazyBootstrap, MetricCounts, batch_response, powertools, stream_record

if TYPE_CHECKING:
    from clarion.services.sentiment import StreamScoring

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "score_posts")

bootstrap = LazyBootstrap()


def _report(scoring: StreamScoring) -> None:
    """The batch's counts and logs."""
    run = scoring.run
    if run is None:
        logger.error(
            "scoring the batch failed; every post will be retried", exc_info=scoring.failure
        )
        counts.count("batches_failed", 1)
        return
    for status, count in run.summary().items():
        if count:
            counts.count_in("post_statuses", status, count)
    counts.count("rules_fired", sum(len(o.rules_fired) for o in run.outcomes))
    if scoring.rejects:
        logger.warning(
            "posts dead-lettered",
            extra={"rejects": [r.for_log() for r in scoring.rejects], "at": run.dead_letters},
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = [stream_record(record) for record in KinesisStreamEvent(event).records]
    scoring = bootstrap().post_stream_service.score(records)
    _report(scoring)
    failures = {sequence: f"post at {sequence} not processed" for sequence in scoring.failed()}
    return batch_response(event, "KinesisDataStreams", failures, context)
