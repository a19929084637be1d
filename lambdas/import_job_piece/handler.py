"""One piece of an import job: the Distributed Map's item processor.

Input, as the Map's ItemBatcher hands it over (each item made by the ItemSelector from
the S3 ItemReader's row and its index in the file)::

    {"Items": [{"Index": 0, "Row": {"ChannelType": "EMAIL", ...}}, ...],
     "BatchInput": {"Job": {"ApplicationId": "...", "JobId": "...", "File": 0,
                            "Format": "CSV", "SegmentId": "..."}}}

One item with its ``Job`` beside it (``{"Index", "Row", "Job"}``) is accepted too. With
``Error`` (the Map's Catch after the retries), the piece is recorded as failed instead.
The rows go through ``ImportJobPieces.import_piece`` (the import service's row rules,
batched DynamoDB writes with unprocessed-item retries); the piece's record is keyed by
its job, file and first item, so a retried piece writes nothing twice. Infrastructure
errors are raised so Step Functions retries the piece.

Returns ``{"Processed", "Failed"}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, model_validator

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "import_job_piece")

bootstrap = LazyBootstrap()


class JobRef(BaseModel):
    """The job a piece belongs to, as the execution's input carries it."""

    application_id: str | None = Field(default=None, alias="ApplicationId")
    job_id: str = Field(alias="JobId", min_length=1)
    file: int = Field(default=0, alias="File", ge=0)
    file_format: str = Field(default="CSV", alias="Format", pattern="^(CSV|JSON)$")
    segment_id: str | None = Field(default=None, alias="SegmentId")


class Item(BaseModel):
    index: int = Field(alias="Index", ge=0)
    row: Any = Field(default=None, alias="Row")


class PieceEvent(BaseModel):
    """A batch of items (ItemBatcher's shape, or one item) and its job."""

    job: JobRef = Field(alias="Job")
    items: list[Item] = Field(alias="Items", min_length=1)
    error: Any = Field(default=None, alias="Error")

    @model_validator(mode="before")
    @classmethod
    def _one_shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        job = data.get("Job") or (data.get("BatchInput") or {}).get("Job")
        items = data.get("Items")
        if items is None and "Index" in data:
            items = [{"Index": data["Index"], "Row": data.get("Row")}]
        return {"Job": job, "Items": items, "Error": data.get("Error")}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, PieceEvent)
    job = request.job.model_dump(by_alias=True, exclude_none=True)
    items = [item.model_dump(by_alias=True) for item in request.items]
    pieces = for_project(bootstrap(), request.job.application_id).import_job_pieces
    if request.error is not None:
        error = request.error if isinstance(request.error, dict) else {"Error": request.error}
        reason = f"{error.get('Error', 'failed')}: {error.get('Cause', '')}".strip(": ")
        result = pieces.record_failed_piece(job, items, reason)
        counts.count("pieces_failed", 1)
    else:
        result = pieces.import_piece(job, items)
    counts.count("processed", result["Processed"])
    counts.count("rejected", result["Failed"])
    logger.info(
        "import piece done",
        extra={"job_id": request.job.job_id, "file": request.job.file, **result},
    )
    return result
