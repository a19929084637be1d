"""The journey tick's first step (``ProjectsTickSteps.plan``), started by EventBridge
Scheduler every few minutes.

Input: ``{}`` or ``{"Now": <epoch ms>}`` (a replayed tick). Starts the segment runs that
are due (first runs, refreshes, segment updates) in every project and returns the
tick's work, each piece naming its project::

    {"Now": ms, "Projects": [app id, ...], "Entry": {"ApplicationId", "JourneyId",
     "RunId", "SegmentId", "SegmentVersion", "AudienceSql"} | null, "Entries": n,
     "RunsStarted": [...], "Shards": [{"ApplicationId", "JourneyId", "Shard", "Cancel",
     "Now"}, ...]}

``Projects`` are the projects with journeys to move (active, or cancelled and not yet
ended), the default project first.

``Now`` is fixed here and passed to every later step, so a retried step decides what
the first attempt decided.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from clarion.domain.journeys.durations import from_ms
from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "journey_plan")

bootstrap = LazyBootstrap()


class PlanEvent(BaseModel):
    now: int | None = Field(default=None, alias="Now", gt=0)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event or {}, PlanEvent)
    plan = bootstrap().projects_tick_steps.plan(from_ms(request.now) if request.now else None)
    if plan["RunsStarted"]:
        counts.count("runs_started", len(plan["RunsStarted"]))
    logger.info(
        "journey tick planned",
        extra={
            "projects": plan["Projects"],
            "runs_started": plan["RunsStarted"],
            "entries": plan["Entries"],
            "shards": len(plan["Shards"]),
        },
    )
    return plan
