"""The steps of the churn state machines on AWS, one Lambda invocation each: start the
features query on Athena, turn its CSV result into SageMaker inputs, start and follow
SageMaker jobs, evaluate and promote a trained candidate, and write the batch transform's
scores to endpoints a page at a time.

Each step returns what the state machine reads next (see
``infra/statemachines/churn_*.asl.json`` and docs/churn.md, "On AWS"). Files live under
``churn/runs/<execution name>/`` in the pipeline's files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from clarion.domain.churn.datasets import parse_scores
from clarion.domain.churn.definition import require_same_definition
from clarion.domain.churn.model import (
    DEFAULT_HYPERPARAMETERS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    ModelRecord,
)
from clarion.domain.churn.scorers import XGBOOST, load_baseline, score_rows
from clarion.ports.churn import ChurnFiles, ChurnJobs, ChurnModelStore, ChurnQueryStarter
from clarion.services.churn.shared import utc_now

if TYPE_CHECKING:
    from clarion.services.churn.service import ChurnService

DEFAULT_WRITE_LIMIT = 50_000
"""Scores merged into endpoints per write step (each stays well inside the timeout)."""
SCORING_JOB_PREFIX = "churn-score"
TRAINING_JOB_PREFIX = "churn-train"
_FAILED_JOB_STATES = ("Failed", "Stopped")


def sagemaker_job_name(prefix: str, run_id: str) -> str:
    """A SageMaker job name from a prefix and the execution name: letters, digits and
    hyphens, at most 63 characters, not ending in a hyphen."""
    safe = "".join(c if c.isalnum() or c == "-" else "-" for c in run_id)
    return f"{prefix}-{safe}"[:63].rstrip("-")


def _run_prefix(run_id: str, part: str) -> str:
    return f"churn/runs/{run_id}/{part}"


class ChurnPipeline:
    """The state machines' steps, over the pipeline's ports.

    Parameters
    ----------
    churn
        The churn service (datasets, evaluation, score writing), or a function making it
        on first use: the SageMaker steps never need it.
    models
        The promoted model.
    files
        The pipeline's files (query results, SageMaker inputs and outputs).
    jobs
        SageMaker jobs (None where there are none: locally).
    queries
        Starts Athena queries without waiting (None locally).
    write_limit
        Scores written per :meth:`write_scores_page` call unless it says otherwise.
    """

    def __init__(
        self,
        churn: ChurnService | Callable[[], ChurnService],
        models: ChurnModelStore,
        files: ChurnFiles,
        *,
        jobs: ChurnJobs | Callable[[], ChurnJobs | None] | None = None,
        queries: ChurnQueryStarter | Callable[[], ChurnQueryStarter | None] | None = None,
        write_limit: int = DEFAULT_WRITE_LIMIT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._churn_source = churn
        self._models = models
        self._files = files
        self._jobs_source = jobs
        self._queries_source = queries
        self._write_limit = write_limit
        self._clock = clock

    @property
    def _churn(self) -> ChurnService:
        source = self._churn_source
        return source() if callable(source) else source

    @property
    def _jobs(self) -> ChurnJobs:
        source = self._jobs_source
        jobs = source() if callable(source) else source
        if jobs is None:
            raise RuntimeError("no SageMaker jobs here: this churn pipeline step runs on AWS")
        return jobs

    @property
    def _queries(self) -> ChurnQueryStarter:
        source = self._queries_source
        queries = source() if callable(source) else source
        if queries is None:
            raise RuntimeError("no Athena queries here: this churn pipeline step runs on AWS")
        return queries

    # -- Athena: the features query and the SageMaker inputs -------------------------------

    def start_features_query(self, as_of: date, splits: Sequence[str]) -> dict[str, Any]:
        """Start the features SQL for ``splits`` at ``as_of`` without waiting. Returns
        ``{"query_execution_id", "as_of"}``."""
        definition = self._churn.config.definition
        sql, parameters = self._churn.datasets.query(as_of, splits, definition)
        query_id = self._queries.start(sql, parameters)
        return {
            "query_execution_id": query_id,
            "as_of": as_of.isoformat(),
            "definition": definition.to_json(),
        }

    def _query_result(self, query_execution_id: str) -> str:
        return self._files.get_text(self._queries.output_location(query_execution_id))

    def prepare_scoring(self, run_id: str, query_execution_id: str) -> dict[str, Any]:
        """Prepare scoring from the finished query's result: for an XGBoost model, the
        batch transform input on the model's features (and the job name, model, input,
        output and scores locations); for a baseline, the scores themselves, written
        here to the scores location (``scored``: no transform job). ``skip`` (with the
        reason) when there is no promoted model or nobody to score.

        Raises
        ------
        DefinitionMismatchError
            The promoted model defines churn otherwise than this deployment.
        """
        model = self._models.promoted()
        if model is None:
            return {"skip": True, "reason": "no promoted model", "rows": 0}
        require_same_definition(
            model.model_id, model.churn_definition, self._churn.config.definition
        )
        if any(name not in FEATURE_COLUMNS for name in model.features):
            raise ValueError(
                f"the promoted model {model.model_id} was trained on other features: "
                "train a new one"
            )
        result_csv = self._query_result(query_execution_id)
        prefix = _run_prefix(run_id, "score")
        scores_key = f"{prefix}/output/features.csv.out"
        base = {"skip": False, "model_id": model.model_id, "kind": model.kind}
        if model.kind != XGBOOST:
            rows = self._churn.datasets.scoring_rows(result_csv)
            if not rows:
                return {"skip": True, "reason": "no endpoints to score", "rows": 0}
            _, archive = self._models.load_model(model.model_id)
            scores = score_rows(load_baseline(archive), rows)
            body = "".join(
                f"{row[ID_COLUMN]},{score:.6f}\n" for row, score in zip(rows, scores, strict=True)
            )
            return {
                **base,
                "scored": True,
                "rows": len(rows),
                "scores_uri": self._files.put_text(scores_key, body),
            }
        body, count = self._churn.datasets.scoring_input(result_csv, model.features)
        if count == 0:
            return {"skip": True, "reason": "no endpoints to score", "rows": 0}
        return {
            **base,
            "scored": False,
            "rows": count,
            "job_name": sagemaker_job_name(SCORING_JOB_PREFIX, run_id),
            "model_uri": model.artifact,
            "input_uri": self._files.put_text(f"{prefix}/input/features.csv", body),
            "output_uri": self._files.location(f"{prefix}/output"),
            "scores_uri": self._files.location(scores_key),
        }

    def prepare_training(self, run_id: str, query_execution_id: str) -> dict[str, Any]:
        """Write the training CSV (label first, no header) on the features that vary
        across the training rows, the held-out transform input on those features (and
        on the promoted model's, when it is an XGBoost model of the same definition)
        and the held-out labels, from the finished query's result; returns where they
        are, the features, and where the model and the evaluation outputs go.

        Raises
        ------
        ValueError
            The training or the held-out window has no rows, or no feature varies.
        """
        query_uri = self._queries.output_location(query_execution_id)
        result_csv = self._files.get_text(query_uri)
        prefix = _run_prefix(run_id, "train")
        datasets = self._churn.datasets
        parts = datasets.training_inputs(result_csv)
        if parts["train_rows"] == 0 or parts["eval_rows"] == 0:
            raise ValueError(
                f"not enough history: {parts['train_rows']} training and "
                f"{parts['eval_rows']} held-out rows"
            )
        if not parts["features"]:
            raise ValueError("no feature varies across the training rows: nothing to learn from")
        files = self._files
        train_csv = files.put_text(f"{prefix}/train/train.csv", parts["train_csv"])
        current = self._models.promoted()
        current_input = ""
        if (
            current is not None
            and current.kind == XGBOOST
            and current.artifact
            and current.churn_definition == self._churn.config.definition
            and all(name in FEATURE_COLUMNS for name in current.features)
        ):
            theirs = datasets.training_inputs(result_csv, current.features)
            current_input = files.put_text(
                f"{prefix}/eval/current-input/eval.csv", theirs["eval_input_csv"]
            )
        return {
            # SageMaker's training channel reads every file under the folder.
            "train_uri": train_csv.rsplit("/", 1)[0],
            "eval_input_uri": files.put_text(
                f"{prefix}/eval/input/eval.csv", parts["eval_input_csv"]
            ),
            "current_eval_input_uri": current_input,
            "eval_labels_uri": files.put_text(
                f"{prefix}/eval/labels.csv", parts["eval_labels_csv"]
            ),
            "features_uri": query_uri,
            "features": parts["features"],
            "model_output_uri": files.location(f"{prefix}/model"),
            "eval_output_prefix": files.location(f"{prefix}/eval/output"),
            "training_job_name": sagemaker_job_name(TRAINING_JOB_PREFIX, run_id),
            "train_rows": parts["train_rows"],
            "eval_rows": parts["eval_rows"],
        }

    # -- SageMaker: jobs -----------------------------------------------------------------

    def start_training(
        self,
        job_name: str,
        train_uri: str,
        output_uri: str,
        hyperparameters: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start a training job (the built-in XGBoost; default hyperparameters unless
        given). Returns ``{"job_name"}``."""
        chosen = {k: str(v) for k, v in (hyperparameters or DEFAULT_HYPERPARAMETERS).items()}
        return {"job_name": self._jobs.start_training(job_name, train_uri, output_uri, chosen)}

    def start_transform(
        self, job_name: str, model_uri: str, input_uri: str, output_uri: str
    ) -> dict[str, Any]:
        """Start a batch transform job (scoring). Returns ``{"job_name"}``."""
        return {"job_name": self._jobs.start_transform(job_name, model_uri, input_uri, output_uri)}

    def start_evaluation(
        self,
        job_name: str,
        candidate_uri: str,
        input_uri: str,
        output_prefix: str,
        current_input_uri: str = "",
    ) -> dict[str, Any]:
        """Start batch transforms of the held-out input by the candidate and, when the
        promoted model is an XGBoost model that can score it (``current_input_uri``: the
        held-out input on its features), by the promoted model. Returns
        ``{"jobs": {"model": ..., "current": ...}}``, each with its job name and output
        location."""
        jobs = self._jobs
        started: dict[str, dict[str, str]] = {
            "model": {
                "job_name": jobs.start_transform(
                    f"{job_name}-cand"[:63], candidate_uri, input_uri, f"{output_prefix}/model"
                ),
                "output_uri": f"{output_prefix}/model/eval.csv.out",
            }
        }
        current = self._models.promoted()
        if (
            current is not None
            and current.kind == XGBOOST
            and current.artifact
            and current_input_uri
        ):
            started["current"] = {
                "job_name": jobs.start_transform(
                    f"{job_name}-curr"[:63],
                    current.artifact,
                    current_input_uri,
                    f"{output_prefix}/current",
                ),
                "output_uri": f"{output_prefix}/current/eval.csv.out",
                "model_id": current.model_id,
            }
        return {"jobs": started}

    def evaluation_status(self, job_names: Mapping[str, str]) -> dict[str, Any]:
        """The states of the evaluation's transform jobs (by scorer), whether all are
        done and which failed."""
        jobs = self._jobs
        states = {name: jobs.transform_status(job) for name, job in job_names.items()}
        failed = sorted(n for n, s in states.items() if s in _FAILED_JOB_STATES)
        done = all(s == "Completed" for s in states.values())
        return {"states": states, "done": done, "failed": bool(failed), "failed_jobs": failed}

    # -- evaluation and scores -----------------------------------------------------------

    def evaluate_candidate(
        self,
        model_id: str,
        as_of: str,
        candidate_uri: str,
        features_uri: str,
        features: Sequence[str],
        output_uris: Mapping[str, str],
    ) -> dict[str, Any]:
        """Evaluate the SageMaker-trained candidate (trained on ``features``) from the
        transform outputs (by scorer) beside the baselines fitted on the features
        query's result (``features_uri``), choose by held-out ROC-AUC and promote the
        winner if it beats the promoted model. Returns the choice and the decision."""
        record = ModelRecord(
            model_id=model_id,
            as_of=as_of,
            created=self._clock().isoformat(timespec="seconds"),
            hyperparameters=dict(DEFAULT_HYPERPARAMETERS),
            features=tuple(features),
            artifact=candidate_uri,
            kind=XGBOOST,
            definition=self._churn.config.definition.to_json(),
        )
        files = self._files
        outputs = {name: files.get_text(uri) for name, uri in output_uris.items()}
        return self._churn.training.evaluate_outputs(record, files.get_text(features_uri), outputs)

    def write_scores_page(
        self, scores_uri: str, offset: int = 0, limit: int | None = None
    ) -> dict[str, Any]:
        """Merge up to ``limit`` scores of the transform output (``id,score`` lines, in
        id order) from ``offset`` into the endpoints. Returns ``{"next_offset", "done",
        "written", "total"}`` for the state machine to call again until done."""
        limit = limit or self._write_limit
        scores = parse_scores(self._files.get_text(scores_uri))
        ids = sorted(scores)
        page = {i: scores[i] for i in ids[offset : offset + limit]}
        written = self._churn.scoring.write_scores(page)
        next_offset = offset + len(page)
        return {
            "next_offset": next_offset,
            "done": next_offset >= len(ids),
            "written": written,
            "total": len(ids),
        }
