"""When a newly trained model replaces the promoted one."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# -- promotion ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    promote: bool
    reason: str
    candidate_auc: float
    current_auc: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def promotion_decision(
    candidate_auc: float, current_auc: float | None, min_gain: float = 0.0
) -> PromotionDecision:
    """Promote the candidate only when it beats the current model on the same held-out
    window by more than ``min_gain`` ROC-AUC (or when there is no current model)."""
    if math.isnan(candidate_auc):
        return PromotionDecision(
            False, "candidate AUC undefined (one class only)", candidate_auc, current_auc
        )
    if current_auc is None or math.isnan(current_auc):
        return PromotionDecision(True, "no current model", candidate_auc, current_auc)
    if candidate_auc > current_auc + min_gain:
        return PromotionDecision(
            True,
            f"candidate AUC {candidate_auc:.4f} beats current {current_auc:.4f}",
            candidate_auc,
            current_auc,
        )
    return PromotionDecision(
        False,
        f"candidate AUC {candidate_auc:.4f} does not beat current {current_auc:.4f}"
        + (f" by more than {min_gain}" if min_gain else ""),
        candidate_auc,
        current_auc,
    )
