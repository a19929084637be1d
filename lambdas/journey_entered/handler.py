"""After a run's members have all been offered (``JourneyTickSteps.entered``).

Input ``{"JourneyId", "RunId", "Now"}``; returns ``{"Entry": ...}``: the next run whose
members are still to be offered (the plan's shape), or null.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, parse_event, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()


class EnteredEvent(BaseModel):
    journey_id: str = Field(alias="JourneyId", min_length=1)
    run_id: str = Field(alias="RunId", min_length=1)
    now: int = Field(alias="Now", gt=0)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EnteredEvent)
    answer = bootstrap().journey_tick_steps.entered(request.journey_id, request.run_id, request.now)
    logger.info(
        "journey run entered",
        extra={
            "journey_id": request.journey_id,
            "run_id": request.run_id,
            "next": bool(answer["Entry"]),
        },
    )
    return answer
