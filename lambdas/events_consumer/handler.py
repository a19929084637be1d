"""The events stream consumer: real-time effects and campaign triggers.

Triggered by the events Kinesis stream (batches, ``ReportBatchItemFailures``, bisect on
error, an on-failure destination). Each record (a normalised Pinpoint record, or a raw
SES, SMS v2 or PutEvents payload put there directly) is decoded and normalised; its
effects are applied to the endpoints table (OptOut, EndpointStatus, metrics, recency)
and new records are handed to the campaign engine's trigger. Firehose writes the lake
from the same stream, so this function never writes events itself.

A record that cannot be read is dead-lettered with the reason and counts as processed
(retrying would not fix it). A record whose processing raises (DynamoDB throttling, the
trigger failing) is reported in ``batchItemFailures``, so Lambda retries it and what
follows it, and bisects the batch to isolate it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.domain.errors import FieldProblem
from clarion.domain.event_normalise import normalise_payload
from clarion.domain.event_rows import DERIVED_STREAM_KEYS
from clarion.domain.events import Normalised, Reject
from lambdas._runtime import LazyBootstrap, powertools, process_kinesis_batch

logger, tracer, metrics = powertools()

# Event type → CloudWatch metric the dashboard plots (the same counts as the Athena
# views; these are at-least-once, the views are exact).
DASHBOARD_METRICS = {
    "_email.send": "EmailSent",
    "_email.delivered": "EmailDelivered",
    "_email.open": "EmailOpened",
    "_email.click": "EmailClicked",
    "_email.hardbounce": "EmailBounced",
    "_email.softbounce": "EmailBounced",
    "_email.complaint": "EmailComplained",
    "_email.unsubscribe": "EmailUnsubscribed",
    "_SMS.BUFFERED": "SmsSent",
    "_SMS.SUCCESS": "SmsDelivered",
    "_SMS.FAILURE": "SmsFailed",
    "_SMS.OPTOUT": "SmsOptOut",
    "_campaign.send": "CampaignSends",
}

bootstrap = LazyBootstrap()


def _decode(record: KinesisStreamRecord) -> Normalised:
    boot = bootstrap()
    payload_info = record.kinesis
    sequence = payload_info.sequence_number
    arrival = round(float(payload_info.approximate_arrival_timestamp) * 1000)
    try:
        payload: Any = json.loads(payload_info.data_as_bytes())
    except (ValueError, TypeError) as exc:
        problem = FieldProblem("kinesis.data", f"is not base64 JSON: {exc}")
        return Normalised([], [Reject("kinesis", None, sequence, (problem,), record.raw_event)])
    if isinstance(payload, dict) and "event_type" in payload:
        # A line written by Clarion's stream sink: drop the table-only derived keys.
        payload = {k: v for k, v in payload.items() if k not in DERIVED_STREAM_KEYS}
    return normalise_payload(
        payload,
        app_id=boot.app_id,
        arrival_timestamp=arrival,
        record_id=sequence,
    )


@tracer.capture_method
def record_handler(record: KinesisStreamRecord) -> dict[str, Any]:
    """Process one stream record; raises only for failures worth retrying."""
    normalised = _decode(record)
    result = bootstrap().event_consumer_service.process(normalised, origin="kinesis")
    for event in result.records:
        name = DASHBOARD_METRICS.get(event.event_type)
        if name:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="EventsProcessed", unit=MetricUnit.Count, value=result.accepted)
    if result.rejected:
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=len(result.rejected))
        logger.warning(
            "records dead-lettered",
            extra={"rejects": [str(r) for r in result.rejected], "at": result.dead_letters},
        )
    effects = result.effects
    if effects.opted_out:
        metrics.add_metric(
            name="OptOutsApplied", unit=MetricUnit.Count, value=len(effects.opted_out)
        )
    if effects.inactivated:
        metrics.add_metric(
            name="EndpointsInactivated", unit=MetricUnit.Count, value=len(effects.inactivated)
        )
    if effects.unresolved:
        logger.warning("effects not applied", extra={"unresolved": effects.unresolved})
    return result.to_json()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_kinesis_batch(event, record_handler, context)
