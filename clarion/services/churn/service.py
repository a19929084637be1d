"""Predictive churn, one object for the whole local flow: features from one SQL source,
an XGBoost model, scores on endpoints (``Metrics.ChurnRisk``), a dynamic churn segment,
a retention campaign with a holdout, and a report that sets the model beside its
baselines and the best possible.

:class:`ChurnService` composes the use cases, one per job: :class:`ChurnHistory`
(loading a simulated history), :class:`ChurnDatasets`, :class:`ChurnTraining` (train,
evaluate, promote), :class:`ChurnScoring` (scores and the segment),
:class:`RetentionCampaigns` (launch and uplift) and :class:`ChurnReport`. Locally every
step runs in process; on AWS the state machines run the same steps one Lambda at a time
through :class:`~clarion.services.churn.pipeline.ChurnPipeline`. See docs/churn.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.model import ChurnConfig
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.audience import ProfileStore
from clarion.ports.churn import ChurnLearner, ChurnModelStore
from clarion.ports.events import EventSink
from clarion.services.churn.backtest import ChurnBacktest
from clarion.services.churn.datasets import ChurnDatasets, FeatureFrame
from clarion.services.churn.history import ChurnHistory, SimulatorSource
from clarion.services.churn.report import ChurnReport
from clarion.services.churn.retention import CampaignLauncher, RetentionCampaigns
from clarion.services.churn.scoring import ChurnScoring
from clarion.services.churn.shared import utc_now
from clarion.services.churn.training import ChurnTraining
from clarion.services.segments import SegmentService


class ChurnService:
    """Train, evaluate, promote and score churn models; keep the churn segment and the
    retention campaign; report. Each method is its use case's (the attributes
    ``history``, ``datasets``, ``training``, ``backtesting``, ``scoring``, ``retention``,
    ``reporting``).

    Parameters
    ----------
    profiles
        Endpoints: scores are merged into their Metrics.
    analytics
        Runs the features SQL (over ``endpoints`` and ``events``).
    models
        Model artifacts, the promoted pointer and pipeline documents.
    segments
        Keeps the churn segment.
    learner
        Fits and applies models in process (None on AWS, where SageMaker does).
    events
        Where simulated history goes (the local event store).
    launcher
        The campaign engine, for the retention campaign.
    config
        The definition of churn, threshold, holdout, promotion margin.
    reports
        The folder reports are written to (local).
    app_id
        The application id stamped on simulated events.
    columnar
        Local only: the database read as Arrow columns (features) and written
        column-wise (simulated events); see ``ColumnarAnalytics`` and
        ``ColumnarEventSink``. Without it, ``analytics`` and ``events`` are used when
        they offer the same methods, else rows and records.
    simulator
        The behaviour simulator (or a function making it on first use) that simulated
        history comes from; None where there is none (AWS).
    """

    def __init__(
        self,
        profiles: ProfileStore,
        analytics: AnalyticsQuery,
        models: ChurnModelStore,
        segments: SegmentService,
        *,
        learner: ChurnLearner | None = None,
        events: EventSink | None = None,
        launcher: CampaignLauncher | None = None,
        config: ChurnConfig | None = None,
        reports: Path | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = utc_now,
        columnar: Any | None = None,
        simulator: SimulatorSource = None,
    ) -> None:
        self._config = config or ChurnConfig()
        self.datasets = ChurnDatasets(analytics, self._config, columnar=columnar)
        self.history = ChurnHistory(
            profiles,
            models,
            analytics,
            self._config,
            simulator=simulator,
            events=events,
            columnar=columnar,
            app_id=app_id,
            clock=clock,
        )
        self.training = ChurnTraining(
            models, self.datasets, self._config, learner=learner, history=self.history, clock=clock
        )
        self.backtesting = ChurnBacktest(
            models, self.training, self._config, learner=learner, clock=clock
        )
        self.scoring = ChurnScoring(
            profiles, models, self.datasets, segments, self._config, learner=learner, clock=clock
        )
        self.retention = RetentionCampaigns(
            models,
            analytics,
            self.scoring,
            self._config,
            launcher=launcher,
            history=self.history,
            clock=clock,
        )
        self.reporting = ChurnReport(models, self.retention, reports)

    @property
    def config(self) -> ChurnConfig:
        """Windows, threshold, holdout and promotion margin (shared by every use case)."""
        return self._config

    # -- history and datasets -------------------------------------------------------------

    def simulate(
        self, customers: int, days: int = 180, seed: int = 0, as_of: date | None = None
    ) -> dict[str, Any]:
        """Write a simulated history ending at ``as_of``: :meth:`ChurnHistory.simulate`."""
        return self.history.simulate(customers, days, seed, as_of)

    def dataset(
        self,
        as_of: date | datetime,
        splits: Sequence[str],
        definition: ChurnDefinition | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of the features SQL for the wanted splits: :meth:`ChurnDatasets.rows`."""
        return self.datasets.rows(as_of, splits, definition)

    def dataset_frame(
        self,
        as_of: date | datetime,
        splits: Sequence[str],
        definition: ChurnDefinition | None = None,
    ) -> FeatureFrame:
        """The same rows as columns: :meth:`ChurnDatasets.frame`."""
        return self.datasets.frame(as_of, splits, definition)

    # -- training, scoring, segment -------------------------------------------------------

    def train(
        self,
        as_of: date | None = None,
        definition: ChurnDefinition | None = None,
        *,
        model_features: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Fit the candidates, choose on the held-out window, promote if better:
        :meth:`ChurnTraining.train`."""
        return self.training.train(as_of, definition, model_features=model_features)

    def backtest(
        self,
        as_of: date | None = None,
        definition: ChurnDefinition | None = None,
        *,
        cutoffs: int | None = None,
        step_days: int | None = None,
    ) -> dict[str, Any]:
        """The rolling-origin backtest: :meth:`ChurnBacktest.run`."""
        return self.backtesting.run(as_of, definition, cutoffs=cutoffs, step_days=step_days)

    def score(
        self, as_of: date | None = None, definition: ChurnDefinition | None = None
    ) -> dict[str, Any]:
        """Score the population with the promoted model: :meth:`ChurnScoring.score`."""
        return self.scoring.score(as_of, definition)

    def write_scores(self, scores: Mapping[str, float]) -> int:
        """Merge scores into endpoints' Metrics: :meth:`ChurnScoring.write_scores`."""
        return self.scoring.write_scores(scores)

    def refresh_segment(self, count: bool = True) -> dict[str, Any]:
        """Create or update the churn segment: :meth:`ChurnScoring.refresh_segment`."""
        return self.scoring.refresh_segment(count)

    # -- retention and report -------------------------------------------------------------

    def launch_retention(
        self, as_of: date | None = None, *, simulate_response: bool = False
    ) -> dict[str, Any]:
        """Launch the retention campaign with a holdout:
        :meth:`RetentionCampaigns.launch_retention`."""
        return self.retention.launch_retention(as_of, simulate_response=simulate_response)

    def uplift(self, campaign: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The retention uplift: :meth:`RetentionCampaigns.uplift`."""
        return self.retention.uplift(campaign)

    def report(self, definition: ChurnDefinition | None = None) -> dict[str, Any]:
        """The evaluation, the backtest and the uplift, with the HTML page:
        :meth:`ChurnReport.report`."""
        return self.reporting.report(definition)

    def dashboard(self) -> dict[str, Any]:
        """The evaluation, its curves and the uplift: :meth:`ChurnReport.dashboard`."""
        return self.reporting.dashboard()
