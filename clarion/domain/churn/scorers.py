"""The baselines as models that can be kept, promoted and used to score: the logistic
regression, the recency rule and the BG/NBD model, each a small JSON document (its
``kind`` and parameters) and a plain-Python score of a feature row, so the Lambda
functions can score with them (and fit them) without numpy.

The logistic regression is the one the local learner fits with scikit-learn (counts
and amounts on a log scale, standardised, L2 penalty ``C = 1``, intercept not
penalised); :func:`fit_logistic` fits the same model by Newton's method (iteratively
reweighted least squares) where there is no scikit-learn: in the evaluation Lambda,
on a seeded sample of at most :data:`LOGISTIC_FIT_ROWS` training rows (plain Python
costs ``rows x features^2`` per step).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clarion.domain.churn.btyd import (
    BgNbdParameters,
    LikelihoodFactory,
    fit_bgnbd,
    p_no_activity,
)
from clarion.domain.churn.model import BTYD_FEATURES, RECENCY_FEATURE

XGBOOST = "xgboost"
LOGISTIC = "logistic"
RECENCY = "recency"
BTYD = "btyd"
KINDS: tuple[str, ...] = (XGBOOST, LOGISTIC, BTYD, RECENCY)
LOGISTIC_FIT_ROWS = 5_000


def log_scale(value: float) -> float:
    """Counts and amounts on a log scale (rates and flags, at most 1, stay as they are):
    what the logistic regression sees."""
    return math.log1p(value) if value > 1 else value


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """``P(churn) = sigmoid(intercept + coef . standardise(log_scale(features)))``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    kind: str = field(default=LOGISTIC, init=False)

    def score(self, row: Mapping[str, Any]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += w * (log_scale(float(row.get(name) or 0.0)) - mu) / sd
        return _sigmoid(z)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }


@dataclass(frozen=True, slots=True)
class RecencyRule:
    """The longer since the last activity, the higher the risk: days since the last
    activity over the look-back, capped at 1."""

    lookback_days: float = 365.0
    kind: str = field(default=RECENCY, init=False)

    @property
    def features(self) -> tuple[str, ...]:
        return (RECENCY_FEATURE,)

    def score(self, row: Mapping[str, Any]) -> float:
        days = row.get(RECENCY_FEATURE)
        return min(
            1.0, float(days if days is not None else self.lookback_days) / self.lookback_days
        )

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "lookback_days": self.lookback_days}


@dataclass(frozen=True, slots=True)
class BtydModel:
    """BG/NBD on the activity days: the probability of no activity in the label
    window (``window_days``) given frequency, recency and age."""

    params: BgNbdParameters
    window_days: int
    fit: dict[str, Any] = field(default_factory=dict)
    kind: str = field(default=BTYD, init=False)

    @property
    def features(self) -> tuple[str, ...]:
        return BTYD_FEATURES

    def score(self, row: Mapping[str, Any]) -> float:
        x, t_x, age = (float(row.get(name) or 0.0) for name in BTYD_FEATURES)
        return p_no_activity(self.params, x, t_x, age, self.window_days)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": self.params.to_json(),
            "window_days": self.window_days,
            "fit": self.fit,
        }


Baseline = LogisticModel | RecencyRule | BtydModel


def baseline_from_json(data: Mapping[str, Any]) -> Baseline:
    """A baseline from its JSON document.

    Raises
    ------
    ValueError
        The document is not a baseline's.
    """
    kind = data.get("kind")
    if kind == LOGISTIC:
        return LogisticModel(
            tuple(data["features"]),
            tuple(float(v) for v in data["mean"]),
            tuple(float(v) for v in data["scale"]),
            tuple(float(v) for v in data["coef"]),
            float(data["intercept"]),
        )
    if kind == RECENCY:
        return RecencyRule(float(data.get("lookback_days", 365.0)))
    if kind == BTYD:
        return BtydModel(
            BgNbdParameters.from_json(data["params"]),
            int(data["window_days"]),
            dict(data.get("fit") or {}),
        )
    raise ValueError(f"not a baseline model: kind {kind!r}")


def baseline_archive(model: Baseline) -> bytes:
    """What is stored as the artifact of a baseline: its JSON document."""
    return json.dumps(model.to_json(), sort_keys=True).encode()


def load_baseline(archive: bytes) -> Baseline:
    """A baseline from its stored artifact."""
    return baseline_from_json(json.loads(archive.decode()))


def score_rows(model: Baseline, rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each row's churn score, in order."""
    return [model.score(row) for row in rows]


# -- fitting where there is no numpy ---------------------------------------------------


def fit_btyd(
    rows: Sequence[Mapping[str, Any]],
    window_days: int,
    likelihood: LikelihoodFactory | None = None,
) -> BtydModel:
    """The BG/NBD model fitted on the rows' histories (training rows: labels unused);
    ``likelihood`` a vectorised twin of the plain one, where numpy is at hand."""
    x, t_x, age = ([float(row.get(name) or 0.0) for row in rows] for name in BTYD_FEATURES)
    fitted = fit_bgnbd(x, t_x, age, likelihood=likelihood)
    return BtydModel(fitted.params, window_days, fitted.to_json())


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """``matrix^-1 vector`` for a symmetric positive definite matrix (Cholesky)."""
    n = len(vector)
    lower = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            total = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                lower[i][i] = math.sqrt(max(total, 1e-12))
            else:
                lower[i][j] = total / lower[j][j]
    y = [0.0] * n
    for i in range(n):
        y[i] = (vector[i] - sum(lower[i][k] * y[k] for k in range(i))) / lower[i][i]
    out = [0.0] * n
    for i in reversed(range(n)):
        out[i] = (y[i] - sum(lower[k][i] * out[k] for k in range(i + 1, n))) / lower[i][i]
    return out


def fit_logistic(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    features: Sequence[str],
    *,
    c: float = 1.0,
    max_rows: int = LOGISTIC_FIT_ROWS,
    iterations: int = 25,
    seed: int = 0,
) -> LogisticModel:
    """The logistic regression fitted by Newton's method on at most ``max_rows`` rows
    (a seeded sample): the same model as scikit-learn's ``LogisticRegression(C=c)`` on
    standardised log-scaled features.

    Raises
    ------
    ValueError
        No rows, or labels of one class only.
    """
    if len(rows) != len(labels) or not rows:
        raise ValueError("one label per row, and at least one row")
    if len(set(int(y) for y in labels)) < 2:
        raise ValueError("the logistic regression needs both churned and retained rows")
    chosen = list(range(len(rows)))
    if len(chosen) > max_rows:
        chosen = sorted(random.Random(seed).sample(chosen, max_rows))  # noqa: S311 - not a secret
    names = tuple(features)
    raw = [[log_scale(float(rows[i].get(n) or 0.0)) for n in names] for i in chosen]
    ys = [float(labels[i]) for i in chosen]
    count = len(raw)
    mean = [sum(r[j] for r in raw) / count for j in range(len(names))]
    scale = []
    for j, mu in enumerate(mean):
        sd = math.sqrt(sum((r[j] - mu) ** 2 for r in raw) / count)
        scale.append(sd if sd > 0 else 1.0)  # as scikit-learn's StandardScaler
    data = [[1.0] + [(r[j] - mean[j]) / scale[j] for j in range(len(names))] for r in raw]
    k = len(names) + 1
    weights = [0.0] * k
    for _ in range(iterations):
        gradient = [0.0] + [w / c for w in weights[1:]]
        hessian = [[(1.0 / c if i == j and i > 0 else 0.0) for j in range(k)] for i in range(k)]
        for row, y in zip(data, ys, strict=True):
            p = _sigmoid(sum(w * v for w, v in zip(weights, row, strict=True)))
            error, curvature = p - y, max(p * (1 - p), 1e-12)
            for i in range(k):
                gradient[i] += error * row[i]
                scaled = curvature * row[i]
                hessian_row = hessian[i]
                for j in range(i + 1):
                    hessian_row[j] += scaled * row[j]
        for i in range(k):
            for j in range(i + 1, k):
                hessian[i][j] = hessian[j][i]
        step = _solve(hessian, gradient)
        weights = [w - s for w, s in zip(weights, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return LogisticModel(names, tuple(mean), tuple(scale), tuple(weights[1:]), weights[0])
