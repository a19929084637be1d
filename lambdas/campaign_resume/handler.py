"""A resume pass of a campaign run: the deferred endpoints now due, as batches.

Input ``{"RunId": ..., "BatchSize": ...}`` (after the state machine waited until the
summary's ``ResumeAt``). The run's deferred endpoints whose moment has come are written,
grouped into batches of ``BatchSize``, as a CSV object in the data bucket
(``campaign-audiences/<RunId>/resume-<epoch ms>.csv``, header ``batch,ids``: the same
shape as the Athena audience result), and the state machine runs the same Distributed
Map over it, so a resumed pass is paced and retried like the first. Each endpoint goes
through the whole decision again (it may have opted out meanwhile).

Returns ``{"Bucket", "Key", "Endpoints", "Batches"}`` (no object when nothing is due:
``Batches`` 0).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, StrictInt, field_validator

from clarion.domain.campaigns.send_rate import MAX_BATCH_SIZE
from lambdas._runtime import LazyBootstrap, for_project, parse_event, powertools

logger, tracer, _ = powertools()  # publishes no metrics

bootstrap = LazyBootstrap()


class ResumeEvent(BaseModel):
    run_id: str = Field(alias="RunId", min_length=1)
    application_id: str | None = Field(default=None, alias="ApplicationId")
    batch_size: StrictInt = Field(default=MAX_BATCH_SIZE, alias="BatchSize")

    @field_validator("batch_size", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if not value:
            return MAX_BATCH_SIZE
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a positive integer")
        return value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, ResumeEvent)
    steps = for_project(bootstrap(), request.application_id).campaign_run_steps
    resumed = steps.prepare_resume(request.run_id, request.batch_size)
    logger.info(
        "campaign run resumed",
        extra={"run_id": request.run_id, "due": resumed.endpoints, "batches": resumed.batches},
    )
    return resumed.to_json()
