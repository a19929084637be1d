"""The BG/NBD model (Fader, Hardie and Lee, 2005, "Counting your customers the easy
way"), the buy-till-you-die baseline of the churn model selection.

Each customer, while alive, makes transactions as a Poisson process of rate
``lambda ~ Gamma(r, alpha)``; after each transaction they drop out for good with
probability ``p ~ Beta(a, b)``. A history is summarised by ``x`` (repeat transactions),
``t_x`` (time of the last one since the first) and ``T`` (time since the first). Here
a transaction is a day with an activity event (the definition's events), times are in
days, and the churn score is the probability of no activity in the label window:

    P(none in w) = P(dead) + P(alive) * ((alpha + T) / (alpha + T + w)) ** (r + x)

(while alive, dropping out happens only at a transaction, and the rate's posterior
given alive is ``Gamma(r + x, alpha + T)``).

Written here rather than taken from a package: ``lifetimes`` has not been released
since 2020 and ``btyd`` since a 2022 beta; PyMC-Marketing is maintained but brings PyMC
and PyTensor (a compiler toolchain and hundreds of MB), far too much for a baseline
that must also fit and score inside the evaluation Lambda, which has no numpy or scipy.
The likelihood is the paper's closed form (equation 6) in plain Python (``math.lgamma``),
maximised by Nelder-Mead over the logarithms of the four parameters; identical
histories are counted once, so a fit costs one pass over the distinct summaries per
step. Checked against the paper's published values (tests/unit/test_churn_btyd.py).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

FIT_CUSTOMERS = 20_000
"""At most this many histories (a seeded sample) are fitted: four parameters are well
determined long before, and the fit stays within a Lambda's time."""


@dataclass(frozen=True, slots=True)
class BgNbdParameters:
    """The four BG/NBD parameters (times in the unit the data was in: days here)."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be positive, not {value}")

    def to_json(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BgNbdParameters:
        return cls(float(data["r"]), float(data["alpha"]), float(data["a"]), float(data["b"]))


def _check_history(x: float, t_x: float, T: float) -> None:  # noqa: N803 - the paper's T
    if x < 0 or t_x < 0 or t_x > T or (x == 0 and t_x != 0):
        raise ValueError(f"not a history: x={x}, t_x={t_x}, T={T}")


def _log_add(u: float, v: float) -> float:
    high = max(u, v)
    return high + math.log(math.exp(u - high) + math.exp(v - high))


def log_likelihood(
    params: BgNbdParameters,
    x: Sequence[float],
    t_x: Sequence[float],
    T: Sequence[float],  # noqa: N803
    weights: Sequence[float] | None = None,
) -> float:
    """The log-likelihood of the histories (the paper's equation 6, summed), each
    counted ``weights[i]`` times (once without weights)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    base = math.lgamma(r) - r * math.log(alpha) + math.lgamma(b) - math.lgamma(a + b)
    cache: dict[float, tuple[float, float]] = {}
    total = 0.0
    for k in range(len(x)):
        xi = x[k]
        known = cache.get(xi)
        if known is None:
            # The parts that depend on x alone: few distinct values.
            shared = math.lgamma(r + xi) + math.lgamma(b + xi) - math.lgamma(a + b + xi) - base
            extra = math.log(a) - math.log(b + xi - 1) if xi > 0 else 0.0
            known = cache[xi] = (shared, extra)
        shared, extra = known
        alive = -(r + xi) * math.log(alpha + T[k])
        value = _log_add(alive, extra - (r + xi) * math.log(alpha + t_x[k])) if xi > 0 else alive
        total += (shared + value) * (1.0 if weights is None else weights[k])
    return total


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    """A fitted model: the parameters, the log-likelihood they reach, how many
    histories were fitted and how many Nelder-Mead steps it took."""

    params: BgNbdParameters
    log_likelihood: float
    customers: int
    iterations: int
    converged: bool

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "params": self.params.to_json()}


def nelder_mead(
    f: Callable[[list[float]], float],
    start: Sequence[float],
    *,
    step: float = 0.5,
    tolerance: float = 1e-10,
    max_iterations: int = 5_000,
) -> tuple[list[float], float, int, bool]:
    """Minimise ``f`` from ``start`` (Nelder and Mead, 1965, with the usual
    coefficients: reflection 1, expansion 2, contraction and shrink 1/2). Stops when the
    simplex's values agree within ``tolerance`` (relative). Returns the point, its value,
    the iterations and whether it converged."""
    n = len(start)
    simplex = [list(start)] + [
        [v + (step if i == j else 0.0) for j, v in enumerate(start)] for i in range(n)
    ]
    values = [f(p) for p in simplex]
    for iteration in range(1, max_iterations + 1):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        best, worst = values[0], values[-1]
        if abs(worst - best) <= tolerance * (abs(best) + tolerance):
            return simplex[0], best, iteration, True
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]

        def towards(
            weight: float, centroid: list[float] = centroid, worst_point: list[float] = simplex[-1]
        ) -> list[float]:
            return [c + weight * (c - w) for c, w in zip(centroid, worst_point, strict=True)]

        reflected = towards(1.0)
        f_reflected = f(reflected)
        if f_reflected < values[0]:
            expanded = towards(2.0)
            f_expanded = f(expanded)
            if f_expanded < f_reflected:
                simplex[-1], values[-1] = expanded, f_expanded
            else:
                simplex[-1], values[-1] = reflected, f_reflected
            continue
        if f_reflected < values[-2]:
            simplex[-1], values[-1] = reflected, f_reflected
            continue
        outside = f_reflected < values[-1]
        contracted = towards(0.5 if outside else -0.5)
        f_contracted = f(contracted)
        if f_contracted < (f_reflected if outside else values[-1]):
            simplex[-1], values[-1] = contracted, f_contracted
            continue
        for i in range(1, n + 1):
            simplex[i] = [b + 0.5 * (p - b) for b, p in zip(simplex[0], simplex[i], strict=True)]
            values[i] = f(simplex[i])
    best_index = min(range(n + 1), key=values.__getitem__)
    return simplex[best_index], values[best_index], max_iterations, False


LikelihoodFactory = Callable[
    [list[float], list[float], list[float], list[float]], Callable[[BgNbdParameters], float]
]
"""Given the distinct histories and their counts, a function of the parameters giving
their log-likelihood: where numpy is at hand, a vectorised twin of
:func:`log_likelihood` (same value, tested) makes each step far cheaper."""


def fit_bgnbd(
    x: Sequence[float],
    t_x: Sequence[float],
    T: Sequence[float],  # noqa: N803
    *,
    max_customers: int = FIT_CUSTOMERS,
    seed: int = 0,
    likelihood: LikelihoodFactory | None = None,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters of the histories ``(x, t_x, T)``.

    Raises
    ------
    ValueError
        No history, or one that is not a history (``T < t_x``, negative values).
    """
    if not len(x) == len(t_x) == len(T):
        raise ValueError("x, t_x and T must have one value per customer")
    if not x:
        raise ValueError("no histories to fit")
    histories = list(zip(x, t_x, T, strict=True))
    for h in histories:
        _check_history(*h)
    if len(histories) > max_customers:
        # A reproducible sample for fitting, not a secret.
        histories = random.Random(seed).sample(histories, max_customers)  # noqa: S311
    counted = Counter((float(a), float(b), float(c)) for a, b, c in histories)
    xs, txs, ts = ([h[i] for h in counted] for i in range(3))
    weights = [float(w) for w in counted.values()]
    of: Callable[[BgNbdParameters], float]
    if likelihood is None:

        def plain(params: BgNbdParameters) -> float:
            return log_likelihood(params, xs, txs, ts, weights)

        of = plain

    else:
        of = likelihood(xs, txs, ts, weights)

    def negative(point: list[float]) -> float:
        try:
            value = -of(BgNbdParameters(*(math.exp(min(v, 50.0)) for v in point)))
        except (ValueError, OverflowError):
            return math.inf
        return value if math.isfinite(value) else math.inf

    # Rates start at one transaction per mean age; a and b at 1.
    mean_age = max(1.0, sum(t * w for t, w in zip(ts, weights, strict=True)) / sum(weights))
    start = [0.0, math.log(mean_age), 0.0, 0.0]
    point, value, iterations, converged = nelder_mead(negative, start)
    # A restart from the optimum guards against a simplex that collapsed early.
    point, value, more, converged = nelder_mead(negative, point, step=0.1)
    params = BgNbdParameters(*(math.exp(v) for v in point))
    return BgNbdFit(params, -value, len(histories), iterations + more, converged)


# -- what the model says about a customer ---------------------------------------------


def p_alive(params: BgNbdParameters, x: float, t_x: float, T: float) -> float:  # noqa: N803
    """The probability the customer is still alive at ``T`` (FHL 2008, "Computing
    P(alive) using the BG/NBD model")."""
    _check_history(x, t_x, T)
    if x == 0:
        return 1.0
    log_odds = (
        math.log(params.a)
        - math.log(params.b + x - 1)
        + (params.r + x) * (math.log(params.alpha + T) - math.log(params.alpha + t_x))
    )
    return 1.0 / (1.0 + math.exp(min(log_odds, 700.0)))


def p_no_activity(
    params: BgNbdParameters,
    x: float,
    t_x: float,
    T: float,  # noqa: N803
    window: float,
) -> float:
    """The probability of no transaction in ``(T, T + window]``: the churn score."""
    alive = p_alive(params, x, t_x, T)
    quiet = math.exp(
        (params.r + x) * (math.log(params.alpha + T) - math.log(params.alpha + T + window))
    )
    return (1.0 - alive) + alive * quiet


def hyp2f1(a: float, b: float, c: float, z: float, *, max_terms: int = 200_000) -> float:
    """Gauss's hypergeometric function by its series (``0 <= z < 1``)."""
    if not 0.0 <= z < 1.0:
        raise ValueError("hyp2f1 here needs 0 <= z < 1")
    term = total = 1.0
    for k in range(max_terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) <= 1e-15 * abs(total):
            return total
    raise ArithmeticError("hyp2f1 series did not converge")


def expected_transactions(params: BgNbdParameters, t: float) -> float:
    """E[X(t)]: expected transactions in ``(0, t]`` of a new customer (equation 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a == 1:
        raise ValueError("the closed form needs a != 1")
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def conditional_expected_transactions(
    params: BgNbdParameters,
    t: float,
    x: float,
    t_x: float,
    T: float,  # noqa: N803
) -> float:
    """E[Y(t) | x, t_x, T]: expected transactions in ``(T, T + t]`` (equation 10)."""
    _check_history(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    odds = (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return numerator / (1 + odds)
