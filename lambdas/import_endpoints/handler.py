"""Imports an endpoint file when it lands in the data bucket under ``imports/``.

Triggered by the bucket's "Object Created" events through EventBridge (S3 event
notifications, the ``Records`` shape, work too). The objects go through
``ObjectImportService.import_objects``, which streams each into the endpoint importer:

- ``imports/<file>`` imports endpoints;
- ``imports/<segment name>/<file>`` also makes them an imported segment of that name.

The result (counts, and each rejected row with its line, field and reason) is written
beside the data, at ``import-results/<object key>.json``. Where the import-job state
machine is deployed, each file becomes an import job instead (its id derived from the
object's version, so a retried delivery resumes the same job), and the result object
names the job. A file that cannot be imported
at all (an unknown column, say) gets a result with ``"status": "FAILED"`` and the reason,
rather than an error: retrying would not fix it. Errors reaching AWS do raise, so the
asynchronous invocation is retried.

Returns ``{"imports": [summary, ...]}``, one summary per import file (without the
rejections, which are in the result object).

The two event shapes are read as dicts, key by key as Powertools' ``S3Event`` and
``S3EventBridgeNotificationEvent`` read them: their package imports every one of its
thirty-odd event-source classes, about a hundredth of a second of this function's cold
import.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from clarion.services.audience import ImportObject, ImportStatus
from lambdas._runtime import LazyBootstrap, MetricCounts, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "import_endpoints")

bootstrap = LazyBootstrap()


def created_objects(event: dict[str, Any]) -> list[ImportObject]:
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
        found = detail["object"]
        # Redeliveries of one upload carry the same version (or sequencer, or ETag).
        version = found["version-id"] or found["sequencer"] or found.get("etag") or ""
        return [ImportObject(detail["bucket"]["name"], unquote_plus(found["key"]), version)]
    if isinstance(event.get("Records"), list):
        objects = []
        for record in event["Records"]:
            if record.get("eventSource") != "aws:s3" or not str(
                record.get("eventName", "")
            ).startswith("ObjectCreated:"):
                continue
            s3 = record["s3"]
            # Intelligent-Tiering events name the object "get_object".
            found = s3.get("get_object") or s3["object"]
            version = found.get("versionId") or found["sequencer"] or found.get("eTag") or ""
            objects.append(ImportObject(s3["bucket"]["name"], unquote_plus(found["key"]), version))
        return objects
    raise ValueError(
        "not an S3 event: expected an EventBridge 'Object Created' event from aws.s3 "
        "or an S3 notification with Records"
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = bootstrap().object_import_service.import_objects(created_objects(event))
    imports = []
    for outcome in outcomes:
        key = outcome.target.key
        if outcome.status is ImportStatus.SKIPPED:
            logger.info("not an import file; skipped", extra={"key": key})
            counts.count("objects_skipped", 1)
            continue
        if outcome.status is ImportStatus.STARTED:
            counts.count("jobs_started", 1)
        elif outcome.result is None:
            logger.warning("import failed", extra={"key": key, "reason": outcome.error})
            counts.count("imports_failed", 1)
        else:
            counts.count("imported", outcome.result.imported)
            counts.count("updated", outcome.result.updated)
            counts.count("rows_rejected", outcome.result.rejected_lines)
        summary = outcome.summary()
        logger.info("import finished", extra=summary)
        imports.append(summary)
    return {"imports": imports}
