"""One page of one shard of a journey (``JourneyTickSteps.advance_shard``): the loop of
the advance Distributed Map's child workflow.

Input ``{"ApplicationId", "JourneyId", "Shard", "Cancel", "Now"}``: the shard's
participants due by ``Now`` (in the journey's project, the default one when
``ApplicationId`` is absent) are moved as far as they go (their messages decided,
claimed, delivered and recorded), or, for a cancelled journey, ended. Returns the page's
report; ``More`` true asks the workflow to call again. Safe to retry: every move is a
compare-and-set and every message is claimed in the send ledger before it is delivered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "journey_advance")

bootstrap = LazyBootstrap()


class AdvanceEvent(BaseModel):
    application_id: str | None = Field(default=None, alias="ApplicationId", min_length=1)
    journey_id: str = Field(alias="JourneyId", min_length=1)
    shard: int = Field(alias="Shard", ge=0)
    cancel: bool = Field(default=False, alias="Cancel")
    now: int = Field(alias="Now", gt=0)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, AdvanceEvent)
    report = for_project(bootstrap(), request.application_id).journey_tick_steps.advance_shard(
        request.journey_id, request.shard, request.now, cancel=request.cancel
    )
    if report["Moved"]:
        counts.count("moved", report["Moved"])
    if report["Messages"].get("SUCCESS"):
        counts.count("sent", report["Messages"]["SUCCESS"])
    if report["Conflicts"]:
        counts.count("conflicts", report["Conflicts"])
    logger.info("journey shard advanced", extra={"shard": request.shard, "report": report})
    return report
