"""The Lambda steps of the Parquet lake's erase workflow
(``infra/statemachines/erase_lake.asl.json``), chosen by ``Step``:

- ``plan``: ``{"Step": "plan", "Digests": [...]}`` → ``{"Datasets": [{"Table", "FindSql"}]}``
- ``objects``: ``{"Step": "objects", "Table", "QueryExecutionId", "Digests", "Token",
  "Execution"}`` → ``{"Objects": [{"Key", "RewriteSql", "Staging"}]}``
- ``replace``: ``{"Step": "replace", "Key", "Staging"}`` → ``{"Key", "Action", "Files"}``

Each goes through ``LakeErasureSteps``; the input never holds the person's values,
only their digests (and nothing of them is logged). Infrastructure errors are raised so
Step Functions retries the step.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, parse_event, powertools

logger, tracer, metrics = powertools()

bootstrap = LazyBootstrap()


class PlanEvent(BaseModel):
    step: Literal["plan"] = Field(alias="Step")
    digests: list[str] = Field(alias="Digests", min_length=1)


class ObjectsEvent(BaseModel):
    step: Literal["objects"] = Field(alias="Step")
    table: str = Field(alias="Table", min_length=1)
    query_execution_id: str = Field(alias="QueryExecutionId", min_length=1)
    digests: list[str] = Field(alias="Digests", min_length=1)
    token: str = Field(alias="Token", min_length=1)
    execution: str = Field(alias="Execution", min_length=1)


class ReplaceEvent(BaseModel):
    step: Literal["replace"] = Field(alias="Step")
    key: str = Field(alias="Key", min_length=1)
    staging: str = Field(alias="Staging", min_length=1)


class StepEvent(BaseModel):
    request: PlanEvent | ObjectsEvent | ReplaceEvent = Field(discriminator="step")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event({"request": event}, StepEvent).request
    steps = bootstrap().lake_erasure_steps
    if isinstance(request, PlanEvent):
        datasets = steps.plan(request.digests)
        logger.info("erase planned", extra={"datasets": len(datasets)})
        return {"Datasets": datasets}
    if isinstance(request, ObjectsEvent):
        objects = steps.objects(
            request.table,
            request.query_execution_id,
            request.digests,
            request.token,
            request.execution,
        )
        logger.info("objects to rewrite", extra={"table": request.table, "count": len(objects)})
        return {"Objects": objects}
    result = steps.replace(request.key, request.staging)
    logger.info("object replaced", extra={"action": result["Action"], "files": result["Files"]})
    return result
