"""The retention uplift (treated against holdout) with a confidence interval: the shared
difference of proportions (:mod:`clarion.domain.common.intervals`), named for retention."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clarion.domain.common.intervals import (
    DEFAULT_CONFIDENCE,
    difference_of_proportions,
    wilson_interval,
)

__all__ = ["Uplift", "retention_uplift", "wilson_interval"]


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
    confidence: float = DEFAULT_CONFIDENCE,
) -> Uplift:
    """Uplift in retention, treated minus holdout, with a ``confidence`` interval
    (Newcombe 1998, method 10: combines the two groups' Wilson intervals)."""
    if treated <= 0 or holdout <= 0:
        raise ValueError("both the treated group and the holdout must be non-empty")
    if not (0 <= treated_retained <= treated and 0 <= holdout_retained <= holdout):
        raise ValueError("retained counts must be between 0 and the group size")
    d = difference_of_proportions(treated_retained, treated, holdout_retained, holdout, confidence)
    return Uplift(
        treated,
        treated_retained,
        holdout,
        holdout_retained,
        d.rate,
        d.baseline_rate,
        d.difference,
        d.low,
        d.high,
        confidence,
    )
