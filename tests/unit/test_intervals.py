"""The shared intervals: Newcombe's difference of proportions (the churn uplift and the
conversion lift), Wilson's single proportion, Student's t and Welch's difference of
means, each against published worked examples and SciPy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from clarion.domain.churn import retention_uplift
from clarion.domain.common.intervals import (
    difference_of_means,
    difference_of_proportions,
    normal_quantile,
    t_quantile,
    wilson_interval,
)

# Newcombe RG (1998), "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Statistics in Medicine 17:873-890,
# Table II, method 10 (the hybrid score interval), examples (a) to (h).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "interval"), NEWCOMBE_TABLE_II)
def test_the_difference_interval_reproduces_newcombes_table(
    counts: tuple[int, int, int, int], interval: tuple[float, float]
) -> None:
    difference = difference_of_proportions(*counts)

    assert (round(difference.low, 4), round(difference.high, 4)) == interval
    assert difference.difference == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])


def test_the_churn_uplift_is_the_same_interval() -> None:
    uplift = retention_uplift(56, 70, 48, 80)
    difference = difference_of_proportions(56, 70, 48, 80)

    assert (uplift.low, uplift.high, uplift.uplift) == (
        difference.low,
        difference.high,
        difference.difference,
    )


def test_wilsons_interval_reproduces_newcombes_single_proportion_example() -> None:
    # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion",
    # Statistics in Medicine 17:857-872: 81 of 263, Wilson score 0.2553 to 0.3662.
    low, high = wilson_interval(81, 263)

    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_significance_is_an_interval_that_excludes_zero() -> None:
    assert difference_of_proportions(9, 10, 3, 10).significant
    assert not difference_of_proportions(5, 56, 0, 29).significant
    assert difference_of_proportions(0, 10, 10, 10).significant  # a negative effect too


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        difference_of_proportions(1, 0, 1, 2)
    with pytest.raises(ValueError, match="between 0 and the group size"):
        difference_of_proportions(3, 2, 1, 2)
    with pytest.raises(ValueError, match="confidence"):
        normal_quantile(1.0)


@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_the_interval_holds_the_difference_and_stays_within_minus_one_and_one(
    treated: tuple[int, int], baseline: tuple[int, int]
) -> None:
    d = difference_of_proportions(*treated, *baseline)

    assert -1 - 1e-12 <= d.low <= d.difference <= d.high <= 1 + 1e-12


# -- Student's t and Welch ------------------------------------------------------------


@pytest.mark.parametrize(
    ("confidence", "df", "table"),
    # Two-sided critical values as printed in t tables.
    [(0.95, 1, 12.706), (0.95, 2, 4.303), (0.95, 10, 2.228), (0.95, 30, 2.042),
     (0.99, 5, 4.032), (0.90, 20, 1.725)],
)  # fmt: skip
def test_t_quantiles_match_the_tables(confidence: float, df: int, table: float) -> None:
    assert round(t_quantile(confidence, df), 3) == table


@given(st.floats(0.5, 0.999), st.floats(0.5, 500))
def test_t_quantiles_agree_with_scipy(confidence: float, df: float) -> None:
    expected = stats.t.ppf((1 + confidence) / 2, df)

    assert t_quantile(confidence, df) == pytest.approx(expected, rel=1e-7)


def _sums(values: list[float]) -> tuple[float, float, int]:
    return sum(values), sum(v * v for v in values), len(values)


def test_welchs_interval_reproduces_the_worked_example() -> None:
    # The first worked example of the Wikipedia article "Welch's t-test" (two samples of
    # 15 with unequal variances): t = -2.46 with 24.99 degrees of freedom, p = 0.021.
    a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
          24.4]  # fmt: skip

    d = difference_of_means(*_sums(a1), *_sums(a2))

    assert d.degrees_of_freedom is not None and d.low is not None and d.high is not None
    assert round(d.degrees_of_freedom, 2) == 24.99
    standard_error = (d.high - d.low) / 2 / t_quantile(0.95, d.degrees_of_freedom)
    assert round(d.difference / standard_error, 2) == -2.46
    test = stats.ttest_ind(a1, a2, equal_var=False)
    low, high = test.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((low, high), rel=1e-9)
    assert d.significant


def test_welch_needs_two_members_and_some_variance() -> None:
    assert difference_of_means(*_sums([5.0]), *_sums([1.0, 2.0])).low is None
    constant = difference_of_means(*_sums([2.0, 2.0]), *_sums([1.0, 1.0, 1.0]))
    assert constant.low is None and constant.difference == 1.0 and not constant.significant
    with pytest.raises(ValueError):
        difference_of_means(0.0, 0.0, 0, 1.0, 1.0, 1)
    assert math.isclose(difference_of_means(*_sums([0, 0, 9]), *_sums([0, 0, 0])).difference, 3)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilsons_interval_holds_the_rate(counts: tuple[int, int]) -> None:
    # At no success the floating-point low bound came out a hair above the rate (0), which
    # the campaign report's chart refused as a negative error bar.
    successes, n = counts
    low, high = wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0
