"""The journey tick's first step (``ProjectsTickSteps.plan``), started by EventBridge
Scheduler every few minutes.

Input: the execution input (``{}``, or ``{"Now": <epoch ms>}`` for a replayed tick) and
the execution's name, ``{"Input": {...}, "ExecutionName": ...}`` (the execution input
alone is taken too). Starts the segment runs that are due (first runs, refreshes,
segment updates) in every project, starts the first pending run's audience query on
Athena, and returns the tick's work, each piece naming its project::

    {"Now": ms, "Projects": [app id, ...], "Entry": {"ApplicationId", "JourneyId",
     "RunId", "SegmentId", "SegmentVersion", "AudienceQueryExecutionId",
     "AudienceSqlBytes"} | null, "Entries": n, "RunsStarted": [...],
     "Shards": [{"ApplicationId", "JourneyId", "Shard", "Cancel", "Now"}, ...]}

``Projects`` are the projects with journeys to move (active, or cancelled and not yet
ended), the default project first. The SQL itself is never returned: a segment's may
be up to 200,000 bytes, and Step Functions' payloads are limited to 256 KiB. The
execution's name (with ``Now`` and the run) makes the query's idempotency token, so a
retried plan gets the query it started.

``Now`` is fixed here and passed to every later step, so a retried step decides what
the first attempt decided.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, model_validator

from clarion.domain.journeys.durations import from_ms
from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "journey_plan")

bootstrap = LazyBootstrap()


class PlanEvent(BaseModel):
    """The task's payload: the execution input (or the input itself) and the name."""

    now: int | None = Field(default=None, alias="Now", gt=0)
    execution_name: str | None = Field(default=None, alias="ExecutionName", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_execution(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "Input" not in data:
            return data
        given = data["Input"]
        if not isinstance(given, dict):
            raise ValueError("Input must be an object")
        flat = {"Now": given.get("Now"), "ExecutionName": data.get("ExecutionName")}
        return {name: value for name, value in flat.items() if value not in (None, "")}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event or {}, PlanEvent)
    plan = bootstrap().projects_tick_steps.plan(
        from_ms(request.now) if request.now else None, execution=request.execution_name
    )
    if plan["RunsStarted"]:
        counts.count("runs_started", len(plan["RunsStarted"]))
    logger.info(
        "journey tick planned",
        extra={
            "projects": plan["Projects"],
            "runs_started": plan["RunsStarted"],
            "entries": plan["Entries"],
            "shards": len(plan["Shards"]),
            "query_execution_id": (plan["Entry"] or {}).get("AudienceQueryExecutionId"),
            "audience_sql_bytes": (plan["Entry"] or {}).get("AudienceSqlBytes"),
        },
    )
    return plan
