"""The candidates that may score customers, fitted on a training window and applied to
feature frames: the XGBoost model, the logistic regression, the BG/NBD model and the
recency rule (``clarion.domain.churn.selection`` chooses among them).

Features with no information for this business are left out: a column that is the
same on every training row (a shop without sessions has no session counts and the
same "days since the last session" for everyone) would only be a misleading constant,
so each model records the features it was trained on, and is applied to those.

numpy is imported inside the functions: the Lambda functions import this module but
score and fit in plain Python (``clarion.domain.churn.scorers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from clarion.domain.churn.btyd import BgNbdParameters
from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.model import BTYD_FEATURES, FEATURE_COLUMNS, ModelRecord
from clarion.domain.churn.scorers import (
    BTYD,
    LOGISTIC,
    RECENCY,
    XGBOOST,
    Baseline,
    BtydModel,
    LogisticModel,
    RecencyRule,
    baseline_archive,
    fit_btyd,
    fit_logistic,
    load_baseline,
)
from clarion.ports.churn import ChurnLearner, ColumnarChurnLearner
from clarion.services.churn.datasets import FeatureFrame
from clarion.services.churn.shared import floats, is_columnar_learner


def varying_features(frame: FeatureFrame) -> tuple[str, ...]:
    """The features that are not the same on every row of ``frame`` (the training
    rows), in :data:`FEATURE_COLUMNS` order."""
    import numpy as np

    if len(frame) == 0:
        return ()
    matrix = frame.features
    varies = np.any(matrix != matrix[:1], axis=0)
    return tuple(name for name, keep in zip(FEATURE_COLUMNS, varies.tolist(), strict=True) if keep)


def varying_feature_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """:func:`varying_features` of row dicts (the AWS steps, without numpy)."""
    if not rows:
        return ()
    first = rows[0]
    return tuple(
        name
        for name in FEATURE_COLUMNS
        if any((row.get(name) or 0.0) != (first.get(name) or 0.0) for row in rows)
    )


def vectorised_likelihood(
    x: list[float], t_x: list[float], age: list[float], weights: list[float]
) -> Callable[[BgNbdParameters], float]:
    """The BG/NBD log-likelihood of these histories with numpy and scipy: the same value
    as ``clarion.domain.churn.btyd.log_likelihood`` (tested), each evaluation one pass
    of array operations instead of a Python loop (the local fit)."""
    import numpy as np
    from scipy.special import gammaln

    xs, txs, ts, ws = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age, weights))
    repeat = xs > 0

    def of(params: BgNbdParameters) -> float:
        r, alpha, a, b = params.r, params.alpha, params.a, params.b
        shared = (
            gammaln(r + xs)
            + gammaln(b + xs)
            - gammaln(a + b + xs)
            - (gammaln(r) - r * np.log(alpha) + gammaln(b) - gammaln(a + b))
        )
        alive = -(r + xs) * np.log(alpha + ts)
        with np.errstate(divide="ignore", invalid="ignore"):
            dropped = np.log(a) - np.log(b + xs - 1) - (r + xs) * np.log(alpha + txs)
        value = np.where(repeat, np.logaddexp(alive, np.where(repeat, dropped, -np.inf)), alive)
        return float(np.sum((shared + value) * ws))

    return of


def _bgnbd_scores(model: BtydModel, frame: FeatureFrame) -> list[float]:
    import numpy as np

    x, t_x, age = (frame.column(name).astype(np.float64) for name in BTYD_FEATURES)
    p = model.params
    exponent = p.r + x
    with np.errstate(over="ignore", divide="ignore"):
        log_odds = (
            np.log(p.a)
            - np.log(np.maximum(p.b + x - 1, 1e-300))
            + exponent * (np.log(p.alpha + age) - np.log(p.alpha + t_x))
        )
        alive = np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)
        quiet = np.exp(
            exponent * (np.log(p.alpha + age) - np.log(p.alpha + age + model.window_days))
        )
    return floats((1.0 - alive) + alive * quiet)


def baseline_scores(model: Baseline, frame: FeatureFrame) -> list[float]:
    """A baseline's churn score of every row of ``frame`` (vectorised; the same as
    its plain-Python ``score``)."""
    import numpy as np

    if len(frame) == 0:
        return []
    if isinstance(model, LogisticModel):
        x = frame.columns(model.features).astype(np.float64)
        logged = np.where(x > 1, np.log1p(np.maximum(x, 0)), x)
        z = ((logged - np.asarray(model.mean)) / np.asarray(model.scale)) @ np.asarray(
            model.coef
        ) + model.intercept
        return floats(1.0 / (1.0 + np.exp(-z)))
    if isinstance(model, RecencyRule):
        days = frame.column(model.features[0]).astype(np.float64)
        return floats(np.minimum(1.0, days / model.lookback_days))
    return _bgnbd_scores(model, frame)


def model_scores(
    record: ModelRecord,
    archive: bytes,
    frame: FeatureFrame,
    learner: ChurnLearner | None,
) -> list[float]:
    """What a stored model (of any kind) scores the rows of ``frame``, on the features
    it records.

    Raises
    ------
    RuntimeError
        An XGBoost model where there is no in-process learner (AWS).
    """
    if record.kind != XGBOOST:
        return baseline_scores(load_baseline(archive), frame)
    if learner is None:
        raise RuntimeError("no in-process learner: on AWS, XGBoost scores on SageMaker")
    if is_columnar_learner(learner):
        columnar = cast(ColumnarChurnLearner, learner)
        return floats(columnar.predict_arrays(archive, frame.columns(record.features)))
    return learner.predict(archive, frame.rows(record.features))


@dataclass
class Candidates:
    """The candidates fitted on one training window: each one's stored artifact, the
    features it reads, and its scores of the held-out rows."""

    features: tuple[str, ...]
    hyperparameters: dict[str, str]
    artifacts: dict[str, bytes] = field(default_factory=dict)
    model_features: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scores: dict[str, list[float]] = field(default_factory=dict)
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)


def fit_candidates(
    learner: ChurnLearner,
    train: FeatureFrame,
    held_out: FeatureFrame,
    definition: ChurnDefinition,
    hyperparameters: Mapping[str, str],
    *,
    model_features: Sequence[str] | None = None,
) -> Candidates:
    """Fit every candidate on ``train`` and score ``held_out`` with it.

    ``model_features`` limits what XGBoost and the logistic regression may read (the
    varying features by default).

    Raises
    ------
    ValueError
        No feature varies on the training rows, or they are of one class only.
    """
    features = tuple(
        f for f in (model_features or varying_features(train)) if f in varying_features(train)
    )
    if not features:
        raise ValueError("no feature varies across the training rows: nothing to learn from")
    labels = train.labels
    out = Candidates(features, dict(hyperparameters))
    x_train, x_held = train.columns(features), held_out.columns(features)
    if is_columnar_learner(learner):
        columnar = cast(ColumnarChurnLearner, learner)
        archive, used = columnar.fit_arrays(x_train, labels, hyperparameters)
        out.scores[XGBOOST] = floats(columnar.predict_arrays(archive, x_held))
        params = columnar.logistic_arrays(x_train, labels)
        logistic = LogisticModel(
            features,
            tuple(params["mean"]),
            tuple(params["scale"]),
            tuple(params["coef"]),
            float(params["intercept"]),
        )
    else:
        train_rows = train.rows(features)
        archive = learner.fit(train_rows, hyperparameters)
        used = dict(hyperparameters)
        out.scores[XGBOOST] = learner.predict(archive, held_out.rows(features))
        logistic = fit_logistic(train_rows, labels.tolist(), features)
    out.hyperparameters = used
    out.artifacts[XGBOOST] = archive
    out.model_features[XGBOOST] = features
    recency = RecencyRule(float(definition.lookback_days))
    btyd = fit_btyd(train.rows(BTYD_FEATURES), definition.label_days, vectorised_likelihood)
    out.fits[BTYD] = btyd.fit
    for model in (logistic, btyd, recency):
        out.artifacts[model.kind] = baseline_archive(model)
        out.model_features[model.kind] = tuple(model.features)
        out.scores[model.kind] = baseline_scores(model, held_out)
    return out


__all__ = [
    "BTYD",
    "LOGISTIC",
    "RECENCY",
    "XGBOOST",
    "Candidates",
    "baseline_scores",
    "fit_candidates",
    "model_scores",
    "varying_feature_rows",
    "varying_features",
]
