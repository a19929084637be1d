"""The journey tick's last step (``ProjectsTickSteps.finish``), in each project of the
tick: segment runs whose participants have all left are COMPLETED, journeys past their
end (or run once and done) COMPLETED, cancelled journeys' runs CANCELLED.

Input ``{"Now": ms, "Projects": [...]}`` (the plan's projects; the default project when
absent); returns ``{"Now", "Finished": [...]}``, each finished journey naming its
project (``ApplicationId``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "journey_finish")

bootstrap = LazyBootstrap()


class FinishEvent(BaseModel):
    now: int = Field(alias="Now", gt=0)
    projects: list[str] = Field(default_factory=list, alias="Projects")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, FinishEvent)
    answer = bootstrap().projects_tick_steps.finish(request.now, request.projects)
    completed = [item for item in answer["Finished"] if item["State"] == "COMPLETED"]
    if completed:
        counts.count("journeys_completed", len(completed))
    logger.info("journey tick finished", extra={"finished": answer["Finished"]})
    return answer
