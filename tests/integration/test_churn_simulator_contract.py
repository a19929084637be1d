"""The ChurnSimulator contract (and the SimulatedPopulation it makes), on its one
backend: the development kit's seeded behaviour simulator, which the local bootstrap
provides. On AWS there is none (simulated history is demo data), so there is no second
backend; the churn services say so when asked to simulate there (tests/unit).

A simulator must make the same population from the same config; its endpoints, events
and records must describe the same customers; its true churn probabilities must be
probabilities, for its own customers only; and a retention message must count only its
customers and raise their engagement in the window after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from clarion.domain.churn.model import DAY_MS, epoch_ms
from clarion.domain.churn.simulation import SimulationConfig, event_id_prefix
from clarion.ports.churn import ChurnSimulator, SimulatedPopulation

END = datetime(2026, 11, 5, tzinfo=UTC)
CONFIG = SimulationConfig(customers=200, days=60, seed=5, end=END)


@pytest.fixture
def simulator() -> ChurnSimulator:
    from clarion_devkit.samples.churn_simulator import SeededChurnSimulator

    return SeededChurnSimulator()


@pytest.fixture
def population(simulator: ChurnSimulator) -> SimulatedPopulation:
    return simulator.population(CONFIG)


def _events(population: SimulatedPopulation, first_day: int, days: int, stream: int) -> list:
    return list(population.event_chunks(first_day, days, stream))


def test_the_population_is_made_from_its_config(population: SimulatedPopulation) -> None:
    assert population.config == CONFIG


def test_the_same_config_gives_the_same_history(simulator: ChurnSimulator) -> None:
    a, b = simulator.population(CONFIG), simulator.population(CONFIG)

    first, second = _events(a, 0, 60, 1), _events(b, 0, 60, 1)

    assert len(first) == len(second) > 0
    for x, y in zip(first, second, strict=True):
        assert np.array_equal(x.timestamp_ms, y.timestamp_ms)
        assert np.array_equal(x.customer, y.customer) and np.array_equal(x.code, y.code)
    assert [e.model_dump() for e in a.endpoints()] == [e.model_dump() for e in b.endpoints()]


def test_endpoints_are_the_customers_by_index(population: SimulatedPopulation) -> None:
    endpoints = list(population.endpoints())

    assert [e.id for e in endpoints] == population.endpoint_ids()
    assert len(endpoints) == CONFIG.customers == len(set(population.endpoint_ids()))


def test_events_fall_in_their_days_and_name_known_types(population: SimulatedPopulation) -> None:
    chunks = _events(population, 10, 20, 1)
    start_ms = epoch_ms(CONFIG.start + timedelta(days=10))
    end_ms = start_ms + 20 * DAY_MS

    for chunk in chunks:
        assert len(chunk) == len(chunk.customer) == len(chunk.code) == len(chunk.price)
        assert ((chunk.timestamp_ms >= start_ms) & (chunk.timestamp_ms < end_ms)).all()
        assert ((chunk.customer >= 0) & (chunk.customer < CONFIG.customers)).all()
        assert ((chunk.code >= 0) & (chunk.code < len(population.event_types))).all()
    assert "_session.start" in population.event_types
    assert sum(len(c) for c in chunks) > 0


def test_records_are_the_chunk_as_pinpoint_events(population: SimulatedPopulation) -> None:
    (chunk, *_) = _events(population, 0, 5, 1)
    prefix = event_id_prefix(CONFIG.seed, 1, 0)
    ids = population.endpoint_ids()

    records = list(population.event_records(chunk, "app-1", prefix, first_index=3))

    assert len(records) == len(chunk)
    for k, record in enumerate(records[:50]):
        assert record.event_id == f"{prefix}{3 + k}"
        assert record.event_type == population.event_types[int(chunk.code[k])]
        assert record.event_timestamp == int(chunk.timestamp_ms[k])
        assert record.client.client_id == ids[int(chunk.customer[k])]
        assert record.application.app_id == "app-1"


def test_true_churn_probabilities_are_probabilities_of_its_customers(
    population: SimulatedPopulation,
) -> None:
    ids = population.endpoint_ids()

    truth = population.true_churn_probabilities(ids[:50], 40, 14)

    assert truth is not None and len(truth) == 50
    assert all(0.0 <= p <= 1.0 for p in truth)
    # One id of someone else's history and there is no oracle.
    assert population.true_churn_probabilities([*ids[:5], "ep-somebody"], 40, 14) is None


def test_a_retention_message_counts_only_its_customers(population: SimulatedPopulation) -> None:
    ids = population.endpoint_ids()

    assert population.treat([*ids[:30], "ep-somebody", "sim-9999999"], 50) == 30


def test_treated_customers_engage_more_after_the_message(simulator: ChurnSimulator) -> None:
    treated = simulator.population(CONFIG)
    untreated = simulator.population(CONFIG)
    ids = treated.endpoint_ids()
    treated.treat(ids, 60)

    def sessions(population: SimulatedPopulation) -> int:
        code = list(population.event_types).index("_session.start")
        return sum(int((c.code == code).sum()) for c in _events(population, 60, 14, 2))

    assert sessions(treated) > sessions(untreated)
