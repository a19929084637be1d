"""Writes batch transform scores to endpoints as ``Metrics.ChurnRisk``.

Input: ``{"scores_uri": "s3://.../features.csv.out", "offset": 0}`` (and ``limit``,
default ``CLARION_CHURN_WRITE_LIMIT``). Reads the output (``id,score`` lines), merges up
to ``limit`` scores from ``offset`` into the endpoints in batches, and returns
``{"next_offset", "done", "written", "total"}`` so the state machine calls again until
done (each call stays well inside the timeout).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "churn_write_scores")
bootstrap = LazyBootstrap()


class WriteScoresEvent(BaseModel):
    """One page of the write loop."""

    scores_uri: str = Field(min_length=1)
    offset: int = Field(default=0, ge=0)
    limit: int | None = Field(default=None, ge=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, WriteScoresEvent)
    result = bootstrap().churn_pipeline.write_scores_page(
        request.scores_uri, request.offset, request.limit
    )
    counts.count("scores_written", result["written"])
    logger.info(
        "scores written",
        extra={"written": result["written"], "offset": request.offset, "total": result["total"]},
    )
    return result
