"""Confidence intervals for comparing a treated group with a holdout.

Two comparisons, used by the churn retention uplift and by campaign conversions:

- a difference of two independent proportions (conversion or retention rates):
  Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the
  difference between independent proportions", Statistics in Medicine 17, method 10),
  which combines the two groups' Wilson score intervals. It stays inside [-1, 1], is
  well behaved at rates of 0 or 1 and with small groups, where the simple Wald interval
  is not;
- a difference of two means (revenue per endpoint): Welch's interval, the groups'
  variances not assumed equal, with the Welch-Satterthwaite degrees of freedom.

Written here rather than taken from SciPy because the domain (and the Lambda layer)
carries no numeric library: the normal quantile comes from the standard library
(``statistics.NormalDist``) and Student's t quantile from the regularised incomplete
beta function, a few lines of well-known numerics (Numerical Recipes, section 6.4),
checked in the tests against published tables.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

DEFAULT_CONFIDENCE = 0.95


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")


def normal_quantile(confidence: float) -> float:
    """The two-sided standard normal quantile: 1.96 for 0.95."""
    _check_confidence(confidence)
    return NormalDist().inv_cdf((1 + confidence) / 2)


def wilson_interval(
    successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """The Wilson score interval of the proportion ``successes / n`` ((0, 1) when n is 0)."""
    if n == 0:
        return (0.0, 1.0)
    z = normal_quantile(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At no success (or all) the bound is exactly 0 (or 1); in floating point
    # centre - half can come out a hair above 0, above the rate itself.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


@dataclass(frozen=True, slots=True)
class ProportionDifference:
    """``rate - baseline_rate`` with its interval (Newcombe's method 10)."""

    successes: int
    n: int
    baseline_successes: int
    baseline_n: int
    rate: float
    baseline_rate: float
    difference: float
    low: float
    high: float
    confidence: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0."""
        return self.low > 0 or self.high < 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def difference_of_proportions(
    successes: int,
    n: int,
    baseline_successes: int,
    baseline_n: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ProportionDifference:
    """The difference ``successes/n - baseline_successes/baseline_n`` of two independent
    proportions with Newcombe's hybrid score interval.

    Raises
    ------
    ValueError
        A group is empty, or a count is outside 0..its group size.
    """
    if n <= 0 or baseline_n <= 0:
        raise ValueError("both groups must be non-empty")
    if not (0 <= successes <= n and 0 <= baseline_successes <= baseline_n):
        raise ValueError("success counts must be between 0 and the group size")
    p1, p2 = successes / n, baseline_successes / baseline_n
    l1, u1 = wilson_interval(successes, n, confidence)
    l2, u2 = wilson_interval(baseline_successes, baseline_n, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return ProportionDifference(
        successes, n, baseline_successes, baseline_n, p1, p2, d, low, high, confidence
    )


# -- Student's t ----------------------------------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, epsilon = 1e-300, 3e-16
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < epsilon:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def t_cdf(t: float, degrees_of_freedom: float) -> float:
    """P(T <= t) for Student's t with the given (possibly fractional) degrees of freedom."""
    if degrees_of_freedom <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * _incomplete_beta(
        degrees_of_freedom / 2, 0.5, degrees_of_freedom / (degrees_of_freedom + t * t)
    )
    return 1 - tail if t > 0 else tail


def _t_density(t: float, degrees_of_freedom: float) -> float:
    v = degrees_of_freedom
    log_scale = math.lgamma((v + 1) / 2) - math.lgamma(v / 2) - 0.5 * math.log(v * math.pi)
    return math.exp(log_scale - (v + 1) / 2 * math.log1p(t * t / v))


def t_quantile(confidence: float, degrees_of_freedom: float) -> float:
    """The two-sided quantile of Student's t: 2.228 for 0.95 and 10 degrees of freedom."""
    target = (1 + confidence) / 2
    # Newton's method from the normal quantile, which lies below: the CDF is concave
    # there, so the steps rise monotonically to the root.
    x = normal_quantile(confidence)
    for _ in range(100):
        step = (t_cdf(x, degrees_of_freedom) - target) / _t_density(x, degrees_of_freedom)
        x -= step
        if abs(step) <= 1e-13 * max(1.0, x):
            break
    return x


# -- a difference of means ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeanDifference:
    """``mean - baseline_mean`` with Welch's interval; ``low``/``high`` are None when a
    group has fewer than two members or neither varies (no variance to estimate)."""

    n: int
    mean: float
    baseline_n: int
    baseline_mean: float
    difference: float
    low: float | None
    high: float | None
    degrees_of_freedom: float | None
    confidence: float

    @property
    def significant(self) -> bool:
        """Whether the interval exists and excludes 0."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def _sample_variance(total: float, squares: float, n: int) -> float:
    # max(0, ...): rounding can leave a tiny negative for a constant group.
    return max(0.0, (squares - total * total / n) / (n - 1))


def difference_of_means(
    total: float,
    squares: float,
    n: int,
    baseline_total: float,
    baseline_squares: float,
    baseline_n: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> MeanDifference:
    """The difference of two groups' means from their sums and sums of squares, with
    Welch's t interval.

    Raises
    ------
    ValueError
        A group is empty.
    """
    if n <= 0 or baseline_n <= 0:
        raise ValueError("both groups must be non-empty")
    mean, baseline_mean = total / n, baseline_total / baseline_n
    difference = mean - baseline_mean
    if n < 2 or baseline_n < 2:
        return MeanDifference(
            n, mean, baseline_n, baseline_mean, difference, None, None, None, confidence
        )
    a = _sample_variance(total, squares, n) / n
    b = _sample_variance(baseline_total, baseline_squares, baseline_n) / baseline_n
    if a + b == 0:
        return MeanDifference(
            n, mean, baseline_n, baseline_mean, difference, None, None, None, confidence
        )
    df = (a + b) ** 2 / (a * a / (n - 1) + b * b / (baseline_n - 1))
    half = t_quantile(confidence, df) * math.sqrt(a + b)
    return MeanDifference(
        n,
        mean,
        baseline_n,
        baseline_mean,
        difference,
        difference - half,
        difference + half,
        df,
        confidence,
    )
