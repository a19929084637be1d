"""Evaluates a trained candidate on the held-out window and promotes it if it beats the
promoted model there.

Input: the candidate's id and as-of date, the training job's artifact
(``candidate_uri``), the held-out labels and transform input, and the evaluation
transform jobs (``jobs``: ``model`` and optionally ``current``, each with
``output_uri``). Returns the decision and the candidate's metrics.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "churn_evaluate")
bootstrap = LazyBootstrap()


class TransformOutput(BaseModel):
    """One evaluation transform job, as the jobs function started it."""

    output_uri: str = Field(min_length=1)


class EvaluateEvent(BaseModel):
    """The training state machine's ``EvaluateAndPromote`` payload."""

    model_id: str = Field(min_length=1)
    as_of: str = Field(min_length=1)
    candidate_uri: str = Field(min_length=1)
    eval_labels_uri: str = Field(min_length=1)
    eval_input_uri: str = Field(min_length=1)
    jobs: dict[str, TransformOutput]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EvaluateEvent)
    result = bootstrap().churn_pipeline.evaluate_candidate(
        request.model_id,
        request.as_of,
        request.candidate_uri,
        request.eval_labels_uri,
        request.eval_input_uri,
        {name: job.output_uri for name, job in request.jobs.items()},
    )
    counts.count("evaluated", 1)
    counts.count("promoted", int(result["promoted"]))
    logger.info("candidate evaluated", extra={"result": result})
    return result
