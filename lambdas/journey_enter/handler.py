"""One batch of a journey run's members (``JourneyTickSteps.admit_batch``): the item
processor of the entries' Distributed Map over the batched audience query's CSV.

Input::

    {"ApplicationId": "...", "JourneyId": "...", "RunId": "...", "Now": ms,
     "Batch": {"batch": "0", "ids": "[\\"e1\\", ...]"}}

Each endpoint of the run's project (``ApplicationId``; the default project's when
absent) is offered to the journey (refusals recorded with their reason) and those who
enter move as far as they go. Safe to retry: entries are compare-and-set writes and
messages are claimed in the send ledger first. Returns the batch's report.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, field_validator

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "journey_enter")

bootstrap = LazyBootstrap()


class MembersRow(BaseModel):
    batch: Any = ""
    ids: list[str]

    @field_validator("ids", mode="before")
    @classmethod
    def _json_array(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"is not JSON: {exc}") from exc
        if not isinstance(value, list):
            raise ValueError("must be a JSON array")
        return [str(item) for item in value]


class EnterEvent(BaseModel):
    application_id: str | None = Field(default=None, alias="ApplicationId", min_length=1)
    journey_id: str = Field(alias="JourneyId", min_length=1)
    run_id: str = Field(alias="RunId", min_length=1)
    now: int = Field(alias="Now", gt=0)
    batch: MembersRow = Field(alias="Batch")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EnterEvent)
    report = for_project(bootstrap(), request.application_id).journey_tick_steps.admit_batch(
        request.journey_id, request.run_id, request.batch.ids, request.now
    )
    counts.count("entered", report["Entered"])
    if report["Refused"]:
        counts.count("refused", sum(report["Refused"].values()))
    if report["Messages"].get("SUCCESS"):
        counts.count("sent", report["Messages"]["SUCCESS"])
    logger.info("journey batch entered", extra={"report": report, "batch": request.batch.batch})
    return report
