"""Churn pipelines, Athena side: start the features query, then turn its result into
the SageMaker inputs.

Actions (``event["action"]``):

- ``start``: bind ``clarion/sql/churn/features.sql`` for ``splits`` at the as-of date
  (``event["as_of"]`` as ``YYYY-MM-DD``, else the UTC date of ``event["execution_start"]``)
  and start it on Athena. Returns ``{"query_execution_id", "as_of"}``.
- ``prepare_scoring``: read the query's CSV result and write the batch transform input
  (``id,features``, no header) under ``churn/runs/<run_id>/score/``. Returns the job
  name, the promoted model's artifact and the input and output URLs, or ``skip`` when
  there is no promoted model or nobody to score.
- ``prepare_training``: write ``train.csv`` (label first, no header), the held-out
  transform input and labels under ``churn/runs/<run_id>/train/``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools import Logger

from clarion.bootstrap import Bootstrap

logger = Logger()
_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    global _bootstrap  # one per Lambda container
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def as_of_of(event: dict[str, Any]) -> date:
    """The as-of date: given, else the UTC date the execution started."""
    given = event.get("as_of")
    if given:
        return date.fromisoformat(str(given)[:10])
    started = str(event.get("execution_start") or "")
    if started:
        return datetime.fromisoformat(started.replace("Z", "+00:00")).astimezone(UTC).date()
    return datetime.now(UTC).date()


def _job_name(prefix: str, run_id: str) -> str:
    safe = "".join(c if c.isalnum() or c == "-" else "-" for c in run_id)
    return f"{prefix}-{safe}"[:63].rstrip("-")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    boot = bootstrap()
    service = boot.churn_service
    action = event.get("action")
    if action == "start":
        as_of = as_of_of(event)
        sql, parameters = service.feature_query(as_of, event.get("splits") or ["score"])
        query_id = boot.churn_queries.start(sql, parameters)
        logger.info("features query started", extra={"query": query_id, "as_of": str(as_of)})
        return {"query_execution_id": query_id, "as_of": as_of.isoformat()}
    run_id = str(event["run_id"])
    location = boot.churn_queries.output_location(str(event["query_execution_id"]))
    result_csv = boot.churn_files.get_text(location)
    bucket = boot.settings.aws.data_bucket
    if action == "prepare_scoring":
        model = boot.churn_model_store.promoted()
        body, rows = service.scoring_input(result_csv)
        if model is None or rows == 0:
            reason = "no promoted model" if model is None else "no endpoints to score"
            return {"skip": True, "reason": reason, "rows": rows}
        prefix = f"churn/runs/{run_id}/score"
        input_uri = boot.churn_files.put_text(f"{prefix}/input/features.csv", body)
        return {
            "skip": False,
            "rows": rows,
            "job_name": _job_name("churn-score", run_id),
            "model_id": model.model_id,
            "model_uri": model.artifact,
            "input_uri": input_uri,
            "output_uri": f"s3://{bucket}/{prefix}/output",
            "scores_uri": f"s3://{bucket}/{prefix}/output/features.csv.out",
        }
    if action == "prepare_training":
        prefix = f"churn/runs/{run_id}/train"
        parts = service.training_inputs(result_csv)
        if parts["train_rows"] == 0 or parts["eval_rows"] == 0:
            raise ValueError(
                f"not enough history: {parts['train_rows']} training and "
                f"{parts['eval_rows']} held-out rows"
            )
        files = boot.churn_files
        return {
            "train_uri": files.put_text(f"{prefix}/train/train.csv", parts["train_csv"]).rsplit(
                "/", 1
            )[0],
            "eval_input_uri": files.put_text(
                f"{prefix}/eval/input/eval.csv", parts["eval_input_csv"]
            ),
            "eval_labels_uri": files.put_text(
                f"{prefix}/eval/labels.csv", parts["eval_labels_csv"]
            ),
            "model_output_uri": f"s3://{bucket}/{prefix}/model",
            "eval_output_prefix": f"s3://{bucket}/{prefix}/eval/output",
            "training_job_name": _job_name("churn-train", run_id),
            "train_rows": parts["train_rows"],
            "eval_rows": parts["eval_rows"],
        }
    raise ValueError(f"unknown action {action!r}")
