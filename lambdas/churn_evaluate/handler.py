"""Evaluates a trained candidate on the held-out window and promotes it if it beats the
promoted model there.

Input: the training job's artifact (``candidate_uri``), the held-out labels and
transform input, and the evaluation transform jobs' outputs (``jobs``: ``model`` and
optionally ``current``, each with ``output_uri``). Returns the decision and metrics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from clarion.bootstrap import Bootstrap
from clarion.domain.churn import DEFAULT_HYPERPARAMETERS, ModelRecord

logger = Logger()
_bootstrap: Bootstrap | None = None


def bootstrap() -> Bootstrap:
    global _bootstrap  # one per Lambda container
    if _bootstrap is None:
        _bootstrap = Bootstrap()
    return _bootstrap


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    boot = bootstrap()
    files = boot.churn_files
    record = ModelRecord(
        model_id=str(event["model_id"]),
        as_of=str(event["as_of"]),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        hyperparameters=dict(DEFAULT_HYPERPARAMETERS),
        artifact=str(event["candidate_uri"]),
    )
    outputs = {
        name: files.get_text(str(job["output_uri"])) for name, job in dict(event["jobs"]).items()
    }
    result = boot.churn_service.evaluate_outputs(
        record,
        files.get_text(str(event["eval_labels_uri"])),
        outputs,
        eval_features=files.get_text(str(event["eval_input_uri"])),
    )
    logger.info("candidate evaluated", extra={"result": result})
    return result
