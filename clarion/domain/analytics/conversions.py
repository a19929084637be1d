"""Conversion figures from the rows of the conversions query: attributed metrics, the
holdout experiment's incrementality, and the A/B comparison of treatments.

Counts come from SQL; everything derived from them (rates, intervals, incremental
figures) is computed here, once, with the shared intervals of
:mod:`clarion.domain.common.intervals`. docs/analytics.md defines each figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clarion.domain.common.intervals import (
    DEFAULT_CONFIDENCE,
    difference_of_means,
    difference_of_proportions,
    wilson_interval,
)

HOLDOUT = "HOLDOUT"


def _int(row: Mapping[str, Any], name: str) -> int:
    return int(row.get(name) or 0)


def _float(row: Mapping[str, Any], name: str) -> float:
    return float(row.get(name) or 0.0)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def attribution_metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    """The attributed figures of one group of touches (messages, or a holdout's
    would-be messages)."""
    endpoints = _int(row, "endpoints")
    converted_messages = _int(row, "converted_messages")
    clicked = _int(row, "clicked_messages")
    clicked_converted = _int(row, "clicked_converted_messages")
    milliseconds = _float(row, "milliseconds_to_convert")
    return {
        "endpoints": endpoints,
        "messages": _int(row, "messages"),
        "converted_endpoints": _int(row, "converted_endpoints"),
        "converted_messages": converted_messages,
        "conversions": _int(row, "conversions"),
        "conversion_rate": ratio(_int(row, "converted_endpoints"), endpoints),
        "revenue": round(_float(row, "revenue"), 6),
        "revenue_excluded_conversions": _int(row, "revenue_excluded"),
        "avg_seconds_to_convert": (
            round(milliseconds / converted_messages / 1000, 3) if converted_messages else None
        ),
        "clicked_messages": clicked,
        "clicked_converted_messages": clicked_converted,
        "click_to_conversion_rate": ratio(clicked_converted, clicked),
    }


def day_metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    """Credited conversions of one group of days (a UTC date, or whole days after the
    message)."""
    return {
        "converted_endpoints": _int(row, "converted_endpoints"),
        "conversions": _int(row, "conversions"),
        "revenue": round(_float(row, "revenue"), 6),
        "revenue_excluded_conversions": _int(row, "revenue_excluded"),
    }


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm (or treatment) of the holdout experiment: its assigned endpoints and
    their conversions and revenue in the window after their assignment."""

    endpoints: int
    converted_endpoints: int
    conversions: int
    conversions_squares: float
    revenue: float
    revenue_squares: float
    revenue_excluded: int

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Arm:
        return cls(
            _int(row, "endpoints"),
            _int(row, "converted_endpoints"),
            _int(row, "conversions"),
            _float(row, "conversions_squares"),
            _float(row, "revenue"),
            _float(row, "revenue_squares"),
            _int(row, "revenue_excluded"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoints": self.endpoints,
            "converted_endpoints": self.converted_endpoints,
            "conversion_rate": ratio(self.converted_endpoints, self.endpoints),
            "conversions": self.conversions,
            "revenue": round(self.revenue, 6),
            "revenue_per_endpoint": ratio(self.revenue, self.endpoints),
            "revenue_excluded_conversions": self.revenue_excluded,
        }


def _scaled(estimate: float, low: float | None, high: float | None, by: int) -> dict[str, Any]:
    return {
        "estimate": estimate * by,
        "low": None if low is None else low * by,
        "high": None if high is None else high * by,
    }


def incrementality(
    treated: Arm, holdout: Arm, confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, Any]:
    """Treated against holdout: the difference of conversion rates with Newcombe's
    interval, and the conversions, converting endpoints and revenue the messages caused
    (per-endpoint differences times the treated endpoints, with Welch's intervals for
    the means)."""
    rates = difference_of_proportions(
        treated.converted_endpoints,
        treated.endpoints,
        holdout.converted_endpoints,
        holdout.endpoints,
        confidence,
    )
    conversions = difference_of_means(
        treated.conversions,
        treated.conversions_squares,
        treated.endpoints,
        holdout.conversions,
        holdout.conversions_squares,
        holdout.endpoints,
        confidence,
    )
    revenue = difference_of_means(
        treated.revenue,
        treated.revenue_squares,
        treated.endpoints,
        holdout.revenue,
        holdout.revenue_squares,
        holdout.endpoints,
        confidence,
    )
    n = treated.endpoints
    return {
        "treated": treated.to_json(),
        "holdout": holdout.to_json(),
        "conversion_rate_difference": rates.to_json(),
        "incremental_converted_endpoints": {
            **_scaled(rates.difference, rates.low, rates.high, n),
            "significant": rates.significant,
        },
        "incremental_conversions": {
            **_scaled(conversions.difference, conversions.low, conversions.high, n),
            "significant": conversions.significant,
        },
        "incremental_revenue": {
            **_scaled(revenue.difference, revenue.low, revenue.high, n),
            "significant": revenue.significant,
            "revenue_per_endpoint_difference": revenue.to_json(),
        },
        "confidence": confidence,
    }


@dataclass(frozen=True, slots=True)
class Contender:
    """One treatment in an A/B comparison: successes out of n."""

    treatment_id: str
    successes: int
    n: int


def ab_test(
    metric: str, contenders: Sequence[Contender], confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, Any] | None:
    """Which treatment wins on ``metric`` (a rate of successes over n), or None with
    fewer than two treatments that have any n.

    The leader (highest rate; ties by treatment id) is compared with every other
    treatment by Newcombe's interval for the difference, at a Bonferroni-adjusted
    confidence (1 - (1 - confidence) / comparisons) so that the chance of a false winner
    stays within 1 - ``confidence``. It is the ``winner`` only if every interval is
    above 0; otherwise ``winner`` is None (no clear winner yet).
    """
    arms = [c for c in contenders if c.n > 0]
    if len(arms) < 2:
        return None
    ranked = sorted(arms, key=lambda c: (-c.successes / c.n, c.treatment_id))
    leader, others = ranked[0], ranked[1:]
    each = 1 - (1 - confidence) / len(others)
    comparisons = []
    for other in others:
        d = difference_of_proportions(leader.successes, leader.n, other.successes, other.n, each)
        comparisons.append({"against": other.treatment_id, **d.to_json()})
    won = all(c["low"] > 0 for c in comparisons)
    treatments = []
    for arm in sorted(arms, key=lambda c: c.treatment_id):
        low, high = wilson_interval(arm.successes, arm.n, confidence)
        treatments.append(
            {
                "treatment_id": arm.treatment_id,
                "successes": arm.successes,
                "n": arm.n,
                "rate": arm.successes / arm.n,
                "low": low,
                "high": high,
            }
        )
    return {
        "metric": metric,
        "confidence": confidence,
        "comparison_confidence": each,
        "treatments": treatments,
        "leader": leader.treatment_id,
        "comparisons": comparisons,
        "winner": leader.treatment_id if won else None,
    }
