"""Loading a customer history: a simulated population's endpoints and events written
into the stores, and what only a simulation knows: each customer's true churn
probability (the oracle baseline) and how treated customers respond to a retention
message.

The simulator comes through the ``ChurnSimulator`` port: the local backend provides the
development kit's; on AWS there is none, and asking to simulate says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.churn.model import ChurnConfig, day_start
from clarion.domain.churn.simulation import SimulationConfig, event_id_prefix
from clarion.domain.common.errors import NotFoundError
from clarion.domain.events.records import EventRecord
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.audience import ProfileStore
from clarion.ports.churn import (
    ChurnModelStore,
    ChurnSimulator,
    ColumnarEventSink,
    SimulatedPopulation,
)
from clarion.ports.events import EventSink
from clarion.services.churn.shared import SIMULATION_DOC, utc_now

ENDPOINT_BATCH = 5_000
EVENT_BATCH = 20_000
HISTORY_STREAM = 1
"""The simulator's random stream for the history itself."""
RESPONSE_STREAM = 2
"""The stream for the window after a retention campaign (independent of the history)."""

# Per endpoint, whether the campaign's send reached it (the engine's own send events).
_CAMPAIGN_SENDS_SQL = (
    "SELECT endpoint_id, max(element_at(attributes, 'campaign_send_status')) AS status "
    "FROM events WHERE event_type = '_campaign.send' "
    "AND element_at(attributes, 'campaign_id') = :campaign_id GROUP BY endpoint_id"
)

SimulatorSource = ChurnSimulator | Callable[[], ChurnSimulator | None] | None
"""A simulator, a function making it on first use, or None (where there is none)."""


class SimulationUnavailableError(RuntimeError):
    """Asked for a simulated history where no behaviour simulator is provided."""

    def __init__(self) -> None:
        super().__init__(
            "no behaviour simulator here: simulated customer history is demo data of the "
            "local backend (run it with --backend local)"
        )


class ChurnHistory:
    """Simulated customer history: written into the stores, and asked what only the
    simulation knows.

    Parameters
    ----------
    profiles
        Where the simulated endpoints go.
    models
        Keeps the simulation's parameters (the ``simulation`` document).
    analytics
        Finds whom a retention campaign reached.
    config
        The label window (the oracle's and the response's).
    simulator
        The behaviour simulator, or a function making it on first use; None where there
        is none (AWS).
    events
        Where simulated events go as records.
    columnar
        Takes simulated events as columns (local); preferred over ``events``, which is
        used that way too when it can.
    app_id
        The application id stamped on the events.
    """

    def __init__(
        self,
        profiles: ProfileStore,
        models: ChurnModelStore,
        analytics: AnalyticsQuery,
        config: ChurnConfig,
        *,
        simulator: SimulatorSource = None,
        events: EventSink | None = None,
        columnar: Any | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._profiles = profiles
        self._models = models
        self._analytics = analytics
        self._config = config
        self._simulator_source = simulator
        self._events = events
        self._columnar = columnar
        self._app_id = app_id
        self._clock = clock

    def _simulator(self) -> ChurnSimulator | None:
        source = self._simulator_source
        if source is None or not callable(source):
            return source
        return source()

    def simulator(self) -> ChurnSimulator:
        """The behaviour simulator. Raises SimulationUnavailableError where there is
        none (AWS)."""
        simulator = self._simulator()
        if simulator is None:
            raise SimulationUnavailableError()
        return simulator

    def _column_sink(self) -> ColumnarEventSink | None:
        for candidate in (self._columnar, self._events):
            if candidate is not None and callable(getattr(candidate, "put_event_columns", None)):
                return cast(ColumnarEventSink, candidate)
        return None

    # -- the history ---------------------------------------------------------------------

    def simulate(
        self, customers: int, days: int = 180, seed: int = 0, as_of: date | None = None
    ) -> dict[str, Any]:
        """Write a simulated history ending at ``as_of`` (default: today, UTC) into the
        stores: one endpoint per customer, and their sessions, purchases, emails and SMS.
        Its parameters are kept (the ``simulation`` document) for the oracle.

        Raises
        ------
        SimulationUnavailableError
            There is no behaviour simulator here (AWS).
        RuntimeError
            There is nowhere to write the events.
        """
        simulator = self.simulator()
        if self._events is None and self._column_sink() is None:
            raise RuntimeError("simulation needs an event sink")
        end = day_start(as_of or self._clock())
        config = SimulationConfig(customers, days, seed, end)
        population = simulator.population(config)
        self._put_endpoints(population.endpoints())
        stored = self._write_events(population, 0, days, HISTORY_STREAM)
        self._models.put_document(SIMULATION_DOC, config.to_json())
        return {**config.to_json(), "endpoints": customers, "events": stored}

    def population(self) -> SimulatedPopulation | None:
        """The stored simulation's population, rebuilt; None without a simulated history
        or without a simulator."""
        document = self._models.get_document(SIMULATION_DOC)
        if not document:
            return None
        simulator = self._simulator()
        if simulator is None:
            return None
        return simulator.population(SimulationConfig.from_json(document))

    def true_churn_probabilities(
        self, endpoint_ids: Sequence[str], cutoff: datetime
    ) -> list[float] | None:
        """The oracle: each endpoint's true probability of churning in the label window
        after ``cutoff``; None unless the history is simulated and they are all its
        customers."""
        population = self.population()
        if population is None:
            return None
        return population.true_churn_probabilities(
            endpoint_ids, population.config.day_of(cutoff), self._config.label_days
        )

    def play_retention_response(self, campaign_id: str, launched: datetime) -> dict[str, Any]:
        """Play out the label window after a retention campaign: the customers its send
        reached engage more from the launch day on, and the window's events are written.
        Returns how many were treated, the events written and the window's days.

        Raises
        ------
        SimulationUnavailableError
            There is no behaviour simulator here (AWS).
        NotFoundError
            The history is not simulated.
        """
        self.simulator()
        population = self.population()
        if population is None:
            raise NotFoundError("simulated history", SIMULATION_DOC)
        rows = self._analytics.rows(_CAMPAIGN_SENDS_SQL, {"campaign_id": campaign_id})
        reached = [str(r["endpoint_id"]) for r in rows if r["status"] == "SUCCESS"]
        first_day = population.config.day_of(day_start(launched))
        treated = population.treat(reached, first_day)
        days = self._config.label_days
        stored = self._write_events(population, first_day, days, RESPONSE_STREAM)
        return {"treated": treated, "events": stored, "days": days}

    # -- writing -------------------------------------------------------------------------

    def _put_endpoints(self, endpoints: Iterable[Endpoint]) -> None:
        batch: list[Endpoint] = []
        for endpoint in endpoints:
            batch.append(endpoint)
            if len(batch) >= ENDPOINT_BATCH:
                self._profiles.put_endpoints(batch)
                batch = []
        self._profiles.put_endpoints(batch)

    def _write_events(
        self, population: SimulatedPopulation, first_day: int, days: int, stream: int
    ) -> int:
        """Simulate days ``[first_day, first_day + days)`` chunk by chunk and store the
        events: as columns when the store takes them, else as records. Returns how many
        were new."""
        prefix = event_id_prefix(population.config.seed, stream, first_day)
        sink = self._column_sink()
        ids = population.endpoint_ids() if sink else None
        stored = index = 0
        for chunk in population.event_chunks(first_day, days, stream):
            if sink is not None:
                stored += sink.put_event_columns(
                    chunk.customer,
                    chunk.timestamp_ms,
                    chunk.code,
                    chunk.price,
                    event_types=population.event_types,
                    endpoint_ids=ids,
                    app_id=self._app_id,
                    id_prefix=prefix,
                    first_index=index,
                )
            else:
                stored += self._put_records(
                    population.event_records(chunk, self._app_id, prefix, index)
                )
            index += len(chunk)
        return stored

    def _put_records(self, records: Iterable[EventRecord]) -> int:
        assert self._events is not None
        stored = 0
        chunk: list[EventRecord] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= EVENT_BATCH:
                stored += len(self._events.put_records(chunk))
                chunk = []
        if chunk:
            stored += len(self._events.put_records(chunk))
        return stored
