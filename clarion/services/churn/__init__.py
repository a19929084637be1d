"""Churn use cases, one module per job: loading a (simulated) customer history,
datasets, the candidates (XGBoost and the baselines), training with selection by
evidence, the rolling-origin backtest, scoring and the churn segment, the
retention campaign and its uplift, the report, and the AWS state machines' steps.

:class:`ChurnService` composes them for the local flow (the ``clarion churn`` commands);
:class:`ChurnPipeline` runs the state machines' steps on AWS.


Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.churn.backtest import ChurnBacktest
    from clarion.services.churn.datasets import ChurnDatasets, FeatureFrame
    from clarion.services.churn.history import ChurnHistory, SimulationUnavailableError
    from clarion.services.churn.pipeline import ChurnPipeline
    from clarion.services.churn.report import ChurnReport, write_report
    from clarion.services.churn.retention import (
        CampaignLauncher,
        EngineLauncher,
        RetentionCampaigns,
    )
    from clarion.services.churn.scoring import ChurnScoring
    from clarion.services.churn.service import ChurnService
    from clarion.services.churn.shared import sql_source
    from clarion.services.churn.training import ChurnTraining

_HOMES: dict[str, str] = {
    "CampaignLauncher": "clarion.services.churn.retention",
    "ChurnBacktest": "clarion.services.churn.backtest",
    "ChurnDatasets": "clarion.services.churn.datasets",
    "ChurnHistory": "clarion.services.churn.history",
    "ChurnPipeline": "clarion.services.churn.pipeline",
    "ChurnReport": "clarion.services.churn.report",
    "ChurnScoring": "clarion.services.churn.scoring",
    "ChurnService": "clarion.services.churn.service",
    "ChurnTraining": "clarion.services.churn.training",
    "EngineLauncher": "clarion.services.churn.retention",
    "FeatureFrame": "clarion.services.churn.datasets",
    "RetentionCampaigns": "clarion.services.churn.retention",
    "SimulationUnavailableError": "clarion.services.churn.history",
    "sql_source": "clarion.services.churn.shared",
    "write_report": "clarion.services.churn.report",
}

__all__ = [
    "CampaignLauncher",
    "ChurnBacktest",
    "ChurnDatasets",
    "ChurnHistory",
    "ChurnPipeline",
    "ChurnReport",
    "ChurnScoring",
    "ChurnService",
    "ChurnTraining",
    "EngineLauncher",
    "FeatureFrame",
    "RetentionCampaigns",
    "SimulationUnavailableError",
    "sql_source",
    "write_report",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
