"""The BG/NBD baseline against Fader, Hardie and Lee (2005)'s published figures, a
simulation of its own process, and scipy's optimiser on the same likelihood; the
plain-Python scorers against their vectorised twins and scikit-learn."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from clarion.domain.churn.btyd import (
    BgNbdParameters,
    conditional_expected_transactions,
    fit_bgnbd,
    hyp2f1,
    log_likelihood,
    p_alive,
    p_no_activity,
)

# The paper's estimates on the CDNOW sample (2,357 customers, 39 weeks, in weeks).
CDNOW = BgNbdParameters(r=0.243, alpha=4.414, a=0.793, b=2.426)


def simulate(params: BgNbdParameters, customers: int, seed: int) -> tuple[list[float], ...]:
    """Histories of the BG/NBD process itself, ages like CDNOW's (27 to 39 weeks)."""
    rng = random.Random(seed)
    x, t_x, ages = [], [], []
    for _ in range(customers):
        rate = rng.gammavariate(params.r, 1 / params.alpha)
        drop = rng.betavariate(params.a, params.b)
        age = rng.uniform(27.0, 39.0)
        t = last = 0.0
        n = 0
        while True:
            t += rng.expovariate(rate)
            if t > age:
                break
            n, last = n + 1, t
            if rng.random() < drop:
                break
        x.append(float(n))
        t_x.append(last)
        ages.append(age)
    return x, t_x, ages


def test_the_papers_worked_example() -> None:
    # FHL 2005, section 6: a customer with x = 2, t_x = 30.43, T = 38.86 (weeks) is
    # expected to make 1.226 transactions in the next 39 weeks.
    expected = conditional_expected_transactions(CDNOW, 39.0, 2, 30.43, 38.86)
    assert expected == pytest.approx(1.226, abs=5e-4)
    # No repeat purchase: alive for sure (the model's premise).
    assert p_alive(CDNOW, 0, 0.0, 38.86) == 1.0


def test_hypergeometric_series_matches_scipy() -> None:
    from scipy.special import hyp2f1 as reference

    for a, b, c, z in [(0.243, 2.426, 2.219, 0.5), (2.243, 4.426, 4.219, 0.46), (1, 1, 2, 0.9)]:
        assert hyp2f1(a, b, c, z) == pytest.approx(float(reference(a, b, c, z)), rel=1e-10)


def test_the_fit_recovers_the_parameters_and_matches_scipy() -> None:
    from scipy.optimize import minimize

    x, t_x, ages = simulate(CDNOW, 3_000, seed=7)
    fitted = fit_bgnbd(x, t_x, ages)
    assert fitted.converged
    # The truth is no likelier than the maximum.
    assert fitted.log_likelihood >= log_likelihood(CDNOW, x, t_x, ages) - 1e-6

    def negative(point: np.ndarray) -> float:
        return -log_likelihood(BgNbdParameters(*np.exp(point)), x, t_x, ages)

    start = np.log([1.0, 10.0, 1.0, 1.0])
    reference = minimize(negative, start, method="L-BFGS-B")
    assert fitted.log_likelihood == pytest.approx(-reference.fun, abs=1e-3)
    # Four parameters from 3,000 histories: near the truth.
    assert fitted.params.r == pytest.approx(CDNOW.r, rel=0.25)
    assert fitted.params.alpha == pytest.approx(CDNOW.alpha, rel=0.35)


def test_no_activity_probability_matches_the_process() -> None:
    # P(no transaction in the next w) against what the process does next.
    rng = random.Random(3)
    params = BgNbdParameters(0.8, 20.0, 0.7, 3.0)
    window = 28.0
    predicted, observed = [], []
    for _ in range(4_000):
        rate = rng.gammavariate(params.r, 1 / params.alpha)
        drop = rng.betavariate(params.a, params.b)
        age, t, last, n, alive = 90.0, 0.0, 0.0, 0, True
        while True:
            t += rng.expovariate(rate)
            if t > age:
                break
            n, last = n + 1, t
            if rng.random() < drop:
                alive = False
                break
        quiet = (not alive) or rng.expovariate(rate) > window
        predicted.append(p_no_activity(params, n, last, age, window))
        observed.append(quiet)
    # Calibrated overall and in the riskiest fifth.
    assert sum(observed) / len(observed) == pytest.approx(sum(predicted) / len(predicted), abs=0.02)
    order = sorted(range(len(predicted)), key=predicted.__getitem__)[-800:]
    assert sum(observed[i] for i in order) / 800 == pytest.approx(
        sum(predicted[i] for i in order) / 800, abs=0.04
    )


def test_bad_histories_are_refused() -> None:
    with pytest.raises(ValueError, match="not a history"):
        fit_bgnbd([1.0], [5.0], [3.0])
    with pytest.raises(ValueError, match="no histories"):
        fit_bgnbd([], [], [])
    assert math.isfinite(log_likelihood(CDNOW, [0.0, 3.0], [0.0, 20.0], [30.0, 30.0]))


def test_the_vectorised_likelihood_is_the_plain_one() -> None:
    from clarion.services.churn.candidates import vectorised_likelihood

    x, t_x, ages = simulate(CDNOW, 500, seed=2)
    weights = [float(1 + k % 3) for k in range(500)]
    fast = vectorised_likelihood(x, t_x, ages, weights)
    rng = random.Random(9)
    for _ in range(20):
        params = BgNbdParameters(*(math.exp(rng.uniform(-2, 3)) for _ in range(4)))
        assert fast(params) == pytest.approx(
            log_likelihood(params, x, t_x, ages, weights), rel=1e-9
        )
    # And the fit it drives finds the same optimum.
    plain = fit_bgnbd(x, t_x, ages)
    quick = fit_bgnbd(x, t_x, ages, likelihood=vectorised_likelihood)
    assert quick.log_likelihood == pytest.approx(plain.log_likelihood, abs=1e-6)
