"""The end of one file of an import job: its outcome recorded, the job gathered.

Input, the execution's ``Job`` and, when the Map failed (the file could not be read by
the ItemReader, or too many pieces failed), its ``Error``::

    {"Job": {"ApplicationId": "...", "JobId": "...", "File": 0, ...},
     "Error": {"Error": "...", "Cause": "..."}}

``ImportJobPieces.finish_file`` records the file and gathers the job's status, counts,
CompletedPieces/FailedPieces and rejected rows. Returns the job's ``JobStatus`` and
counts (never its rejected rows, which stay in the job record).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "import_job_finish")

bootstrap = LazyBootstrap()


class JobRef(BaseModel):
    """The job and file, as the execution's input carries them."""

    application_id: str | None = Field(default=None, alias="ApplicationId")
    job_id: str = Field(alias="JobId", min_length=1)
    file: int = Field(default=0, alias="File", ge=0)
    file_format: str = Field(default="CSV", alias="Format")
    segment_id: str | None = Field(default=None, alias="SegmentId")


class FinishEvent(BaseModel):
    job: JobRef = Field(alias="Job")
    error: Any = Field(default=None, alias="Error")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, FinishEvent)
    reason = None
    if request.error is not None:
        error = request.error if isinstance(request.error, dict) else {"Error": request.error}
        reason = f"{error.get('Error', 'failed')}: {error.get('Cause', '')}".strip(": ")[:500]
        counts.count("files_failed", 1)
    job = for_project(bootstrap(), request.job.application_id).import_job_pieces.finish_file(
        request.job.model_dump(by_alias=True, exclude_none=True), reason
    )
    counts.count("files_finished", 1)
    summary = {
        key: job.get(key)
        for key in (
            "Id",
            "JobStatus",
            "CompletedPieces",
            "FailedPieces",
            "TotalPieces",
            "TotalProcessed",
            "TotalFailures",
        )
    }
    logger.info("import file finished", extra=summary)
    return summary
