"""The journeys' consumer of the events stream.

Triggered by the events Kinesis stream beside the events consumer (which applies the
real-time effects): each record is decoded and normalised, and new records go to the
journey trigger only: a record meeting an event condition of a participant's current
entry is kept on the participant and moves one waiting at that split at once; a record
matching an EventStartCondition offers its endpoint to the journey. A journey failure
here never delays opt-outs, which the events consumer applies on its own.

An unreadable record is dead-lettered (and counts as processed); a record whose
processing raises is reported in ``batchItemFailures``, retried and bisected. Journey
moves are compare-and-set writes and messages are claimed before delivery, so a retried
record moves and sends nothing twice.
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
counts = MetricCounts(metrics, "journey_events")

bootstrap = LazyBootstrap()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: KinesisStreamRecord) -> dict[str, Any]:
    """Process one stream record; raises only for failures worth retrying."""
    result = bootstrap().journey_stream_consumer.consume(stream_record(record))
    counts.count("processed", result.accepted)
    if result.rejected:
        counts.count("rejected", len(result.rejected))
    return {"accepted": result.accepted, "stored": result.stored}


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
