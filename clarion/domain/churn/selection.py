"""Choosing what scores customers by evidence: the candidates' ROC-AUC on the held-out
window, the difference between two of them with DeLong's confidence interval, the
winner, and whether it replaces the current model.

DeLong, DeLong and Clarke-Pearson (1988) give the variance of the difference of two
correlated AUCs (the same rows scored twice) from each row's placement values; they
are computed here by sorting (Sun and Xu, 2014, use the same midrank idea), in plain
Python so that the evaluation Lambda needs no numpy.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from clarion.domain.common.intervals import normal_quantile

CANDIDATES: tuple[str, ...] = ("xgboost", "logistic", "btyd", "recency")
"""What may score customers. On a tie the one named later wins: the simpler scorer."""
BASELINES: tuple[str, ...] = ("logistic", "btyd", "recency")


def _placements(labels: Sequence[int], scores: Sequence[float]) -> tuple[list[float], ...]:
    """For each churned row, the share of retained rows it outscores (ties half); for
    each retained row, the share of churned rows that outscore it."""
    churned = [s for y, s in zip(labels, scores, strict=True) if y]
    retained = [s for y, s in zip(labels, scores, strict=True) if not y]
    low, high = sorted(retained), sorted(churned)
    n, m = len(low), len(high)
    v10 = [(bisect.bisect_left(low, s) + bisect.bisect_right(low, s)) / (2 * n) for s in churned]
    v01 = [
        (m - bisect.bisect_right(high, s) + m - bisect.bisect_left(high, s)) / (2 * m)
        for s in retained
    ]
    return v10, v01


def _covariance(u: Sequence[float], v: Sequence[float]) -> float:
    if len(u) < 2:
        return 0.0
    mu, mv = sum(u) / len(u), sum(v) / len(v)
    return sum((a - mu) * (b - mv) for a, b in zip(u, v, strict=True)) / (len(u) - 1)


@dataclass(frozen=True, slots=True)
class AucDifference:
    """``auc_a - auc_b`` on the same rows, with its ``confidence`` interval and the
    two-sided p-value of no difference (DeLong's test)."""

    a: str
    b: str
    auc_a: float
    auc_b: float
    difference: float
    low: float
    high: float
    p_value: float
    confidence: float
    method: str = "DeLong"

    def to_json(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def auc_difference(
    labels: Sequence[int],
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    *,
    names: tuple[str, str] = ("a", "b"),
    confidence: float = 0.95,
) -> AucDifference:
    """The difference of two scorers' ROC-AUC on the same labelled rows, with DeLong's
    interval.

    Raises
    ------
    ValueError
        The lists differ in length, or the rows are of one class only.
    """
    if not len(labels) == len(scores_a) == len(scores_b):
        raise ValueError("labels and both scorers' scores must have one value per row")
    if not any(labels) or all(labels):
        raise ValueError("the AUC needs both churned and retained rows")
    a10, a01 = _placements(labels, scores_a)
    b10, b01 = _placements(labels, scores_b)
    auc_a, auc_b = sum(a10) / len(a10), sum(b10) / len(b10)
    m, n = len(a10), len(a01)
    variance = (_covariance(a10, a10) + _covariance(b10, b10) - 2 * _covariance(a10, b10)) / m + (
        _covariance(a01, a01) + _covariance(b01, b01) - 2 * _covariance(a01, b01)
    ) / n
    difference = auc_a - auc_b
    se = math.sqrt(max(variance, 0.0))
    half = normal_quantile(confidence) * se
    if se > 0:
        p_value = math.erfc(abs(difference) / se / math.sqrt(2))
    else:
        p_value = 1.0 if difference == 0 else 0.0
    return AucDifference(
        names[0],
        names[1],
        auc_a,
        auc_b,
        difference,
        difference - half,
        difference + half,
        p_value,
        confidence,
    )


@dataclass(frozen=True, slots=True)
class Selection:
    """The candidate with the best held-out ROC-AUC, and how it compares with each of
    the others."""

    winner: str
    auc: float
    ranking: tuple[str, ...]
    comparisons: tuple[AucDifference, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "winner": self.winner,
            "auc": self.auc,
            "ranking": list(self.ranking),
            "comparisons": [c.to_json() for c in self.comparisons],
        }


def select_scorer(
    labels: Sequence[int],
    scores: Mapping[str, Sequence[float]],
    *,
    candidates: Sequence[str] = CANDIDATES,
    confidence: float = 0.95,
) -> Selection:
    """The candidate (of those in ``scores``) with the highest held-out ROC-AUC; on a
    tie, the simpler one (later in ``candidates``). Each other candidate is compared
    with it (winner minus other, DeLong).

    Raises
    ------
    ValueError
        No candidate has scores, or the rows are of one class only.
    """
    present = [c for c in candidates if c in scores]
    if not present:
        raise ValueError("no candidate scores to choose from")
    differences = {
        c: auc_difference(labels, scores[present[0]], scores[c], names=(present[0], c))
        for c in present
    }
    auc = {c: differences[c].auc_b for c in present}
    rank = {c: k for k, c in enumerate(present)}
    ranking = tuple(sorted(present, key=lambda c: (-auc[c], -rank[c])))
    winner = ranking[0]
    comparisons = tuple(
        auc_difference(labels, scores[winner], scores[c], names=(winner, c), confidence=confidence)
        for c in ranking[1:]
    )
    return Selection(winner, auc[winner], ranking, comparisons)


@dataclass(frozen=True, slots=True)
class Replacement:
    """Whether the chosen candidate replaces the current model, and why."""

    promote: bool
    reason: str
    candidate: str
    candidate_auc: float
    current_auc: float | None
    comparison: AucDifference | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "promote": self.promote,
            "reason": self.reason,
            "candidate": self.candidate,
            "candidate_auc": self.candidate_auc,
            "current_auc": self.current_auc,
            "comparison": None if self.comparison is None else self.comparison.to_json(),
        }


def replacement_decision(
    labels: Sequence[int],
    candidate: str,
    candidate_scores: Sequence[float],
    current_scores: Sequence[float] | None,
    *,
    min_gain: float = 0.0,
    not_comparable: str | None = None,
) -> Replacement:
    """The chosen candidate replaces the current model only if it beats it on the same
    held-out window by more than ``min_gain`` ROC-AUC. Without a current model, or with
    one that cannot score this window (``not_comparable`` says why), it is promoted."""
    from clarion.domain.churn.metrics import roc_auc

    auc = roc_auc(labels, candidate_scores)
    if math.isnan(auc):
        return Replacement(False, "candidate AUC undefined (one class only)", candidate, auc, None)
    if current_scores is None:
        reason = "no current model" if not_comparable is None else not_comparable
        return Replacement(True, reason, candidate, auc, None)
    comparison = auc_difference(
        labels, candidate_scores, current_scores, names=(candidate, "current")
    )
    current = comparison.auc_b
    if comparison.difference > min_gain:
        reason = f"{candidate} AUC {auc:.4f} beats current {current:.4f}"
        return Replacement(True, reason, candidate, auc, current, comparison)
    reason = f"{candidate} AUC {auc:.4f} does not beat current {current:.4f}" + (
        f" by more than {min_gain}" if min_gain else ""
    )
    return Replacement(False, reason, candidate, auc, current, comparison)
