"""Churn pipelines, SageMaker side: start training and batch transform jobs with the
built-in XGBoost container (image URI in ``CLARION_CHURN_IMAGE_URI``), and report on
several transform jobs at once.

Actions (``event["action"]``): ``start_training``, ``start_transform`` (scoring),
``start_evaluation`` (the candidate and, when there is one, the promoted model over the
held-out input) and ``status`` (of the evaluation transform jobs).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, RootModel

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "churn_jobs")
bootstrap = LazyBootstrap()

Text = Annotated[str, Field(min_length=1)]
# The actions are validated only inside the event model, whose validator includes
# theirs: a validator of their own, built at import, would never be used.
NESTED = ConfigDict(defer_build=True)


class StartTraining(BaseModel):
    """Start a training job on the label-first CSV under ``train_uri``."""

    model_config = NESTED

    action: Literal["start_training"]
    job_name: Text
    train_uri: Text
    output_uri: Text
    hyperparameters: dict[str, str | int | float] | None = None


class StartTransform(BaseModel):
    """Start a batch transform (scoring) job."""

    model_config = NESTED

    action: Literal["start_transform"]
    job_name: Text
    model_uri: Text
    input_uri: Text
    output_uri: Text


class StartEvaluation(BaseModel):
    """Start the held-out transforms of the candidate (and the promoted model)."""

    model_config = NESTED

    action: Literal["start_evaluation"]
    job_name: Text
    candidate_uri: Text
    input_uri: Text
    output_prefix: Text
    # The held-out input on the promoted model's features; empty when it cannot score it.
    current_input_uri: str = ""


class TransformJob(BaseModel):
    """One evaluation transform job, as ``start_evaluation`` returned it."""

    model_config = NESTED

    job_name: Text


class JobsStatus(BaseModel):
    """The states of the evaluation transform jobs."""

    model_config = NESTED

    action: Literal["status"]
    jobs: dict[str, TransformJob]


class JobsEvent(RootModel):  # typed by its root annotation (no RootModel[...] class to build)
    """Any of the actions, told apart by ``action``."""

    root: Annotated[
        StartTraining | StartTransform | StartEvaluation | JobsStatus,
        Field(discriminator="action"),
    ]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, JobsEvent).root
    pipeline = bootstrap().churn_pipeline
    if isinstance(request, StartTraining):
        result = pipeline.start_training(
            request.job_name, request.train_uri, request.output_uri, request.hyperparameters
        )
        counts.count("training_jobs_started", 1)
    elif isinstance(request, StartTransform):
        result = pipeline.start_transform(
            request.job_name, request.model_uri, request.input_uri, request.output_uri
        )
        counts.count("transform_jobs_started", 1)
    elif isinstance(request, StartEvaluation):
        result = pipeline.start_evaluation(
            request.job_name,
            request.candidate_uri,
            request.input_uri,
            request.output_prefix,
            request.current_input_uri,
        )
        counts.count("transform_jobs_started", len(result["jobs"]))
    else:
        result = pipeline.evaluation_status({n: j.job_name for n, j in request.jobs.items()})
        counts.count("transform_jobs_failed", len(result["failed_jobs"]))
    logger.info("churn jobs", extra={"action": request.action, "result": result})
    return result
