"""The retention uplift (treated against holdout) with a confidence interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# -- uplift ---------------------------------------------------------------------------


def _z(confidence: float) -> float:
    """Two-sided normal quantile (inverse error function by bisection)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    target = confidence
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if math.erf(mid / math.sqrt(2)) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Uplift:
    """Retention of the treated group minus the holdout's, with Newcombe's hybrid
    Wilson interval for a difference of independent proportions."""

    treated: int
    treated_retained: int
    holdout: int
    holdout_retained: int
    treated_rate: float
    holdout_rate: float
    uplift: float
    low: float
    high: float
    confidence: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def retention_uplift(
    treated_retained: int,
    treated: int,
    holdout_retained: int,
    holdout: int,
    confidence: float = 0.95,
) -> Uplift:
    """Uplift in retention, treated minus holdout, with a ``confidence`` interval
    (Newcombe 1998, method 10: combines the two groups' Wilson intervals)."""
    if treated <= 0 or holdout <= 0:
        raise ValueError("both the treated group and the holdout must be non-empty")
    if not (0 <= treated_retained <= treated and 0 <= holdout_retained <= holdout):
        raise ValueError("retained counts must be between 0 and the group size")
    p1, p2 = treated_retained / treated, holdout_retained / holdout
    l1, u1 = wilson_interval(treated_retained, treated, confidence)
    l2, u2 = wilson_interval(holdout_retained, holdout, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Uplift(
        treated, treated_retained, holdout, holdout_retained, p1, p2, d, low, high, confidence
    )
