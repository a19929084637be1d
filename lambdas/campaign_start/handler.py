"""Start of a campaign run (the state machine's first task).

Input: the execution input ``{"CampaignId": ..., "RunId": ..., "ApplicationId": ...}``
(``ApplicationId`` the campaign's project, the default one when absent; ``RunId`` given when
``clarion campaigns launch`` planned the run; absent when an EventBridge Scheduler
schedule started the execution) and the execution name:
``{"Input": {...}, "ExecutionName": ...}``.

Without a RunId the run is planned with the execution name as its id
(``CampaignRunSteps.start_with_query``). The function starts the audience query itself
and returns ``{"RunId", "CampaignId", "ApplicationId", "AudienceQueryExecutionId",
"AudienceSqlBytes", "BatchSize", "MaxConcurrency", "InvocationRate"}``: the query
groups the audience into batches of ``BatchSize`` (one row per batch), and the numbers
spread Limits.MessagesPerSecond over the Distributed Map
(:mod:`clarion.domain.campaigns.send_rate`). The SQL itself is never returned: it may be
a couple of hundred kilobytes, and Step Functions' payloads are limited to 256 KiB.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, model_validator

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "campaign_start")

bootstrap = LazyBootstrap()


class StartEvent(BaseModel):
    """The task's payload: the execution input (or the input itself) and the name."""

    campaign_id: str = Field(alias="CampaignId", min_length=1)
    run_id: str | None = Field(default=None, alias="RunId")
    application_id: str | None = Field(default=None, alias="ApplicationId")
    execution_name: str | None = Field(default=None, alias="ExecutionName")

    @model_validator(mode="before")
    @classmethod
    def _from_execution(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = data.get("Input", data)
        if not isinstance(given, dict):
            raise ValueError("Input must be an object")
        # Empty values count as absent, as Step Functions may pass them.
        flat = {
            "CampaignId": given.get("CampaignId"),
            "RunId": given.get("RunId"),
            "ApplicationId": given.get("ApplicationId"),
        }
        flat["RunId"] = flat["RunId"] or data.get("ExecutionName")
        flat["ExecutionName"] = data.get("ExecutionName")
        return {name: value for name, value in flat.items() if value not in (None, "")}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, StartEvent)
    project = for_project(bootstrap(), request.application_id)
    started = project.campaign_run_steps.start_with_query(
        request.campaign_id, request.run_id, execution=request.execution_name
    )
    start = started.start
    if start.planned:
        counts.count("runs_planned", 1)
    logger.info(
        "campaign run started",
        extra={
            "run_id": start.run_id,
            "campaign_id": start.campaign_id,
            "query_execution_id": started.query_execution_id,
            **start.plan.to_json(),
        },
    )
    # The project travels with the run to every later step.
    return {**started.to_json(), "ApplicationId": project.app_id}
