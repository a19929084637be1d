"""Churn use cases, one module per job: loading a (simulated) customer history,
datasets, the candidates (XGBoost and the baselines), training with selection by
evidence, the rolling-origin backtest, scoring and the churn segment, the
retention campaign and its uplift, the report, and the AWS state machines' steps.

:class:`ChurnService` composes them for the local flow (the ``clarion churn`` commands);
:class:`ChurnPipeline` runs the state machines' steps on AWS.
"""

from clarion.services.churn.backtest import ChurnBacktest
from clarion.services.churn.datasets import ChurnDatasets, FeatureFrame
from clarion.services.churn.history import ChurnHistory, SimulationUnavailableError
from clarion.services.churn.pipeline import ChurnPipeline
from clarion.services.churn.report import ChurnReport, write_report
from clarion.services.churn.retention import CampaignLauncher, EngineLauncher, RetentionCampaigns
from clarion.services.churn.scoring import ChurnScoring
from clarion.services.churn.service import ChurnService
from clarion.services.churn.shared import sql_source
from clarion.services.churn.training import ChurnTraining

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
