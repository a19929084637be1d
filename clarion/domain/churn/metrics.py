"""Evaluation metrics of churn scores: ROC-AUC, PR-AUC, top-decile lift, lift curve,
ROC points, calibration, and the recency-rule baseline's scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from clarion.domain.churn.model import RECENCY_FEATURE

# -- metrics ----------------------------------------------------------------------------


def _check(labels: Sequence[int], scores: Sequence[float]) -> None:
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels but {len(scores)} scores")
    if not labels:
        raise ValueError("no rows to evaluate")


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic; ties count one half)."""
    _check(labels, scores)
    order = sorted(range(len(scores)), key=scores.__getitem__)
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        rank_sum += mid_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def pr_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Average precision: the area under the precision-recall curve (step-wise, tied
    scores taken together)."""
    _check(labels, scores)
    positives = sum(1 for y in labels if y)
    if positives == 0:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda k: -scores[k])
    total = 0.0
    hits = 0
    seen = 0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        group_hits = sum(1 for k in range(i, j + 1) if labels[order[k]])
        hits += group_hits
        seen += j - i + 1
        total += (hits / seen) * group_hits
        i = j + 1
    return total / positives


def top_fraction_lift(
    labels: Sequence[int], scores: Sequence[float], fraction: float = 0.1
) -> float:
    """Churn rate in the top ``fraction`` by score, over the overall rate."""
    _check(labels, scores)
    base = sum(labels) / len(labels)
    if base == 0:
        return float("nan")
    k = max(1, round(len(labels) * fraction))
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return (sum(labels[i] for i in order) / k) / base


def lift_curve(labels: Sequence[int], scores: Sequence[float], bins: int = 10) -> list[float]:
    """Lift of each score decile (highest scores first)."""
    _check(labels, scores)
    base = sum(labels) / len(labels)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    out = []
    for b in range(bins):
        chunk = order[b * len(order) // bins : (b + 1) * len(order) // bins]
        rate = sum(labels[i] for i in chunk) / len(chunk) if chunk else 0.0
        out.append(rate / base if base else float("nan"))
    return out


def roc_points(
    labels: Sequence[int], scores: Sequence[float], points: int = 101
) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) at up to ``points`` thresholds."""
    _check(labels, scores)
    positives = sum(1 for y in labels if y) or 1
    negatives = (len(labels) - sum(1 for y in labels if y)) or 1
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    step = max(1, len(order) // (points - 1))
    curve = [(0.0, 0.0)]
    tp = fp = 0
    for n, i in enumerate(order, start=1):
        if labels[i]:
            tp += 1
        else:
            fp += 1
        if n % step == 0 or n == len(order):
            curve.append((fp / negatives, tp / positives))
    return curve


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    mean_score: float
    churn_rate: float
    count: int


def calibration(
    labels: Sequence[int], scores: Sequence[float], bins: int = 10
) -> list[CalibrationBin]:
    """Observed churn rate against mean score, in equal-width score bins (empty bins
    left out)."""
    _check(labels, scores)
    sums = [[0.0, 0, 0] for _ in range(bins)]
    for y, s in zip(labels, scores, strict=True):
        b = min(bins - 1, max(0, int(s * bins)))
        sums[b][0] += s
        sums[b][1] += int(y)
        sums[b][2] += 1
    return [CalibrationBin(total / n, hits / n, int(n)) for total, hits, n in sums if n]


def expected_calibration_error(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Count-weighted mean gap between mean score and churn rate over the bins."""
    table = calibration(labels, scores)
    total = sum(b.count for b in table)
    return sum(abs(b.mean_score - b.churn_rate) * b.count for b in table) / total


@dataclass(frozen=True, slots=True)
class ScoreMetrics:
    """How well one set of scores ranks and calibrates churn on the held-out window."""

    auc: float
    pr_auc: float
    top_decile_lift: float
    calibration_error: float
    rows: int
    churn_rate: float

    @classmethod
    def of(cls, labels: Sequence[int], scores: Sequence[float]) -> ScoreMetrics:
        return cls(
            auc=roc_auc(labels, scores),
            pr_auc=pr_auc(labels, scores),
            top_decile_lift=top_fraction_lift(labels, scores),
            calibration_error=expected_calibration_error(labels, scores),
            rows=len(labels),
            churn_rate=sum(labels) / len(labels),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def recency_rule_scores(
    rows: Sequence[Mapping[str, Any]], lookback_days: float = 365.0
) -> list[float]:
    """The recency-only rule: the longer since the last activity, the higher the risk
    (days since last activity over the look-back, capped at 1)."""
    return [
        min(1.0, float(row.get(RECENCY_FEATURE) or lookback_days) / lookback_days) for row in rows
    ]
