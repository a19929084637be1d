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
from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS, ModelRecord
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
        sql, parameters = self._churn.datasets.query(as_of, splits)
        query_id = self._queries.start(sql, parameters)
        return {"query_execution_id": query_id, "as_of": as_of.isoformat()}

    def _query_result(self, query_execution_id: str) -> str:
        return self._files.get_text(self._queries.output_location(query_execution_id))

    def prepare_scoring(self, run_id: str, query_execution_id: str) -> dict[str, Any]:
        """Write the batch transform input from the finished query's result. Returns the
        job name, the promoted model and the input, output and scores locations, or
        ``skip`` (with the reason) when there is no promoted model or nobody to score."""
        result_csv = self._query_result(query_execution_id)
        model = self._models.promoted()
        body, rows = self._churn.datasets.scoring_input(result_csv)
        if model is None or rows == 0:
            reason = "no promoted model" if model is None else "no endpoints to score"
            return {"skip": True, "reason": reason, "rows": rows}
        prefix = _run_prefix(run_id, "score")
        input_uri = self._files.put_text(f"{prefix}/input/features.csv", body)
        return {
            "skip": False,
            "rows": rows,
            "job_name": sagemaker_job_name(SCORING_JOB_PREFIX, run_id),
            "model_id": model.model_id,
            "model_uri": model.artifact,
            "input_uri": input_uri,
            "output_uri": self._files.location(f"{prefix}/output"),
            "scores_uri": self._files.location(f"{prefix}/output/features.csv.out"),
        }

    def prepare_training(self, run_id: str, query_execution_id: str) -> dict[str, Any]:
        """Write the training CSV (label first, no header), the held-out transform input
        and the held-out labels from the finished query's result; returns where they are
        and where the model and the evaluation outputs go.

        Raises
        ------
        ValueError
            The training or the held-out window has no rows.
        """
        result_csv = self._query_result(query_execution_id)
        prefix = _run_prefix(run_id, "train")
        parts = self._churn.datasets.training_inputs(result_csv)
        if parts["train_rows"] == 0 or parts["eval_rows"] == 0:
            raise ValueError(
                f"not enough history: {parts['train_rows']} training and "
                f"{parts['eval_rows']} held-out rows"
            )
        files = self._files
        train_csv = files.put_text(f"{prefix}/train/train.csv", parts["train_csv"])
        return {
            # SageMaker's training channel reads every file under the folder.
            "train_uri": train_csv.rsplit("/", 1)[0],
            "eval_input_uri": files.put_text(
                f"{prefix}/eval/input/eval.csv", parts["eval_input_csv"]
            ),
            "eval_labels_uri": files.put_text(
                f"{prefix}/eval/labels.csv", parts["eval_labels_csv"]
            ),
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
        self, job_name: str, candidate_uri: str, input_uri: str, output_prefix: str
    ) -> dict[str, Any]:
        """Start batch transforms of the held-out input by the candidate and, when there
        is one, the promoted model. Returns ``{"jobs": {"model": ..., "current": ...}}``,
        each with its job name and output location."""
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
        if current is not None and current.artifact:
            started["current"] = {
                "job_name": jobs.start_transform(
                    f"{job_name}-curr"[:63],
                    current.artifact,
                    input_uri,
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
        eval_labels_uri: str,
        eval_input_uri: str,
        output_uris: Mapping[str, str],
    ) -> dict[str, Any]:
        """Evaluate the trained candidate from the transform outputs (by scorer) against
        the held-out labels, and promote it if it beats the promoted model. Returns the
        decision and the candidate's metrics."""
        record = ModelRecord(
            model_id=model_id,
            as_of=as_of,
            created=self._clock().isoformat(timespec="seconds"),
            hyperparameters=dict(DEFAULT_HYPERPARAMETERS),
            artifact=candidate_uri,
        )
        files = self._files
        outputs = {name: files.get_text(uri) for name, uri in output_uris.items()}
        return self._churn.training.evaluate_outputs(
            record,
            files.get_text(eval_labels_uri),
            outputs,
            eval_features=files.get_text(eval_input_uri),
        )

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
