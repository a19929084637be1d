"""The behaviour simulator behind the churn services' ``ChurnSimulator`` port.

:class:`SeededChurnSimulator` makes :class:`SeededPopulation` objects, which give the
churn services what they need from :mod:`clarion_devkit.samples.churn_history`: the
customers and events to load, the true churn probabilities (the oracle baseline) and
the response of treated customers to a retention message, all addressed by endpoint
id. The local bootstrap provides it on first use; it is demo and benchmark code, never
part of a deployed runtime.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.churn.simulation import SimulationConfig
from clarion.domain.events.records import EventRecord
from clarion.ports.churn import SimulatedEvents
from clarion_devkit.samples.churn_history import (
    EVENT_TYPES,
    EventColumns,
    Population,
    customer_index,
    endpoint_id,
    event_records,
)

RETENTION_BOOST = 0.9
"""How much a retention message lifts a treated customer's engagement (log session rate)
from the day it arrives: enough for the demo's uplift to be measurable."""


class SeededPopulation:
    """A :class:`~clarion_devkit.samples.churn_history.Population` as the port's
    ``SimulatedPopulation``: endpoint ids in, plain lists out."""

    def __init__(self, population: Population) -> None:
        self._population = population

    @property
    def config(self) -> SimulationConfig:
        return self._population.config

    @property
    def event_types(self) -> Sequence[str]:
        return EVENT_TYPES

    def endpoint_ids(self) -> list[str]:
        return [endpoint_id(i) for i in range(self.config.customers)]

    def endpoints(self) -> Iterator[Endpoint]:
        return self._population.endpoints()

    def event_chunks(self, first_day: int, days: int, stream: int) -> Iterator[EventColumns]:
        return self._population.simulate_chunks(first_day, days, stream)

    def event_records(
        self, events: SimulatedEvents, app_id: str, id_prefix: str, first_index: int = 0
    ) -> Iterator[EventRecord]:
        return event_records(events, app_id, id_prefix, first_index)

    def _indexes(self, endpoint_ids: Sequence[str]) -> list[int | None]:
        """Each endpoint's customer index, None for an endpoint that is not one here."""
        customers = self.config.customers
        indexes = [customer_index(str(e)) for e in endpoint_ids]
        return [i if i is not None and i < customers else None for i in indexes]

    def true_churn_probabilities(
        self, endpoint_ids: Sequence[str], cutoff_day: int, window_days: int
    ) -> list[float] | None:
        indexes = self._indexes(endpoint_ids)
        if any(i is None for i in indexes):
            return None
        truth = self._population.true_churn_probability(cutoff_day, window_days)
        return [float(truth[i]) for i in indexes if i is not None]

    def treat(self, endpoint_ids: Sequence[str], from_day: int) -> int:
        chosen = np.asarray([i for i in self._indexes(endpoint_ids) if i is not None], np.int64)
        self._population.treat(chosen, from_day, RETENTION_BOOST)
        return int(chosen.size)


class SeededChurnSimulator:
    """The port's ``ChurnSimulator``: the same config always gives the same population."""

    def population(self, config: SimulationConfig) -> SeededPopulation:
        return SeededPopulation(Population(config))
