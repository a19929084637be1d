"""The scoring consumer of the posts stream: sentiment, author matching, trigger rules.

Triggered by the posts Kinesis stream (batches, ``ReportBatchItemFailures``, bisect on
error, an on-failure destination). The whole batch goes through the sentiment service in
one call, so Comprehend sees it in batches of 25 (one record at a time would cost a call
a post); then Powertools' BatchProcessor reports, record by record, what failed.

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

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import Reject
from clarion.domain.social import SocialPost, parse_post
from lambdas._runtime import LazyBootstrap, powertools, process_kinesis_batch

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()
# Sequence number → what became of the record in the current invocation.
_statuses: dict[str, str] = {}


class PostNotProcessedError(RuntimeError):
    """Raised for a record to be retried (reported in batchItemFailures)."""


def _decode(records: list[dict[str, Any]]) -> tuple[dict[str, SocialPost], list[Reject]]:
    posts: dict[str, SocialPost] = {}
    rejects: list[Reject] = []
    for index, raw in enumerate(records):
        record = KinesisStreamRecord(raw)
        sequence = record.kinesis.sequence_number
        try:
            data = json.loads(record.kinesis.data_as_bytes())
        except (ValueError, TypeError) as exc:
            problem = FieldProblem("kinesis.data", f"is not base64 JSON: {exc}")
            rejects.append(Reject("social", index, sequence, (problem,), raw))
            continue
        try:
            posts[sequence] = parse_post(data)
        except InvalidRecordError as exc:
            rejects.append(Reject("social", index, sequence, tuple(exc.problems), data))
    return posts, rejects


@tracer.capture_method
def score_batch(event: dict[str, Any]) -> dict[str, str]:
    """Process every post of the event at once; returns each record's status."""
    records = list(event.get("Records") or [])
    posts, rejects = _decode(records)
    statuses = {str(r.record_id): "REJECTED" for r in rejects}
    try:
        run = bootstrap().sentiment_service.process(
            list(posts.values()), rejects=rejects, origin="kinesis"
        )
    except Exception:
        logger.exception("scoring the batch failed; every post will be retried")
        metrics.add_metric(name="SocialBatchesFailed", unit=MetricUnit.Count, value=1)
        statuses.update(dict.fromkeys(posts, "FAILED"))
        return statuses
    by_key: dict[str, str] = {}
    for outcome in run.outcomes:
        if outcome.status != "REJECTED" and "in this batch" not in outcome.problems:
            by_key[outcome.key] = outcome.status
    for sequence, post in posts.items():
        statuses[sequence] = by_key.get(post.key, "FAILED")
    for status in ("SCORED", "DUPLICATE", "REJECTED", "FAILED"):
        count = run.count(status)
        if count:
            metrics.add_metric(
                name=f"SocialPosts{status.title()}", unit=MetricUnit.Count, value=count
            )
    fired = sum(len(o.rules_fired) for o in run.outcomes)
    metrics.add_metric(name="SocialRulesFired", unit=MetricUnit.Count, value=fired)
    if rejects:
        logger.warning(
            "posts dead-lettered",
            extra={"rejects": [str(r) for r in rejects], "at": run.dead_letters},
        )
    return statuses


def record_handler(record: KinesisStreamRecord) -> str:
    """One record's outcome; raises for those to retry."""
    status = _statuses.get(record.kinesis.sequence_number, "FAILED")
    if status == "FAILED":
        raise PostNotProcessedError(f"post at {record.kinesis.sequence_number} not processed")
    return status


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _statuses.clear()
    _statuses.update(score_batch(event))
    return process_kinesis_batch(event, record_handler, context)
