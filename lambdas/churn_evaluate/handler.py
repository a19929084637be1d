"""Evaluates a SageMaker-trained candidate on the held-out window beside the baselines
(the logistic regression, BG/NBD and the recency rule, fitted here on the training
rows), chooses the best by ROC-AUC and promotes it if it beats the promoted model there.

Input: the candidate's id and as-of date, the training job's artifact
(``candidate_uri``), the features query's CSV result (``features_uri``), the features
the candidate was trained on, and the evaluation transform jobs (``jobs``: ``model`` and
optionally ``current``, each with ``output_uri``). The definition of churn is the
deployment's (``CLARION_CHURN_*``). Returns the choice, the decision and the metrics.
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
    features_uri: str = Field(min_length=1)
    features: list[str] = Field(min_length=1)
    jobs: dict[str, TransformOutput]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, EvaluateEvent)
    result = bootstrap().churn_pipeline.evaluate_candidate(
        request.model_id,
        request.as_of,
        request.candidate_uri,
        request.features_uri,
        request.features,
        {name: job.output_uri for name, job in request.jobs.items()},
    )
    counts.count("evaluated", 1)
    counts.count("promoted", int(result["promoted"]))
    logger.info("candidate evaluated", extra={"result": result})
    return result
