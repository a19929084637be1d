"""The events stream consumer: real-time effects and campaign triggers.

Triggered by the events Kinesis stream (batches, ``ReportBatchItemFailures``, bisect on
error, an on-failure destination). Each record (a normalised Pinpoint record, or a raw
SES, SMS v2 or PutEvents payload put there directly) goes through
``EventStreamConsumer.consume``: decoded and normalised, its effects applied to the
endpoints table (OptOut, EndpointStatus, metrics, recency) and new records handed to
the campaign engine's trigger. Firehose writes the lake from the same stream, so this
function never writes events itself.

A record that cannot be read is dead-lettered with the reason and counts as processed
(retrying would not fix it). A record whose processing raises (DynamoDB throttling, the
trigger failing) is reported in ``batchItemFailures``, so Lambda retries it and what
follows it, and bisects the batch to isolate it.

Metrics: the dashboard's counts per event type (at-least-once; the Athena views are
exact) and the consumer's own counts, named in the metrics contract.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas._runtime import LazyBootstrap, MetricCounts, powertools, stream_record

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "events_consumer")

bootstrap = LazyBootstrap()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: KinesisStreamRecord) -> dict[str, Any]:
    """Process one stream record; raises only for failures worth retrying."""
    result = bootstrap().event_stream_consumer.consume(stream_record(record))
    for event in result.records:
        counts.count_in("event_types", event.event_type, 1)
    counts.count("processed", result.accepted)
    if result.rejected:
        counts.count("rejected", len(result.rejected))
        logger.warning(
            "records dead-lettered",
            extra={"rejects": [r.for_log() for r in result.rejected], "at": result.dead_letters},
        )
    effects = result.effects
    if effects.opted_out:
        counts.count("opted_out", len(effects.opted_out))
    if effects.inactivated:
        counts.count("inactivated", len(effects.inactivated))
    if effects.unresolved:
        # Ids, causes and reasons only: the address an effect could not resolve stays
        # out of the logs.
        unresolved = [{k: u.get(k) for k in ("event_id", "cause")} for u in effects.unresolved]
        logger.warning("effects not applied", extra={"unresolved": unresolved})
    return result.to_json()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.KinesisDataStreams),
        context=context,
    )
    return dict(response)
