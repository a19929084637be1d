"""A seeded customer-behaviour simulator with a known churn probability per customer.

Each customer has hidden parameters: a base session rate, an engagement level that
drifts day by day, a shock (a bad experience) that arrives with a constant daily hazard
and cuts engagement by a hidden amount, a purchase propensity, and responses to the
newsletter (email opens, clicks, unsubscribes) or SMS (replies, opt-outs). Sessions on a
day are Poisson with rate ``base * exp(engagement)``; a purchase can follow a session.

Because the hidden state is known, so is each customer's **true churn probability** for
any cut-off: the probability of no session in the following window, given the state at
the cut-off and the shock hazard (:meth:`Population.true_churn_probability`). No model
can do better on the same data in expectation; the evaluation reports it as the oracle.

Time is in days relative to the end of the history (the as-of date): day ``d`` of a
history of ``D`` days starts at ``end - (D - d) days``. The same seed always gives the
same customers and events. The parameters (:class:`SimulationConfig`) and the event id
prefix are the runtime's (``clarion.domain.churn.simulation``), which keeps them to
rebuild a population; :mod:`clarion_devkit.samples.churn_simulator` puts this simulator
behind the port the churn services use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.churn.model import DAY_MS, epoch_ms
from clarion.domain.churn.simulation import SimulationConfig, event_id_prefix
from clarion.domain.events.records import EventRecord
from clarion.ports.churn import SimulatedEvents

__all__ = [
    "CODE",
    "EVENT_TYPES",
    "EventColumns",
    "Population",
    "SimulationConfig",
    "customer_index",
    "endpoint_id",
    "event_id_prefix",
    "event_records",
]

# Event type codes of the columnar output.
EVENT_TYPES: tuple[str, ...] = (
    "_session.start",
    "_monetization.purchase",
    "_email.delivered",
    "_email.open",
    "_email.click",
    "_email.hardbounce",
    "_email.unsubscribe",
    "_email.complaint",
    "_SMS.SUCCESS",
    "_SMS.RECEIVED",
    "_SMS.OPTOUT",
)
CODE = {name: code for code, name in enumerate(EVENT_TYPES)}

SHOCK_HAZARD = 0.004
EMAIL_EVERY_DAYS = 7
SMS_EVERY_DAYS = 14
MAX_RATE = 4.0
ID_PREFIX = "sim-"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def endpoint_id(index: int) -> str:
    return f"{ID_PREFIX}{index:07d}"


def customer_index(endpoint: str) -> int | None:
    """The customer behind a simulated endpoint id, else None."""
    if not endpoint.startswith(ID_PREFIX):
        return None
    tail = endpoint[len(ID_PREFIX) :]
    return int(tail) if tail.isdigit() else None


@dataclass
class EventColumns:
    """Simulated events, columnar: customer index, epoch ms, type code, price."""

    customer: np.ndarray
    timestamp_ms: np.ndarray
    code: np.ndarray
    price: np.ndarray

    def __len__(self) -> int:
        return int(self.customer.shape[0])

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> EventColumns:
        return cls(
            np.concatenate([c[0] for c in parts]),
            np.concatenate([c[1] for c in parts]),
            np.concatenate([c[2] for c in parts]),
            np.concatenate([c[3] for c in parts]),
        )

    @classmethod
    def concat(cls, parts: list[EventColumns]) -> EventColumns:
        if not parts:
            empty = np.zeros(0)
            return cls(
                empty.astype(np.int32),
                empty.astype(np.int64),
                empty.astype(np.int8),
                empty.astype(np.float32),
            )
        return cls.of([(c.customer, c.timestamp_ms, c.code, c.price) for c in parts])


class Population:
    """The hidden parameters of every customer (arrays indexed by customer)."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        n = config.customers
        rng = np.random.default_rng([config.seed, 0])
        # Half were customers before the history starts; the rest sign up during it.
        before = rng.random(n) < 0.5
        self.signup_day = np.where(
            before,
            -rng.integers(1, 720, n),
            rng.integers(0, max(1, int(config.days * 0.7)), n),
        )
        self.base_rate = np.exp(rng.normal(np.log(0.3), 0.7, n))
        self.e0 = rng.normal(0.0, 0.4, n)
        self.drift = rng.normal(-0.003, 0.006, n)
        self.shock_day = self.signup_day + rng.geometric(SHOCK_HAZARD, n)
        self.shock_size = rng.uniform(1.0, 4.0, n)
        self.purchase_prob = rng.beta(2.0, 10.0, n)
        self.open_bias = rng.normal(-0.8, 0.8, n)
        self.is_sms = rng.random(n) < 0.25
        self.bad_address = (rng.random(n) < 0.03) & ~self.is_sms
        self.send_offset = rng.integers(0, EMAIL_EVERY_DAYS * SMS_EVERY_DAYS, n)
        self.boost = np.zeros(n)
        self.boost_from_day = np.full(n, np.iinfo(np.int64).max)

    # -- hidden state ------------------------------------------------------------------

    def engagement(self, day: int | np.ndarray, shocked: np.ndarray | None = None) -> np.ndarray:
        age = np.maximum(0, day - self.signup_day)
        level = self.e0 + self.drift * age
        hit = (day >= self.shock_day) if shocked is None else shocked
        level = level - self.shock_size * hit
        level = level + self.boost * (day >= self.boost_from_day)
        return np.clip(level, -6.0, 1.5)

    def rate(self, day: int, shocked: np.ndarray | None = None) -> np.ndarray:
        rate = np.minimum(MAX_RATE, self.base_rate * np.exp(self.engagement(day, shocked)))
        return np.where(day >= self.signup_day, rate, 0.0)

    def true_churn_probability(self, cutoff_day: int, window_days: int) -> np.ndarray:
        """P(no session in days ``[cutoff, cutoff + window)``) given the hidden state at
        the cut-off: the shock, if it has not come yet, comes on day ``cutoff + j`` with
        probability ``(1 - h)^j h``. Memory is a few arrays of one value per customer
        whatever the window."""
        n = self.config.customers
        no, yes = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        days = range(cutoff_day, cutoff_day + window_days)
        hit_total = np.zeros(n)
        for d in days:
            hit_total += self.rate(d, yes)
        already = self.shock_day < cutoff_day
        shocked_all = np.exp(-hit_total)
        # Shock on window day j: plain before j, shocked from j on.
        plain_before = np.zeros(n)
        hit_after = hit_total.copy()
        future = np.zeros(n)
        for j, d in enumerate(days):
            future += (1 - SHOCK_HAZARD) ** j * SHOCK_HAZARD * np.exp(-(plain_before + hit_after))
            plain_before += self.rate(d, no)
            hit_after -= self.rate(d, yes)
        future += (1 - SHOCK_HAZARD) ** window_days * np.exp(-plain_before)
        # A shock already due on the cut-off day counts as having come.
        return np.where(already, shocked_all, future)

    def treat(self, customers: np.ndarray, from_day: int, boost: float) -> None:
        """A retention message lifts engagement by ``boost`` from ``from_day`` on."""
        self.boost[customers] = boost
        self.boost_from_day[customers] = from_day

    # -- observable behaviour ----------------------------------------------------------

    def simulate(self, first_day: int, days: int, stream: int = 1) -> EventColumns:
        """Events of days ``[first_day, first_day + days)``, all customers."""
        return EventColumns.concat(list(self.simulate_chunks(first_day, days, stream)))

    def simulate_chunks(
        self, first_day: int, days: int, stream: int = 1, chunk_events: int = 2_000_000
    ) -> Iterator[EventColumns]:
        """The events of :meth:`simulate`, in order, as chunks of whole days of about
        ``chunk_events`` events (a million customers never need all their events in
        memory at once). The same seed gives the same events however they are chunked."""
        cfg = self.config
        n = cfg.customers
        rng = np.random.default_rng([cfg.seed, stream, first_day + 10_000])
        start_ms = epoch_ms(cfg.start)
        opted_out = np.zeros(n, dtype=bool)
        bounced = np.zeros(n, dtype=bool)
        chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        pending = 0

        def emit(who: np.ndarray, day: int, code: int, price: np.ndarray | None = None) -> None:
            if who.size == 0:
                return
            stamp = start_ms + day * DAY_MS + rng.integers(0, DAY_MS, who.size)
            chunks.append(
                (
                    who.astype(np.int32),
                    stamp.astype(np.int64),
                    np.full(who.size, code, dtype=np.int8),
                    np.zeros(who.size, dtype=np.float32) if price is None else price,
                )
            )

        # Sends before the window still shape who is reachable: replay opt-outs cheaply
        # by starting from the state implied by earlier days of the same stream.
        for day in range(first_day, first_day + days):
            rate = self.rate(day)
            engagement = self.engagement(day)
            sessions = rng.poisson(rate)
            active = np.flatnonzero(sessions)
            emit(np.repeat(active, sessions[active]), day, CODE["_session.start"])
            buys = rng.binomial(sessions, self.purchase_prob)
            buyers = np.flatnonzero(buys)
            who = np.repeat(buyers, buys[buyers])
            price = np.round(np.exp(rng.normal(3.4, 0.6, who.size)), 2).astype(np.float32)
            emit(who, day, CODE["_monetization.purchase"], price)
            live = (day >= self.signup_day) & ~opted_out
            email_day = (
                live & ~self.is_sms & ~bounced & ((day + self.send_offset) % EMAIL_EVERY_DAYS == 0)
            )
            sms_day = live & self.is_sms & ((day + self.send_offset) % SMS_EVERY_DAYS == 0)
            # email
            bounce = email_day & self.bad_address
            emit(np.flatnonzero(bounce), day, CODE["_email.hardbounce"])
            bounced |= bounce
            delivered = email_day & ~bounce
            emit(np.flatnonzero(delivered), day, CODE["_email.delivered"])
            opens = delivered & (rng.random(n) < _sigmoid(self.open_bias + 1.2 * engagement))
            emit(np.flatnonzero(opens), day, CODE["_email.open"])
            emit(np.flatnonzero(opens & (rng.random(n) < 0.3)), day, CODE["_email.click"])
            quit_email = delivered & (rng.random(n) < _sigmoid(-5.0 - 1.5 * engagement))
            complain = quit_email & (rng.random(n) < 0.1)
            emit(np.flatnonzero(quit_email & ~complain), day, CODE["_email.unsubscribe"])
            emit(np.flatnonzero(complain), day, CODE["_email.complaint"])
            # SMS
            emit(np.flatnonzero(sms_day), day, CODE["_SMS.SUCCESS"])
            replies = sms_day & (rng.random(n) < _sigmoid(-1.5 + 1.2 * engagement))
            emit(np.flatnonzero(replies), day, CODE["_SMS.RECEIVED"])
            quit_sms = sms_day & (rng.random(n) < _sigmoid(-5.0 - 1.5 * engagement))
            emit(np.flatnonzero(quit_sms), day, CODE["_SMS.OPTOUT"])
            opted_out |= quit_email | quit_sms
            pending = sum(c[0].size for c in chunks)
            if pending >= chunk_events:
                yield EventColumns.of(chunks)
                chunks = []
        if chunks:
            yield EventColumns.of(chunks)

    # -- Pinpoint shapes ----------------------------------------------------------------

    def endpoints(self) -> Iterator[Endpoint]:
        """One endpoint per customer (email, or SMS for a quarter of them)."""
        start = self.config.start
        for i in range(self.config.customers):
            signup = start + timedelta(days=int(self.signup_day[i]))
            sms = bool(self.is_sms[i])
            yield Endpoint.model_validate(
                {
                    "Id": endpoint_id(i),
                    "ChannelType": "SMS" if sms else "EMAIL",
                    "Address": f"+1555{i:07d}" if sms else f"customer{i}@example.com",
                    "CreationDate": signup.isoformat().replace("+00:00", "Z"),
                    "EffectiveDate": signup.isoformat().replace("+00:00", "Z"),
                    "User": {
                        "UserId": f"user-{i:07d}",
                        "UserAttributes": {"FirstName": [f"Customer {i}"]},
                    },
                    "Attributes": {"Source": ["simulation"]},
                }
            )


def event_records(
    events: SimulatedEvents, app_id: str, id_prefix: str, first_index: int = 0
) -> Iterator[EventRecord]:
    """The simulated events as Pinpoint event-stream records (for an event store that
    only takes records); event ids ``<id_prefix><first_index + k>``."""
    for k in range(len(events)):
        i = int(events.customer[k])
        kind = EVENT_TYPES[int(events.code[k])]
        stamp = int(events.timestamp_ms[k])
        eid = endpoint_id(i)
        attributes: dict[str, str] = {}
        metrics: dict[str, float] = {}
        if kind == "_monetization.purchase":
            attributes = {"_currency": "USD", "_product_id": "sku-1"}
            metrics = {"_quantity": 1.0, "_item_price": float(events.price[k])}
        elif kind == "_email.unsubscribe":
            attributes = {"unsubscribe_all": "true"}
        yield EventRecord.model_validate(
            {
                "event_type": kind,
                "event_timestamp": stamp,
                "arrival_timestamp": stamp,
                "application": {"app_id": app_id},
                "client": {"client_id": eid},
                "attributes": attributes,
                "metrics": metrics,
                "event_id": f"{id_prefix}{first_index + k}",
            }
        )
