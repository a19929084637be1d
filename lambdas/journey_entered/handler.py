"""After a run's members have all been offered (``ProjectsTickSteps.entered``).

Input ``{"ApplicationId", "JourneyId", "RunId", "Now", "Projects", "ExecutionName"}``;
returns ``{"Entry": ...}``: the next run whose members are still to be offered (the
plan's shape, naming its project, its audience query started on Athena: the query's
id and the SQL's size, never the SQL): the same project's, else one of the projects
after it in the plan's ``Projects``; or null. ``ExecutionName`` (with ``Now`` and the
run) makes the query's idempotency token, so a retried step gets the query it started.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, for_project, parse_event, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()


class EnteredEvent(BaseModel):
    application_id: str | None = Field(default=None, alias="ApplicationId", min_length=1)
    journey_id: str = Field(alias="JourneyId", min_length=1)
    run_id: str = Field(alias="RunId", min_length=1)
    now: int = Field(alias="Now", gt=0)
    projects: list[str] = Field(default_factory=list, alias="Projects")
    execution_name: str | None = Field(default=None, alias="ExecutionName", min_length=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EnteredEvent)
    answer = for_project(bootstrap(), request.application_id).projects_tick_steps.entered(
        request.application_id,
        request.journey_id,
        request.run_id,
        request.now,
        request.projects,
        execution=request.execution_name,
    )
    logger.info(
        "journey run entered",
        extra={
            "application_id": request.application_id,
            "journey_id": request.journey_id,
            "run_id": request.run_id,
            "next": bool(answer["Entry"]),
            "query_execution_id": (answer["Entry"] or {}).get("AudienceQueryExecutionId"),
        },
    )
    return answer
