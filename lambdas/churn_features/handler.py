"""Churn pipelines, Athena side: start the features query, then turn its result into
the SageMaker inputs.

Actions (``event["action"]``):

- ``start``: bind ``clarion/resources/sql/churn/features.sql`` for ``splits`` at the
  as-of date (``event["as_of"]`` as ``YYYY-MM-DD``, else the UTC date of
  ``event["execution_start"]``) and start it on Athena. Returns
  ``{"query_execution_id", "as_of"}``.
- ``prepare_scoring``: read the query's CSV result and write the batch transform input
  (``id,features``, no header) under ``churn/runs/<run_id>/score/``. Returns the job
  name, the promoted model's artifact and the input and output URLs, or ``skip`` when
  there is no promoted model or nobody to score.
- ``prepare_training``: write ``train.csv`` (label first, no header), the held-out
  transform input and labels under ``churn/runs/<run_id>/train/``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, RootModel

from lambdas._runtime import LazyBootstrap, MetricCounts, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "churn_features")
bootstrap = LazyBootstrap()

Split = Literal["train", "eval", "score"]
Text = Annotated[str, Field(min_length=1)]
# The actions are validated only inside the event model, whose validator includes
# theirs: a validator of their own, built at import, would never be used.
NESTED = ConfigDict(defer_build=True)


class StartQuery(BaseModel):
    """Start the features query. ``as_of`` is empty when the execution input has none
    (the state machine then passes its start time)."""

    model_config = NESTED

    action: Literal["start"]
    splits: list[Split] = Field(default_factory=list)
    as_of: str | None = None
    execution_start: str | None = None

    def as_of_date(self) -> date:
        """The as-of date: given, else the UTC date the execution started, else today."""
        if self.as_of:
            return date.fromisoformat(self.as_of[:10])
        if self.execution_start:
            started = datetime.fromisoformat(self.execution_start.replace("Z", "+00:00"))
            return started.astimezone(UTC).date()
        return datetime.now(UTC).date()


class PrepareScoring(BaseModel):
    """Write the batch transform input from the finished query."""

    model_config = NESTED

    action: Literal["prepare_scoring"]
    run_id: Text
    query_execution_id: Text


class PrepareTraining(BaseModel):
    """Write the training and held-out files from the finished query."""

    model_config = NESTED

    action: Literal["prepare_training"]
    run_id: Text
    query_execution_id: Text


class FeaturesEvent(RootModel):  # typed by its root annotation (no RootModel[...] class to build)
    """Any of the actions, told apart by ``action``."""

    root: Annotated[StartQuery | PrepareScoring | PrepareTraining, Field(discriminator="action")]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, FeaturesEvent).root
    pipeline = bootstrap().churn_pipeline
    if isinstance(request, StartQuery):
        result = pipeline.start_features_query(request.as_of_date(), request.splits or ["score"])
        counts.count("queries_started", 1)
        logger.info(
            "features query started",
            extra={"query": result["query_execution_id"], "as_of": result["as_of"]},
        )
    elif isinstance(request, PrepareScoring):
        result = pipeline.prepare_scoring(request.run_id, request.query_execution_id)
        counts.count("endpoints_to_score", result["rows"])
        logger.info(
            "scoring input prepared",
            extra={"run_id": request.run_id, "rows": result["rows"], "skip": result["skip"]},
        )
    else:
        result = pipeline.prepare_training(request.run_id, request.query_execution_id)
        counts.count("training_rows", result["train_rows"])
        logger.info(
            "training inputs prepared",
            extra={
                "run_id": request.run_id,
                "train_rows": result["train_rows"],
                "eval_rows": result["eval_rows"],
            },
        )
    return result
