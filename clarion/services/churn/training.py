"""Training, evaluation and promotion of churn models.

Locally :meth:`ChurnTraining.train` fits the candidate in process and evaluates it on the
held-out window beside the current model, the logistic baseline, the recency rule and
(for simulated data) the true probabilities. On AWS SageMaker trains and scores, and the
evaluation Lambda hands the transform outputs to :meth:`ChurnTraining.evaluate_outputs`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from clarion.domain.churn.datasets import parse_scores
from clarion.domain.churn.metrics import (
    ScoreMetrics,
    calibration,
    lift_curve,
    recency_rule_scores,
    roc_points,
)
from clarion.domain.churn.model import (
    DEFAULT_HYPERPARAMETERS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    RECENCY_FEATURE,
    ChurnConfig,
    ModelRecord,
    TimeSplit,
    day_start,
)
from clarion.domain.churn.promotion import promotion_decision
from clarion.ports.churn import ChurnLearner, ChurnModelStore
from clarion.services.churn.datasets import ChurnDatasets, FeatureFrame
from clarion.services.churn.history import ChurnHistory
from clarion.services.churn.shared import (
    EVALUATION_DOC,
    floats,
    is_columnar_learner,
    iso,
    require_learner,
    utc_now,
)


class ChurnTraining:
    """Train, evaluate and promote churn models.

    Parameters
    ----------
    models
        Model artifacts, the promoted pointer and the evaluation documents.
    datasets
        The training and held-out rows.
    config
        Windows and the promotion margin.
    learner
        Fits and applies models in process (None on AWS, where SageMaker does).
    history
        The simulated history, for the oracle baseline (optional).
    """

    def __init__(
        self,
        models: ChurnModelStore,
        datasets: ChurnDatasets,
        config: ChurnConfig,
        *,
        learner: ChurnLearner | None = None,
        history: ChurnHistory | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._models = models
        self._datasets = datasets
        self._config = config
        self._learner = learner
        self._history = history
        self._clock = clock

    def train(self, as_of: date | None = None) -> dict[str, Any]:
        """Train a candidate on the training window, evaluate it on the held-out window
        beside the current model, the logistic baseline, the recency rule and (for
        simulated data) the true probabilities; promote it if it beats the current one.

        Raises
        ------
        RuntimeError
            There is no in-process learner (AWS).
        ValueError
            The history is too short for a training and a held-out window.
        """
        learner = require_learner(self._learner)
        moment = day_start(as_of or self._clock())
        frame = self._datasets.frame(moment, ["train", "eval"])
        train, held_out = frame.select("train"), frame.select("eval")
        del frame
        if not len(train) or not len(held_out):
            raise ValueError(
                f"not enough history before {moment.date()}: {len(train)} training and "
                f"{len(held_out)} held-out rows (need {2 * self._config.label_days} days "
                "of events)"
            )
        hyperparameters = dict(DEFAULT_HYPERPARAMETERS)
        model_id = f"churn-{moment:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        current = self._models.promoted()
        # A model trained on another feature list cannot score these rows: it is not
        # compared (the candidate is then promoted as the first of the new features).
        comparable = current is not None and tuple(current.features) == FEATURE_COLUMNS
        current_archive = (
            self._models.load_model(current.model_id)[1]
            if current is not None and comparable
            else None
        )
        archive, hyperparameters, scores = self._fit_and_score(
            learner, train, held_out, hyperparameters, current_archive
        )
        scores["recency"] = recency_rule_scores(held_out.recency_rows())
        oracle = self._oracle(moment, held_out)
        if oracle is not None:
            scores["oracle"] = oracle
        rows = [
            {ID_COLUMN: i, LABEL_COLUMN: int(y)}
            for i, y in zip(held_out.ids.tolist(), held_out.labels.tolist(), strict=True)
        ]
        record = ModelRecord(
            model_id=model_id,
            as_of=moment.date().isoformat(),
            created=iso(self._clock()),
            hyperparameters=hyperparameters,
        )
        result = self.evaluate_candidate(record, rows, scores)
        # Every candidate is kept; only a promoted one is used for scoring.
        self._models.save_model(
            ModelRecord.from_json({**record.to_json(), "metrics": result["metrics"]["model"]}),
            archive,
        )
        if result["decision"]["promote"]:
            stored, _ = self._models.load_model(model_id)
            self._models.promote(stored)
        return result

    @staticmethod
    def _fit_and_score(
        learner: ChurnLearner,
        train: FeatureFrame,
        held_out: FeatureFrame,
        hyperparameters: dict[str, str],
        current_archive: bytes | None,
    ) -> tuple[bytes, dict[str, str], dict[str, list[float]]]:
        """Fit the candidate; score the held-out rows with it, the logistic baseline and
        the current model (when comparable). On matrices when the learner takes them."""
        scores: dict[str, list[float]]
        if is_columnar_learner(learner):
            columnar: Any = learner
            archive, hyperparameters = columnar.fit_arrays(
                train.features, train.labels, hyperparameters
            )
            scores = {
                "model": floats(columnar.predict_arrays(archive, held_out.features)),
                "logistic": floats(
                    columnar.baseline_arrays(train.features, train.labels, held_out.features)
                ),
            }
            if current_archive is not None:
                scores["current"] = floats(
                    columnar.predict_arrays(current_archive, held_out.features)
                )
            return archive, hyperparameters, scores
        train_rows, held_rows = train.rows(), held_out.rows()
        archive = learner.fit(train_rows, hyperparameters)
        scores = {
            "model": learner.predict(archive, held_rows),
            "logistic": learner.baseline(train_rows, held_rows),
        }
        if current_archive is not None:
            scores["current"] = learner.predict(current_archive, held_rows)
        return archive, hyperparameters, scores

    def _oracle(self, as_of: datetime, held_out: FeatureFrame) -> list[float] | None:
        if self._history is None:
            return None
        cutoff = TimeSplit.of(as_of, self._config.label_days).eval_cutoff
        return self._history.true_churn_probabilities(
            [str(i) for i in held_out.ids.tolist()], cutoff
        )

    def evaluate_candidate(
        self,
        record: ModelRecord,
        rows: Sequence[Mapping[str, Any]],
        scores: Mapping[str, Sequence[float]],
    ) -> dict[str, Any]:
        """Metrics of every scorer on the held-out rows and the promotion decision for
        the candidate (``scores["model"]``) against ``scores["current"]`` when given.
        The evaluation is stored as the latest (``evaluation`` document)."""
        labels = [int(row[LABEL_COLUMN]) for row in rows]
        metrics = {name: ScoreMetrics.of(labels, list(s)).to_json() for name, s in scores.items()}
        current_auc = metrics["current"]["auc"] if "current" in metrics else None
        decision = promotion_decision(
            metrics["model"]["auc"] if metrics["model"]["auc"] is not None else float("nan"),
            current_auc,
            self._config.min_auc_gain,
        )
        curves = {
            name: {
                "roc": roc_points(labels, list(s)),
                "lift": lift_curve(labels, list(s)),
                "calibration": [
                    {"mean_score": b.mean_score, "churn_rate": b.churn_rate, "count": b.count}
                    for b in calibration(labels, list(s))
                ],
            }
            for name, s in scores.items()
        }
        split = TimeSplit.of(datetime.fromisoformat(record.as_of), self._config.label_days)
        result = {
            "model_id": record.model_id,
            "as_of": record.as_of,
            "held_out_window": {
                "features_before": iso(split.eval_cutoff),
                "labels_from": iso(split.eval_cutoff),
                "labels_until": iso(split.as_of),
            },
            "rows": len(labels),
            "metrics": metrics,
            "auc": metrics["model"]["auc"],
            "pr_auc": metrics["model"]["pr_auc"],
            "top_decile_lift": metrics["model"]["top_decile_lift"],
            "decision": decision.to_json(),
            "config": self._config.to_json(),
            "curves": curves,
        }
        self._models.put_document(EVALUATION_DOC, result)
        return result

    def promote_if_better(self, record: ModelRecord, evaluation: Mapping[str, Any]) -> bool:
        """Promote ``record`` when the evaluation's decision says so (AWS step)."""
        if evaluation["decision"]["promote"]:
            self._models.promote(record)
            return True
        return False

    def evaluate_outputs(
        self,
        record: ModelRecord,
        eval_labels: str,
        outputs: Mapping[str, str],
        eval_features: str | None = None,
    ) -> dict[str, Any]:
        """Evaluate batch transform outputs (``id,score`` lines per scorer: ``model``,
        and ``current`` when there is a promoted model) against the held-out labels;
        promote the candidate when it wins. ``eval_features`` (the transform input)
        adds the recency rule."""
        labels = {
            r[ID_COLUMN]: int(r[LABEL_COLUMN]) for r in csv.DictReader(io.StringIO(eval_labels))
        }
        parsed = {name: parse_scores(text) for name, text in outputs.items()}
        ids = [i for i in labels if all(i in p for p in parsed.values())]
        rows = [{ID_COLUMN: i, LABEL_COLUMN: labels[i]} for i in ids]
        scores = {name: [p[i] for i in ids] for name, p in parsed.items()}
        if eval_features:
            recency = {}
            position = 1 + FEATURE_COLUMNS.index(RECENCY_FEATURE)
            for line in eval_features.splitlines():
                parts = line.split(",")
                if len(parts) > position:
                    recency[parts[0]] = {RECENCY_FEATURE: float(parts[position])}
            scores["recency"] = recency_rule_scores([recency.get(i, {}) for i in ids])
        result = self.evaluate_candidate(record, rows, scores)
        self._models.put_document(f"evaluation-{record.model_id}", result)
        record = ModelRecord.from_json({**record.to_json(), "metrics": result["metrics"]["model"]})
        promoted = self.promote_if_better(record, result)
        return {
            "model_id": record.model_id,
            "promoted": promoted,
            "decision": result["decision"],
            "auc": result["auc"],
            "pr_auc": result["pr_auc"],
            "top_decile_lift": result["top_decile_lift"],
            "rows": result["rows"],
        }
