"""One batch of a campaign run: the Distributed Map's item processor.

Input, one row of the batched audience query (or of a resume pass) as the Map's
ItemSelector hands it over::

    {"RunId": "...", "InvocationRate": 50.0, "Batch": {"batch": "0", "ids": "[\\"e1\\", ...]"}}

An ItemBatcher-shaped input (``{"Items": [{"id": ...}, ...], "BatchInput": {"RunId":
...}}``) is accepted too. The batch goes through ``CampaignRunner.send_batch``, which
claims endpoints in the send ledger before delivering, so a retried invocation sends
nothing twice; infrastructure errors (DynamoDB, Kinesis) are raised so Step Functions
retries the batch. Afterwards the invocation is held to ``InvocationRate`` messages a
second (the campaign's MessagesPerSecond divided by the Map's concurrency).

Returns ``{"RunId", "Batch", "Endpoints", "Counts"}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.send_rate import pause_needed
from lambdas._runtime import LazyBootstrap, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()
sleep = time.sleep
monotonic = time.monotonic


def parse_batch(event: Mapping[str, Any]) -> tuple[str, str, list[str], float | None]:
    """(run id, batch label, endpoint ids, invocation rate) of a batch event.

    Raises InvalidRecordError naming the field at fault.
    """
    batch_input = event.get("BatchInput") or {}
    run_id = event.get("RunId") or batch_input.get("RunId")
    if not isinstance(run_id, str) or not run_id:
        raise InvalidRecordError([FieldProblem("RunId", "is required")])
    rate = event.get("InvocationRate", batch_input.get("InvocationRate"))
    if "Items" in event:
        items = event["Items"]
        if not isinstance(items, list):
            raise InvalidRecordError([FieldProblem("Items", "must be a list")])
        ids = [str(item["id"] if isinstance(item, Mapping) else item) for item in items]
        label = str(event.get("BatchLabel", ""))
    else:
        row = event.get("Batch")
        if not isinstance(row, Mapping) or "ids" not in row:
            raise InvalidRecordError([FieldProblem("Batch.ids", "is required")])
        try:
            decoded = json.loads(row["ids"]) if isinstance(row["ids"], str) else row["ids"]
        except ValueError as exc:
            raise InvalidRecordError([FieldProblem("Batch.ids", f"is not JSON: {exc}")]) from exc
        if not isinstance(decoded, list):
            raise InvalidRecordError([FieldProblem("Batch.ids", "must be a JSON array")])
        ids = [str(value) for value in decoded]
        label = str(row.get("batch", ""))
    try:
        invocation_rate = float(rate) if rate else None
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError([FieldProblem("InvocationRate", "must be a number")]) from exc
    return run_id, label, [i for i in ids if i], invocation_rate


def send(boot: Bootstrap, event: Mapping[str, Any]) -> dict[str, Any]:
    """Send one batch and pace it (module docstring)."""
    run_id, label, ids, rate = parse_batch(event)
    started = monotonic()
    counts = boot.campaign_runner.send_batch(run_id, ids) if ids else {}
    delivered = counts.get("SENT", 0) + counts.get("FAILED", 0)
    pause = pause_needed(delivered, monotonic() - started, rate)
    if pause:
        sleep(pause)
    for reason, metric in (("SENT", "CampaignMessagesSent"), ("FAILED", "CampaignSendsFailed")):
        if counts.get(reason):
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=counts[reason])
    logger.info(
        "campaign batch sent",
        extra={"run_id": run_id, "batch": label, "endpoints": len(ids), "counts": counts},
    )
    return {"RunId": run_id, "Batch": label, "Endpoints": len(ids), "Counts": counts}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return send(bootstrap(), event)
