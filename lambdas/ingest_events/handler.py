"""Event ingestion: PutEvents over HTTP, and the SES and SMS event destinations.

Three event shapes reach this function; each input is normalised and the records are put
on the events Kinesis stream (the consumer applies their effects; Firehose stores them):

- API Gateway (REST or HTTP API, proxy integration): a PutEvents body
  (``POST /v1/apps/{application-id}/events``). A body Pinpoint would refuse as a whole
  (not JSON, over 100 events, over 4 MB) gets 400 with the problems; otherwise 202 and
  Pinpoint's ``EventsResponse``, each event 202 Accepted or 400 with its reason.
- SNS notifications (SMS v2 event destinations, inbound two-way SMS, SES via SNS).
- EventBridge events (SES v2 and SMS v2 publish to the default bus).

Inputs that cannot be normalised are dead-lettered with the reason; nothing is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.domain.errors import FieldProblem
from clarion.domain.event_normalise import check_put_events_request, normalise_payload, now_ms
from clarion.domain.events import Normalised, Reject
from clarion.services.events import IngestResult
from lambdas._runtime import LazyBootstrap, api_body, bad_request, json_response, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()


def events_response(body: Mapping[str, Any], result: IngestResult) -> dict[str, Any]:
    """Pinpoint's EventsResponse for a PutEvents body, from what was accepted."""
    failures: dict[str, str] = {}
    for reject in result.rejected:
        if reject.record_id:
            failures[reject.record_id] = "; ".join(str(p) for p in reject.problems)
    results: dict[str, Any] = {}
    batch = body.get("BatchItem") or {}
    for endpoint_id, item in batch.items():
        events = item.get("Events") if isinstance(item, Mapping) else None
        items: dict[str, Any] = {}
        endpoint_failed = endpoint_id in failures
        for event_id in events or {}:
            reason = failures.get(f"{endpoint_id}/{event_id}")
            items[event_id] = (
                {"StatusCode": 400, "Message": reason}
                if reason
                else {"StatusCode": 202, "Message": "Accepted"}
            )
        endpoint_response = (
            {"StatusCode": 400, "Message": failures[endpoint_id]}
            if endpoint_failed
            else {"StatusCode": 202, "Message": "Accepted"}
        )
        results[endpoint_id] = {
            "EndpointItemResponse": endpoint_response,
            "EventsItemResponse": items,
        }
    return {"Results": results}


@tracer.capture_method
def handle_api(event: Mapping[str, Any]) -> dict[str, Any]:
    boot = bootstrap()
    service = boot.event_ingest_service
    app_id = (event.get("pathParameters") or {}).get("application-id") or boot.app_id
    raw = api_body(event)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = FieldProblem("(request)", f"is not JSON: {exc.msg}")
        reject = Reject("put_events", None, None, (problem,), raw)
        boot.dead_letter_sink.put_rejects([reject], origin="api")
        return bad_request(400, [problem])
    problems = check_put_events_request(body)
    result = service.put_events(body, origin="api", app_id=app_id)
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=result.accepted)
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=len(result.rejected))
    if problems:
        return bad_request(400, problems)
    return json_response(202, events_response(body, result))


def _payloads(event: Mapping[str, Any]) -> list[tuple[str | None, Any]]:
    """(record id, payload) of each delivery record an SNS or EventBridge event holds."""
    if isinstance(event.get("Records"), list):
        out: list[tuple[str | None, Any]] = []
        for record in event["Records"]:
            sns = record.get("Sns") if isinstance(record, Mapping) else None
            if not isinstance(sns, Mapping):
                out.append((None, record))
                continue
            try:
                out.append((sns.get("MessageId"), json.loads(sns.get("Message") or "")))
            except json.JSONDecodeError:
                out.append((sns.get("MessageId"), sns.get("Message")))
        return out
    return [(event.get("id"), event)]


@tracer.capture_method
def handle_delivery_events(event: Mapping[str, Any]) -> dict[str, Any]:
    boot = bootstrap()
    arrival = now_ms()
    records, rejects = [], []
    for index, (record_id, payload) in enumerate(_payloads(event)):
        one = normalise_payload(
            payload,
            app_id=boot.app_id,
            arrival_timestamp=arrival,
            index=index,
            record_id=record_id,
        )
        records.extend(one.records)
        rejects.extend(one.rejects)
    result = boot.event_ingest_service.process(Normalised(records, rejects), origin="delivery")
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=result.accepted)
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=len(result.rejected))
    if result.rejected:
        logger.warning(
            "records dead-lettered",
            extra={"rejects": [str(r) for r in result.rejected], "at": result.dead_letters},
        )
    return {"accepted": result.accepted, "rejected": len(result.rejected)}


def is_api_event(event: Mapping[str, Any]) -> bool:
    return "requestContext" in event and ("body" in event or "httpMethod" in event)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_api_event(event):
        return handle_api(event)
    return handle_delivery_events(event)
