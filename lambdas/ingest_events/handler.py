"""Event ingestion: PutEvents over HTTP, and the SES and SMS event destinations.

Three event shapes reach this function; each input goes through ``EventIntakeService``,
which normalises it and puts the records on the events Kinesis stream (the consumer
applies their effects; Firehose stores them):

- API Gateway (REST or HTTP API, proxy integration): a PutEvents body
  (``POST /v1/apps/{application-id}/events``). A body Pinpoint would refuse as a whole
  (not JSON, over 100 events, over 4 MB) gets 400 with the problems; otherwise 202 and
  Pinpoint's ``EventsResponse``, each event 202 Accepted or 400 with its reason.
- SNS notifications (SMS v2 event destinations, inbound two-way SMS, SES via SNS).
- EventBridge events (SES v2 and SMS v2 publish to the default bus).

Inputs that cannot be normalised are dead-lettered with the reason; nothing is dropped.

The three shapes are read as the dicts they are (a body, path parameters, an SNS
message, an EventBridge id): Powertools' event-source data classes would wrap the same
keys, and their package imports every one of its thirty-odd event classes (about a
hundredth of a second of this function's cold import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.services.events import IngestResult
from lambdas._runtime import (
    LazyBootstrap,
    MetricCounts,
    api_body,
    bad_request,
    json_response,
    powertools,
)

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "ingest_events")

bootstrap = LazyBootstrap()


def _count(result: IngestResult) -> None:
    counts.count("accepted", result.accepted)
    counts.count("rejected", len(result.rejected))


@tracer.capture_method(capture_response=False, capture_error=False)
def handle_api(event: Mapping[str, Any]) -> dict[str, Any]:
    app_id = (event.get("pathParameters") or {}).get("application-id")
    outcome = bootstrap().event_intake_service.put_events(api_body(event), app_id=app_id)
    if outcome.result is not None:
        _count(outcome.result)
    if outcome.problems or outcome.response is None:
        return bad_request(400, outcome.problems)
    return json_response(202, outcome.response)


def _sns_payload(raw: Any) -> tuple[str | None, Any]:
    """(message id, decoded message) of one SNS record; anything else as it is."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("Sns"), Mapping):
        return None, raw
    sns = raw["Sns"]
    message = sns.get("Message")
    try:
        return sns.get("MessageId"), json.loads(message or "")
    except json.JSONDecodeError:
        return sns.get("MessageId"), message


def delivery_payloads(event: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """(record id, payload) of each delivery record an SNS or EventBridge event holds."""
    if isinstance(event.get("Records"), list):
        return [_sns_payload(raw) for raw in event["Records"]]
    return [(event.get("id"), event)]


@tracer.capture_method(capture_response=False, capture_error=False)
def handle_delivery_events(event: dict[str, Any]) -> dict[str, Any]:
    result = bootstrap().event_intake_service.ingest_delivery(delivery_payloads(event))
    _count(result)
    if result.rejected:
        logger.warning(
            "records dead-lettered",
            extra={"rejects": [r.for_log() for r in result.rejected], "at": result.dead_letters},
        )
    return {"accepted": result.accepted, "rejected": len(result.rejected)}


def is_api_event(event: Mapping[str, Any]) -> bool:
    return "requestContext" in event and ("body" in event or "httpMethod" in event)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_api_event(event):
        return handle_api(event)
    return handle_delivery_events(event)
