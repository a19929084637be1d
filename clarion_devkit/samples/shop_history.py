"""A seeded shop whose customers only buy: the purchase-only history the churn benchmark
checks the model on (no sessions, no email, no SMS).

Each customer has their own buying rate (gamma distributed across customers, a purchase
every few weeks on average), buys more regularly than a Poisson process would (gaps
gamma distributed with shape 1 to 4), and lapses for good at some point (exponential
time after signing up, with a mean that differs by customer); in the 60 days before
lapsing they slow down and spend less, as shoppers drifting away do. Prices are
log-normal around each customer's own basket. Purchases are events of the same codes as
:mod:`clarion_devkit.samples.churn_history` (so the columnar loader takes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.churn.model import DAY_MS, epoch_ms
from clarion.domain.churn.simulation import SimulationConfig
from clarion_devkit.samples.churn_history import CODE, EventColumns, endpoint_id

__all__ = ["ShopPopulation"]

SLOWDOWN_DAYS = 60


class ShopPopulation:
    """The hidden parameters of every shopper (arrays indexed by customer)."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        n = config.customers
        rng = np.random.default_rng([config.seed, 7])
        before = rng.random(n) < 0.5
        self.signup_day = np.where(
            before, -rng.integers(1, 400, n), rng.integers(0, max(1, int(config.days * 0.8)), n)
        )
        self.rate = rng.gamma(1.5, 1 / 45.0, n)  # purchases a day
        self.regularity = rng.choice([1.0, 2.0, 4.0], n, p=[0.3, 0.4, 0.3])
        self.lapse_day = self.signup_day + rng.exponential(np.exp(rng.normal(np.log(300), 0.6, n)))
        self.basket = np.exp(rng.normal(3.5, 0.5, n))

    def _rate_at(self, i: int, day: float) -> float:
        left = self.lapse_day[i] - day
        if left <= 0:
            return 0.0
        # Drifting away: the rate falls to 40% over the last 60 days.
        slow = 1.0 if left >= SLOWDOWN_DAYS else 0.4 + 0.6 * left / SLOWDOWN_DAYS
        return float(self.rate[i]) * slow

    def simulate(self, first_day: int, days: int, stream: int = 1) -> EventColumns:
        """The purchases of days ``[first_day, first_day + days)``."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, stream, 3])
        start_ms = epoch_ms(cfg.start)
        customers, stamps, prices = [], [], []
        end = first_day + days
        for i in range(cfg.customers):
            day = float(self.signup_day[i])
            shape = float(self.regularity[i])
            while True:
                rate = self._rate_at(i, day)
                if rate <= 0:
                    break
                day += rng.gamma(shape, 1 / (shape * rate))
                if day >= end or day >= self.lapse_day[i]:
                    break
                if day >= first_day:
                    customers.append(i)
                    stamps.append(start_ms + int(day * DAY_MS))
                    spend = 1.0 if self.lapse_day[i] - day >= SLOWDOWN_DAYS else 0.7
                    prices.append(self.basket[i] * spend * np.exp(rng.normal(0, 0.3)))
        order = np.argsort(np.asarray(stamps, dtype=np.int64), kind="stable")
        count = len(customers)
        return EventColumns(
            np.asarray(customers, dtype=np.int32)[order],
            np.asarray(stamps, dtype=np.int64)[order],
            np.full(count, CODE["_monetization.purchase"], dtype=np.int8),
            np.round(np.asarray(prices, dtype=np.float64), 2).astype(np.float32)[order],
        )

    def endpoints(self) -> Iterator[Endpoint]:
        """One email endpoint per shopper, created when they signed up."""
        start = self.config.start
        for i in range(self.config.customers):
            signup = (start + timedelta(days=int(self.signup_day[i]))).isoformat()
            yield Endpoint.model_validate(
                {
                    "Id": endpoint_id(i),
                    "ChannelType": "EMAIL",
                    "Address": f"shopper{i}@example.com",
                    "CreationDate": signup.replace("+00:00", "Z"),
                    "Attributes": {"Source": ["shop simulation"]},
                }
            )
