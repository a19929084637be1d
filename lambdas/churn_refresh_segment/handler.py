"""Keeps the churn segment (``Metrics.ChurnRisk`` at or above the threshold) and
launches the retention campaign.

Input ``{"action": "refresh" | "launch"}`` (``refresh`` when absent): ``refresh``
creates or updates the segment (no Athena count) and returns ``{"segment_id",
"version", "threshold"}``; ``launch`` sends the retention campaign with a holdout
(started on the campaign state machine) and returns the launch record. The threshold
and holdout come from ``CLARION_CHURN_THRESHOLD`` and ``CLARION_CHURN_HOLDOUT_PERCENT``.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "churn_refresh_segment")
bootstrap = LazyBootstrap()


class SegmentEvent(BaseModel):
    """What the scoring state machine asks for."""

    action: Literal["refresh", "launch"] = "refresh"


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, SegmentEvent)
    service = bootstrap().churn_service
    if request.action == "launch":
        launched = service.launch_retention()
        counts.count("retention_launches", 1)
        logger.info(
            "retention campaign launched",
            extra={"campaign_id": launched["campaign_id"], "run_id": launched["run_id"]},
        )
        return launched
    segment = service.refresh_segment(count=False)
    counts.count("segment_refreshes", 1)
    logger.info("churn segment refreshed", extra=segment)
    return segment
