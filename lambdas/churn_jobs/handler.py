"""Churn pipelines, SageMaker side: start training and batch transform jobs with the
built-in XGBoost container (image URI in ``CLARION_CHURN_IMAGE_URI``), and report on
several transform jobs at once.

Actions: ``start_training``, ``start_transform`` (scoring), ``start_evaluation`` (the
candidate and, when there is one, the promoted model over the held-out input) and
``status`` (of the evaluation transform jobs).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from clarion.bootstrap import Bootstrap
from clarion.domain.churn import DEFAULT_HYPERPARAMETERS

logger = Logger()
_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    global _bootstrap  # one per Lambda container
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    boot = bootstrap()
    jobs = boot.churn_jobs
    action = event.get("action")
    if action == "start_training":
        name = jobs.start_training(
            str(event["job_name"]),
            str(event["train_uri"]),
            str(event["output_uri"]),
            dict(event.get("hyperparameters") or DEFAULT_HYPERPARAMETERS),
        )
        return {"job_name": name}
    if action == "start_transform":
        name = jobs.start_transform(
            str(event["job_name"]),
            str(event["model_uri"]),
            str(event["input_uri"]),
            str(event["output_uri"]),
        )
        return {"job_name": name}
    if action == "start_evaluation":
        prefix = str(event["output_prefix"])
        base = str(event["job_name"])
        started = {
            "model": {
                "job_name": jobs.start_transform(
                    f"{base}-cand"[:63],
                    str(event["candidate_uri"]),
                    str(event["input_uri"]),
                    f"{prefix}/model",
                ),
                "output_uri": f"{prefix}/model/eval.csv.out",
            }
        }
        current = boot.churn_model_store.promoted()
        if current is not None and current.artifact:
            started["current"] = {
                "job_name": jobs.start_transform(
                    f"{base}-curr"[:63],
                    current.artifact,
                    str(event["input_uri"]),
                    f"{prefix}/current",
                ),
                "output_uri": f"{prefix}/current/eval.csv.out",
                "model_id": current.model_id,
            }
        return {"jobs": started}
    if action == "status":
        states = {
            name: jobs.transform_status(str(job["job_name"]))
            for name, job in dict(event["jobs"]).items()
        }
        failed = sorted(n for n, s in states.items() if s in ("Failed", "Stopped"))
        done = all(s == "Completed" for s in states.values())
        return {"states": states, "done": done, "failed": bool(failed), "failed_jobs": failed}
    raise ValueError(f"unknown action {action!r}")
