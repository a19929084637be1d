"""Summary of a campaign run's pass (after the Distributed Map, and after each resume).

Input ``{"RunId": ...}``. Counts the run's outcomes from the send ledger onto the run
record (``CampaignRunSteps.summarise``). While endpoints are deferred (quiet time, or a
local-time schedule not yet due) the run stays PENDING_NEXT_RUN and this returns
``"Pending": true`` with ``ResumeAt``, the earliest moment one of them is due (ISO-8601,
whole seconds, UTC; never in the past): the state machine waits until then inside the
same execution (deferrals are hours, far below Step Functions' one-year limit) and runs
a resume pass. Once nothing is deferred the run is COMPLETED and the campaign (still
EXECUTING, or SCHEDULED for a scheduled start, at the run's version) moves to COMPLETED
(ONCE, or no run left) or PENDING_NEXT_RUN.

Returns ``{"RunId", "State", "Counts", "Pending", "ResumeAt"}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, for_project, parse_event, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()


class SummariseEvent(BaseModel):
    run_id: str = Field(alias="RunId", min_length=1)
    application_id: str | None = Field(default=None, alias="ApplicationId")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, SummariseEvent)
    steps = for_project(bootstrap(), request.application_id).campaign_run_steps
    summary = steps.summarise(request.run_id)
    logger.info(
        "campaign run summarised",
        extra={"run_id": summary.run_id, "state": summary.state, "resume_at": summary.resume_at},
    )
    return summary.to_json()
