"""Ports of the churn feature: models, learning, SageMaker jobs and pipeline files,
the columnar capabilities the local adapters add (optional), and the behaviour
simulator that demos and benchmarks provide (never part of a deployed runtime)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.audience.endpoint import Endpoint
    from clarion.domain.churn.model import ModelRecord
    from clarion.domain.churn.simulation import SimulationConfig
    from clarion.domain.events.records import EventRecord


class ChurnModelStore(Protocol):
    """Churn model artifacts (``model.tar.gz`` holding one ``xgboost-model``), their
    metadata, the promoted pointer, and small JSON documents of the pipeline.

    Locally: files under ``CLARION_HOME/models/churn/``. On AWS: S3 objects under
    ``models/churn/`` in the data bucket.
    """

    def save_model(self, record: ModelRecord, archive: bytes) -> str:
        """Store the artifact and its record; returns where (path or ``s3://`` URL)."""
        ...

    def load_model(self, model_id: str) -> tuple[ModelRecord, bytes]:
        """The record and artifact. Raises ``NotFoundError``."""
        ...

    def promoted(self) -> ModelRecord | None:
        """The model scoring uses now, or None before the first promotion."""
        ...

    def promote(self, record: ModelRecord) -> None:
        """Make ``record`` the promoted model (the previous pointer is kept as history)."""
        ...

    def put_document(self, name: str, document: Mapping[str, Any]) -> str:
        """Store a JSON document (evaluation, report, simulation); returns where."""
        ...

    def get_document(self, name: str) -> dict[str, Any] | None: ...


class ChurnLearner(Protocol):
    """Fits and applies models in process: XGBoost (the same version as the SageMaker
    container) and the logistic-regression baseline. Rows are dicts with the columns of
    ``clarion/resources/sql/churn/features.sql``."""

    def fit(self, rows: Sequence[Mapping[str, Any]], hyperparameters: Mapping[str, str]) -> bytes:
        """Train on labelled rows; returns a SageMaker-compatible ``model.tar.gz``."""
        ...

    def predict(self, archive: bytes, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        """Churn probability of each row, in order."""
        ...

    def baseline(
        self, train: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        """Scores of ``rows`` by a logistic regression fitted on ``train``."""
        ...


class ChurnJobs(Protocol):
    """SageMaker training and batch-transform jobs (AWS only), started with the
    built-in XGBoost container whose image URI is given in configuration."""

    def start_training(
        self, job_name: str, train_uri: str, output_uri: str, hyperparameters: Mapping[str, str]
    ) -> str:
        """Start a training job on label-first CSV; returns the job name."""
        ...

    def training_artifact(self, job_name: str) -> str:
        """The ``s3://`` URL of a completed job's ``model.tar.gz``."""
        ...

    def start_transform(
        self, job_name: str, model_uri: str, input_uri: str, output_uri: str
    ) -> str:
        """Create a model from ``model_uri`` and a batch transform job over ``input_uri``
        (CSV: id then features); returns the job name."""
        ...

    def transform_status(self, job_name: str) -> str:
        """``InProgress``, ``Completed``, ``Failed`` or ``Stopped``."""
        ...


class ChurnFiles(Protocol):
    """Text files of the pipeline (datasets, transform inputs and outputs), addressed
    by key. Locally under ``CLARION_HOME/churn/``; on AWS in the data bucket (keys are
    object keys; ``s3://`` URLs are accepted too)."""

    def put_text(self, key: str, text: str) -> str:
        """Write; returns the full location (path or ``s3://`` URL)."""
        ...

    def get_text(self, key: str) -> str:
        """Read a key, or a location :meth:`put_text` returned. Raises ``NotFoundError``."""
        ...

    def location(self, key: str) -> str:
        """Where ``key`` is (or would be) written, without writing: what
        :meth:`put_text` returns for it."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix``, sorted."""
        ...


class ColumnarAnalytics(Protocol):
    """An analytics adapter that can also return a result as Arrow columns (the local
    one: ``clarion.adapters.local.churn.DuckDBChurnData``)."""

    def arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any: ...


class ColumnarEventSink(Protocol):
    """An event store that takes simulated events as columns (local)."""

    def put_event_columns(
        self,
        customer: Any,
        timestamp_ms: Any,
        code: Any,
        price: Any,
        *,
        event_types: Sequence[str],
        endpoint_ids: Any,
        app_id: str,
        id_prefix: str,
        first_index: int = 0,
    ) -> int: ...


class ColumnarChurnLearner(Protocol):
    """A learner on feature matrices (the columns of the model's features, in its
    order) rather than row dicts (the local ``XGBoostChurnLearner``)."""

    def fit_arrays(
        self, features: Any, labels: Any, hyperparameters: Mapping[str, str]
    ) -> tuple[bytes, dict[str, str]]: ...

    def predict_arrays(self, archive: bytes, features: Any) -> Any: ...

    def baseline_arrays(self, train: Any, labels: Any, features: Any) -> Any: ...

    def logistic_arrays(self, train: Any, labels: Any) -> dict[str, Any]:
        """The logistic baseline's parameters (``mean``, ``scale``, ``coef``,
        ``intercept``, by column) fitted on the matrix (counts on a log scale,
        standardised): what ``clarion.domain.churn.scorers.LogisticModel`` keeps."""
        ...


class ChurnQueryStarter(Protocol):
    """Starts the churn features query without waiting for it (Athena on AWS: the state
    machine polls its status), and says where a finished query's CSV result is."""

    def start(self, sql: str, parameters: Mapping[str, Any]) -> str:
        """Start ``sql`` with ``parameters`` bound; returns the query execution id."""
        ...

    def output_location(self, query_execution_id: str) -> str:
        """The ``s3://`` URL of the finished query's CSV result."""
        ...


class SimulatedEvents(Protocol):
    """One chunk of a simulated run's events as columns of one length (numpy arrays):
    the customer's index, the time (epoch milliseconds), the event type's code (an
    index into :attr:`SimulatedPopulation.event_types`) and the price (purchases)."""

    @property
    def customer(self) -> Any: ...

    @property
    def timestamp_ms(self) -> Any: ...

    @property
    def code(self) -> Any: ...

    @property
    def price(self) -> Any: ...

    def __len__(self) -> int: ...


class SimulatedPopulation(Protocol):
    """A seeded simulated customer population whose true churn probability is known:
    what the churn services load as a customer history, score against as the oracle
    baseline, and ask how treated customers respond to a retention message.

    Days are indexes into the history (:meth:`SimulationConfig.day_of`).
    """

    @property
    def config(self) -> SimulationConfig:
        """What the population is made from (the same config gives the same one)."""
        ...

    @property
    def event_types(self) -> Sequence[str]:
        """The Pinpoint event type of each code in :attr:`SimulatedEvents.code`."""
        ...

    def endpoint_ids(self) -> list[str]:
        """The endpoint id of every customer, by customer index."""
        ...

    def endpoints(self) -> Iterable[Endpoint]:
        """One endpoint per customer."""
        ...

    def event_chunks(self, first_day: int, days: int, stream: int) -> Iterable[SimulatedEvents]:
        """The events of days ``[first_day, first_day + days)`` in chunks of whole days;
        ``stream`` selects an independent random stream (the same one repeats)."""
        ...

    def event_records(
        self, events: SimulatedEvents, app_id: str, id_prefix: str, first_index: int = 0
    ) -> Iterable[EventRecord]:
        """A chunk as Pinpoint event-stream records (event ids
        ``<id_prefix><first_index + k>``), for an event store that only takes records."""
        ...

    def true_churn_probabilities(
        self, endpoint_ids: Sequence[str], cutoff_day: int, window_days: int
    ) -> list[float] | None:
        """Each endpoint's probability of no session in the ``window_days`` from
        ``cutoff_day``, in order; None when one of them is not a customer here."""
        ...

    def treat(self, endpoint_ids: Sequence[str], from_day: int) -> int:
        """A retention message reached these endpoints on ``from_day``: their customers
        engage more from then on. Returns how many were customers here."""
        ...


class ChurnSimulator(Protocol):
    """Makes simulated populations. Provided by the development kit where demos and
    benchmarks run (the local backend); absent on AWS."""

    def population(self, config: SimulationConfig) -> SimulatedPopulation: ...
