"""Imports an endpoint file when it lands in the data bucket under ``imports/``.

Triggered by the bucket's "Object Created" events through EventBridge (S3 event
notifications, the ``Records`` shape, work too). The object is streamed into the
endpoint importer, never held whole in memory:

- ``imports/<file>`` imports endpoints;
- ``imports/<segment name>/<file>`` also makes them an imported segment of that name.

The result (counts, and each rejected row with its line, field and reason) is written
beside the data, at ``import-results/<object key>.json``. A file that cannot be imported
at all (an unknown column, say) gets a result with ``"status": "FAILED"`` and the reason,
rather than an error: retrying would not fix it. Errors reaching AWS do raise, so the
asynchronous invocation is retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas._runtime import LazyBootstrap, powertools

IMPORTS_PREFIX = "imports/"
RESULTS_PREFIX = "import-results/"

logger, tracer, metrics = powertools(namespace=None)

bootstrap = LazyBootstrap()


@dataclass(frozen=True, slots=True)
class CreatedObject:
    bucket: str
    key: str

    @property
    def segment_name(self) -> str | None:
        """The folder directly under ``imports/``, if the object is in one."""
        folder, slash, _ = self.key.removeprefix(IMPORTS_PREFIX).partition("/")
        return folder if slash and folder else None

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def result_key(self) -> str:
        return f"{RESULTS_PREFIX}{self.key}.json"


def created_objects(event: dict[str, Any]) -> list[CreatedObject]:
    """The objects an event announces, from either event shape.

    Keys arrive URL-encoded (a space as ``+``) in both shapes.

    Raises
    ------
    ValueError
        When the event is neither an S3 notification nor an EventBridge S3 event.
    """
    if event.get("source") == "aws.s3" and "detail" in event:
        if event.get("detail-type") != "Object Created":
            return []
        detail = event["detail"]
        return [CreatedObject(detail["bucket"]["name"], unquote_plus(detail["object"]["key"]))]
    if isinstance(event.get("Records"), list):
        return [
            CreatedObject(
                record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
            )
            for record in event["Records"]
            if record.get("eventSource") == "aws:s3"
            and str(record.get("eventName", "")).startswith("ObjectCreated:")
        ]
    raise ValueError(
        "not an S3 event: expected an EventBridge 'Object Created' event from aws.s3 "
        "or an S3 notification with Records"
    )


@tracer.capture_method
def import_object(target: CreatedObject) -> dict[str, Any]:
    """Import one object and write its result; returns a summary (without the
    rejections, which are in the result object)."""
    boot = bootstrap()
    s3 = boot.client("s3")
    body = s3.get_object(Bucket=target.bucket, Key=target.key)["Body"]
    report: dict[str, Any] = {"bucket": target.bucket, "key": target.key}
    try:
        result = boot.import_service.import_stream(
            body, name=target.file_name, segment_name=target.segment_name
        )
    except ValueError as exc:
        # The file as a whole is unusable (ImportFileError, a bad segment name).
        logger.warning("import failed", extra={"key": target.key, "reason": str(exc)})
        report |= {"status": "FAILED", "error": str(exc)}
        metrics.add_metric(name="ImportsFailed", unit=MetricUnit.Count, value=1)
    else:
        report |= {"status": "SUCCEEDED", **result.to_json()}
        metrics.add_metric(name="EndpointsImported", unit=MetricUnit.Count, value=result.imported)
        metrics.add_metric(name="EndpointsUpdated", unit=MetricUnit.Count, value=result.updated)
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=result.rejected_lines)
    finally:
        body.close()
    s3.put_object(
        Bucket=target.bucket,
        Key=target.result_key,
        Body=json.dumps(report, indent=2, ensure_ascii=False).encode(),
        ContentType="application/json",
    )
    summary = {k: v for k, v in report.items() if k not in ("rejected", "rejected_total")}
    summary["rejections"] = report.get("rejected_total", len(report.get("rejected", [])))
    summary["result"] = f"s3://{target.bucket}/{target.result_key}"
    logger.info("import finished", extra=summary)
    return summary


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    imports = []
    for target in created_objects(event):
        if not target.key.startswith(IMPORTS_PREFIX) or target.key.endswith("/"):
            logger.info("not an import file; skipped", extra={"key": target.key})
            metrics.add_metric(name="ObjectsSkipped", unit=MetricUnit.Count, value=1)
            continue
        imports.append(import_object(target))
    return {"imports": imports}
