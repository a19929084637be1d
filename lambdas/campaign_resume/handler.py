"""A resume pass of a campaign run: the deferred endpoints now due, as batches.

Input ``{"RunId": ..., "BatchSize": ...}`` (after the state machine waited until the
summary's ``ResumeAt``). The run's deferred endpoints whose moment has come are written,
grouped into batches of ``BatchSize``, as a CSV object in the data bucket
(``campaign-audiences/<RunId>/resume-<epoch ms>.csv``, header ``batch,ids``: the same
shape as the Athena audience result), and the state machine runs the same Distributed
Map over it, so a resumed pass is paced and retried like the first. Each endpoint goes
through the whole decision again (it may have opted out meanwhile).

Returns ``{"Bucket", "Key", "Endpoints", "Batches"}`` (no object when nothing is due:
``Batches`` 0).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.bootstrap import Bootstrap
from clarion.domain.campaign_run import to_ms
from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.send_rate import MAX_BATCH_SIZE
from clarion.services.campaign_runner import batches, utc_now
from lambdas._runtime import LazyBootstrap, required_string

logger = Logger()
tracer = Tracer()

RESUME_PREFIX = "campaign-audiences/"
bootstrap = LazyBootstrap()
clock: Callable[[], datetime] = utc_now


def resume_key(run_id: str, now_ms: int) -> str:
    return f"{RESUME_PREFIX}{run_id}/resume-{now_ms}.csv"


def batches_csv(endpoint_ids: list[str], batch_size: int) -> tuple[bytes, int]:
    """The ids as the batched audience query writes them (header ``batch,ids``, every
    field quoted, ``ids`` a JSON array); returns the bytes and the number of batches."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["batch", "ids"])
    count = 0
    for number, batch in enumerate(batches(endpoint_ids, batch_size)):
        writer.writerow([str(number), json.dumps(batch, separators=(",", ":"))])
        count += 1
    return out.getvalue().encode("utf-8"), count


def prepare_resume(boot: Bootstrap, event: Mapping[str, Any]) -> dict[str, Any]:
    """Write the due deferred endpoints as the next pass's batches (module docstring)."""
    run_id = required_string(event, "RunId")
    size = event.get("BatchSize") or MAX_BATCH_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidRecordError([FieldProblem("BatchSize", "must be a positive integer")])
    bucket = boot.settings.aws.data_bucket
    if not bucket:
        raise InvalidRecordError([FieldProblem("CLARION_DATA_BUCKET", "is not set")])
    now_ms = to_ms(clock())
    due = boot.send_ledger.deferred(run_id, now_ms)
    key = resume_key(run_id, now_ms)
    body, count = batches_csv(due, min(size, MAX_BATCH_SIZE))
    if count:
        boot.client("s3").put_object(
            Bucket=bucket, Key=key, Body=body, ContentType="text/csv; charset=utf-8"
        )
    logger.info("campaign run resumed", extra={"run_id": run_id, "due": len(due), "batches": count})
    return {"Bucket": bucket, "Key": key, "Endpoints": len(due), "Batches": count}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return prepare_resume(bootstrap(), event)
