"""Training, evaluation, selection and promotion of churn models.

Every run fits four candidates on the training window: the XGBoost model, the logistic
regression, the BG/NBD model and the recency rule. On the held-out window the one with
the best ROC-AUC is chosen (``clarion.domain.churn.selection``, with DeLong intervals
on its lead), and it replaces the current model only if it beats it on the same
window. Every candidate is kept; the promoted pointer names the one that scores.

Locally :meth:`ChurnTraining.train` does it all in process. On AWS SageMaker trains and
applies the XGBoost model, and the evaluation Lambda hands the transform outputs and
the features query's result to :meth:`ChurnTraining.evaluate_outputs`, which fits the
baselines in plain Python and chooses the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from clarion.domain.churn.datasets import parse_feature_csv, parse_scores
from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.metrics import ScoreMetrics, calibration, lift_curve, roc_points
from clarion.domain.churn.model import (
    BTYD_FEATURES,
    DEFAULT_HYPERPARAMETERS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    SPLIT_COLUMN,
    ChurnConfig,
    ModelRecord,
    TimeSplit,
    day_start,
)
from clarion.domain.churn.scorers import (
    BTYD,
    XGBOOST,
    RecencyRule,
    baseline_archive,
    fit_btyd,
    fit_logistic,
    load_baseline,
    score_rows,
)
from clarion.domain.churn.selection import CANDIDATES, replacement_decision, select_scorer
from clarion.ports.churn import ChurnLearner, ChurnModelStore
from clarion.services.churn.candidates import (
    fit_candidates,
    model_scores,
    varying_feature_rows,
)
from clarion.services.churn.datasets import ChurnDatasets, FeatureFrame
from clarion.services.churn.history import ChurnHistory
from clarion.services.churn.shared import EVALUATION_DOC, iso, require_learner, utc_now


def candidate_ids(run_id: str) -> dict[str, str]:
    """The model id of each candidate of a training run (the XGBoost model keeps the
    run's own id: on AWS, its training job's name)."""
    return {kind: run_id if kind == XGBOOST else f"{run_id}-{kind}" for kind in CANDIDATES}


class ChurnTraining:
    """Train, evaluate, choose and promote churn models.

    Parameters
    ----------
    models
        Model artifacts, the promoted pointer and the evaluation documents.
    datasets
        The training and held-out rows.
    config
        The definition of churn and the promotion margin.
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

    def train(
        self,
        as_of: date | None = None,
        definition: ChurnDefinition | None = None,
        *,
        model_features: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Fit the candidates on the training window, evaluate them on the held-out
        window beside the current model and (for simulated data) the true
        probabilities, choose the best, and promote it if it beats the current model.

        ``model_features`` limits what the XGBoost model and the logistic regression
        read (by default every feature that varies on the training rows).

        Raises
        ------
        RuntimeError
            There is no in-process learner (AWS).
        ValueError
            The history is too short for a training and a held-out window.
        """
        learner = require_learner(self._learner)
        definition = definition or self._config.definition
        moment = day_start(as_of or self._clock())
        train, held_out = self.windows(moment, definition)
        candidates = fit_candidates(
            learner,
            train,
            held_out,
            definition,
            DEFAULT_HYPERPARAMETERS,
            model_features=model_features,
        )
        run_id = f"churn-{moment:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        records = self._records(
            run_id,
            moment,
            definition,
            candidates.model_features,
            candidates.hyperparameters,
        )
        scores: dict[str, list[float]] = dict(candidates.scores)
        current, not_comparable = self._comparable_current(definition)
        if current is not None and not_comparable is None:
            stored, archive = self._models.load_model(current.model_id)
            scores["current"] = model_scores(stored, archive, held_out, learner)
        oracle = self._oracle(moment, held_out, definition)
        if oracle is not None:
            scores["oracle"] = oracle
        result = self.evaluate(
            records,
            held_out.labels.tolist(),
            scores,
            as_of=moment,
            definition=definition,
            current=current,
            not_comparable=not_comparable,
            fits={"btyd": candidates.fits.get(BTYD, {})},
        )
        for kind, record in records.items():
            self._models.save_model(
                replace(record, metrics=result["metrics"][kind]), candidates.artifacts[kind]
            )
        if result["decision"]["promote"]:
            stored, _ = self._models.load_model(result["model_id"])
            self._models.promote(stored)
        return result

    def windows(
        self, moment: datetime, definition: ChurnDefinition
    ) -> tuple[FeatureFrame, FeatureFrame]:
        """The training and held-out rows at ``moment``.

        Raises
        ------
        ValueError
            Either window has no rows.
        """
        frame = self._datasets.frame(moment, ["train", "eval"], definition)
        train, held_out = frame.select("train"), frame.select("eval")
        if not len(train) or not len(held_out):
            raise ValueError(
                f"not enough history before {moment.date()}: {len(train)} training and "
                f"{len(held_out)} held-out rows (need {2 * definition.label_days} days of "
                f"events with {', '.join(definition.activity_events)})"
            )
        return train, held_out

    def _records(
        self,
        run_id: str,
        moment: datetime,
        definition: ChurnDefinition,
        features: Mapping[str, Sequence[str]],
        hyperparameters: Mapping[str, str],
        artifact: str = "",
    ) -> dict[str, ModelRecord]:
        created = iso(self._clock())
        return {
            kind: ModelRecord(
                model_id=model_id,
                as_of=moment.date().isoformat(),
                created=created,
                hyperparameters=dict(hyperparameters) if kind == XGBOOST else {},
                features=tuple(features[kind]),
                artifact=artifact if kind == XGBOOST else "",
                kind=kind,
                definition=definition.to_json(),
            )
            for kind, model_id in candidate_ids(run_id).items()
        }

    def _comparable_current(
        self, definition: ChurnDefinition
    ) -> tuple[ModelRecord | None, str | None]:
        """The promoted model, and why it cannot score this window (None if it can)."""
        current = self._models.promoted()
        if current is None:
            return None, None
        if current.churn_definition != definition:
            return current, (
                f"the current model {current.model_id} defines churn otherwise "
                f"({current.churn_definition.describe()}): not compared, replaced"
            )
        if any(name not in FEATURE_COLUMNS for name in current.features):
            return current, (
                f"the current model {current.model_id} was trained on features this "
                "version does not compute: not compared, replaced"
            )
        return current, None

    def _oracle(
        self, as_of: datetime, held_out: FeatureFrame, definition: ChurnDefinition
    ) -> list[float] | None:
        # The simulator's truth is about sessions: only for the default definition.
        if self._history is None or definition != ChurnDefinition():
            return None
        cutoff = TimeSplit.of(as_of, definition.label_days).eval_cutoff
        return self._history.true_churn_probabilities(
            [str(i) for i in held_out.ids.tolist()], cutoff
        )

    def evaluate(
        self,
        records: Mapping[str, ModelRecord],
        labels: Sequence[int],
        scores: Mapping[str, Sequence[float]],
        *,
        as_of: datetime,
        definition: ChurnDefinition,
        current: ModelRecord | None = None,
        not_comparable: str | None = None,
        fits: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Metrics of every scorer on the held-out rows, the chosen candidate (best
        ROC-AUC, DeLong intervals on its lead) and whether it replaces the current
        model (``scores["current"]``, when it could score these rows). Stored as the
        latest evaluation (``evaluation`` document)."""
        labels = [int(y) for y in labels]
        metrics = {name: ScoreMetrics.of(labels, list(s)).to_json() for name, s in scores.items()}
        selection = select_scorer(labels, {k: scores[k] for k in CANDIDATES if k in scores})
        winner = selection.winner
        decision = replacement_decision(
            labels,
            winner,
            scores[winner],
            scores.get("current"),
            min_gain=self._config.min_auc_gain,
            not_comparable=not_comparable,
        ).to_json()
        decision["current_model_id"] = current.model_id if current is not None else None
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
        split = TimeSplit.of(as_of, definition.label_days)
        result = {
            "model_id": records[winner].model_id,
            "chosen": winner,
            "candidates": {kind: record.model_id for kind, record in records.items()},
            "as_of": as_of.date().isoformat(),
            "definition": definition.to_json(),
            "held_out_window": {
                "features_before": iso(split.eval_cutoff),
                "labels_from": iso(split.eval_cutoff),
                "labels_until": iso(split.as_of),
            },
            "rows": len(labels),
            "metrics": metrics,
            "auc": metrics[winner]["auc"],
            "pr_auc": metrics[winner]["pr_auc"],
            "top_decile_lift": metrics[winner]["top_decile_lift"],
            "selection": selection.to_json(),
            "decision": decision,
            "features": list(records[XGBOOST].features),
            "fits": dict(fits or {}),
            "config": self._config.with_definition(definition).to_json(),
            "curves": curves,
        }
        self._models.put_document(EVALUATION_DOC, result)
        return result

    # -- on AWS: SageMaker's outputs, baselines fitted here ---------------------------------

    def evaluate_outputs(
        self,
        record: ModelRecord,
        features_csv: str,
        outputs: Mapping[str, str],
    ) -> dict[str, Any]:
        """Evaluate a SageMaker-trained candidate from the batch transform outputs
        (``id,score`` lines of the held-out input: ``model``, and ``current`` when the
        promoted model is an XGBoost one that could score it) beside the baselines,
        fitted here in plain Python on the training rows of the features query's CSV
        result (``features_csv``); choose, and promote the winner if it beats the
        current model. ``record`` is the XGBoost candidate (its ``artifact`` the
        training job's ``model.tar.gz``, ``features`` what it was trained on)."""
        definition = record.churn_definition
        rows = parse_feature_csv(features_csv)
        train = [r for r in rows if r[SPLIT_COLUMN] == "train"]
        parsed = {name: parse_scores(text) for name, text in outputs.items()}
        held_out = [
            r
            for r in rows
            if r[SPLIT_COLUMN] == "eval" and all(r[ID_COLUMN] in p for p in parsed.values())
        ]
        labels = [int(r[LABEL_COLUMN]) for r in held_out]
        ids = [str(r[ID_COLUMN]) for r in held_out]
        train_labels = [int(r[LABEL_COLUMN]) for r in train]
        features = tuple(record.features) or varying_feature_rows(train)
        logistic = fit_logistic(train, train_labels, features)
        btyd = fit_btyd(
            [{n: r.get(n) for n in BTYD_FEATURES} for r in train], definition.label_days
        )
        recency = RecencyRule(float(definition.lookback_days))
        scores: dict[str, list[float]] = {XGBOOST: [parsed["model"][i] for i in ids]}
        for model in (logistic, btyd, recency):
            scores[model.kind] = score_rows(model, held_out)
        current, not_comparable = self._comparable_current(definition)
        if current is not None and not_comparable is None:
            if "current" in parsed:
                scores["current"] = [parsed["current"][i] for i in ids]
            elif current.kind != XGBOOST:
                _, archive = self._models.load_model(current.model_id)
                scores["current"] = score_rows(load_baseline(archive), held_out)
            else:
                not_comparable = f"the current model {current.model_id} was not scored"
        moment = day_start(datetime.fromisoformat(record.as_of))
        run_id = record.model_id
        records = self._records(
            run_id,
            moment,
            definition,
            {
                XGBOOST: features,
                "logistic": logistic.features,
                "btyd": btyd.features,
                "recency": recency.features,
            },
            record.hyperparameters,
            artifact=record.artifact,
        )
        result = self.evaluate(
            records,
            labels,
            scores,
            as_of=moment,
            definition=definition,
            current=current,
            not_comparable=not_comparable,
            fits={"btyd": btyd.fit},
        )
        self._models.put_document(f"evaluation-{run_id}", result)
        archives = {m.kind: baseline_archive(m) for m in (logistic, btyd, recency)}
        for kind, candidate in records.items():
            candidate = replace(candidate, metrics=result["metrics"][kind])
            if kind == XGBOOST:
                self._register(candidate)
            else:
                self._models.save_model(candidate, archives[kind])
        winner, _ = self._models.load_model(result["model_id"])
        promoted = bool(result["decision"]["promote"])
        if promoted:
            self._models.promote(winner)
        return {
            "model_id": result["model_id"],
            "chosen": result["chosen"],
            "promoted": promoted,
            "decision": result["decision"],
            "selection": result["selection"],
            "auc": result["auc"],
            "pr_auc": result["pr_auc"],
            "top_decile_lift": result["top_decile_lift"],
            "rows": result["rows"],
        }

    def _register(self, record: ModelRecord) -> None:
        """Keep the record of a model whose artifact SageMaker already wrote."""
        register = getattr(self._models, "register", None)
        if callable(register):
            register(record)
        else:  # a store that keeps the bytes itself: copy them in
            raise RuntimeError("this model store cannot register an artifact it does not hold")
