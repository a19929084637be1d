"""Predictive churn, the pure rules: the user's definition of churn, names and time
split, CSV layouts for SageMaker, evaluation metrics, the baselines (logistic regression,
BG/NBD, recency rule) as models, the choice of scorer by evidence (DeLong intervals),
retention uplift, the churn segment and campaign requests, and the parameters of a
simulated history. No numpy, no I/O.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.churn.btyd import (
        BgNbdParameters,
        fit_bgnbd,
        p_alive,
        p_no_activity,
    )
    from clarion.domain.churn.datasets import (
        feature_vector,
        labels_csv,
        parse_feature_csv,
        parse_scores,
        training_csv,
        transform_csv,
    )
    from clarion.domain.churn.definition import (
        ChurnDefinition,
        DefinitionMismatchError,
        parse_event_list,
        require_same_definition,
    )
    from clarion.domain.churn.metrics import (
        ScoreMetrics,
        calibration,
        expected_calibration_error,
        lift_curve,
        pr_auc,
        recency_rule_scores,
        roc_auc,
        roc_points,
        top_fraction_lift,
    )
    from clarion.domain.churn.model import (
        BTYD_FEATURES,
        CHURN_METRIC,
        DAY_MS,
        DEFAULT_HYPERPARAMETERS,
        FEATURE_COLUMNS,
        ID_COLUMN,
        LABEL_COLUMN,
        MODEL_FILE,
        RECENCY_FEATURE,
        SPLIT_COLUMN,
        ChurnConfig,
        ModelRecord,
        TimeSplit,
        day_start,
        epoch_ms,
    )
    from clarion.domain.churn.requests import (
        churn_segment_request,
        retention_campaign_request,
        retention_template_request,
    )
    from clarion.domain.churn.selection import (
        AucDifference,
        Replacement,
        Selection,
        auc_difference,
        replacement_decision,
        select_scorer,
    )
    from clarion.domain.churn.simulation import SimulationConfig, event_id_prefix
    from clarion.domain.churn.uplift import Uplift, retention_uplift, wilson_interval

_HOMES: dict[str, str] = {
    "AucDifference": "clarion.domain.churn.selection",
    "BTYD_FEATURES": "clarion.domain.churn.model",
    "BgNbdParameters": "clarion.domain.churn.btyd",
    "CHURN_METRIC": "clarion.domain.churn.model",
    "ChurnConfig": "clarion.domain.churn.model",
    "ChurnDefinition": "clarion.domain.churn.definition",
    "DAY_MS": "clarion.domain.churn.model",
    "DEFAULT_HYPERPARAMETERS": "clarion.domain.churn.model",
    "DefinitionMismatchError": "clarion.domain.churn.definition",
    "FEATURE_COLUMNS": "clarion.domain.churn.model",
    "ID_COLUMN": "clarion.domain.churn.model",
    "LABEL_COLUMN": "clarion.domain.churn.model",
    "MODEL_FILE": "clarion.domain.churn.model",
    "ModelRecord": "clarion.domain.churn.model",
    "RECENCY_FEATURE": "clarion.domain.churn.model",
    "Replacement": "clarion.domain.churn.selection",
    "SPLIT_COLUMN": "clarion.domain.churn.model",
    "ScoreMetrics": "clarion.domain.churn.metrics",
    "Selection": "clarion.domain.churn.selection",
    "SimulationConfig": "clarion.domain.churn.simulation",
    "TimeSplit": "clarion.domain.churn.model",
    "Uplift": "clarion.domain.churn.uplift",
    "auc_difference": "clarion.domain.churn.selection",
    "calibration": "clarion.domain.churn.metrics",
    "churn_segment_request": "clarion.domain.churn.requests",
    "day_start": "clarion.domain.churn.model",
    "epoch_ms": "clarion.domain.churn.model",
    "event_id_prefix": "clarion.domain.churn.simulation",
    "expected_calibration_error": "clarion.domain.churn.metrics",
    "feature_vector": "clarion.domain.churn.datasets",
    "fit_bgnbd": "clarion.domain.churn.btyd",
    "labels_csv": "clarion.domain.churn.datasets",
    "lift_curve": "clarion.domain.churn.metrics",
    "p_alive": "clarion.domain.churn.btyd",
    "p_no_activity": "clarion.domain.churn.btyd",
    "parse_event_list": "clarion.domain.churn.definition",
    "parse_feature_csv": "clarion.domain.churn.datasets",
    "parse_scores": "clarion.domain.churn.datasets",
    "pr_auc": "clarion.domain.churn.metrics",
    "recency_rule_scores": "clarion.domain.churn.metrics",
    "replacement_decision": "clarion.domain.churn.selection",
    "require_same_definition": "clarion.domain.churn.definition",
    "retention_campaign_request": "clarion.domain.churn.requests",
    "retention_template_request": "clarion.domain.churn.requests",
    "retention_uplift": "clarion.domain.churn.uplift",
    "roc_auc": "clarion.domain.churn.metrics",
    "roc_points": "clarion.domain.churn.metrics",
    "select_scorer": "clarion.domain.churn.selection",
    "top_fraction_lift": "clarion.domain.churn.metrics",
    "training_csv": "clarion.domain.churn.datasets",
    "transform_csv": "clarion.domain.churn.datasets",
    "wilson_interval": "clarion.domain.churn.uplift",
}

__all__ = [
    "BTYD_FEATURES",
    "CHURN_METRIC",
    "DAY_MS",
    "DEFAULT_HYPERPARAMETERS",
    "FEATURE_COLUMNS",
    "ID_COLUMN",
    "LABEL_COLUMN",
    "MODEL_FILE",
    "RECENCY_FEATURE",
    "SPLIT_COLUMN",
    "AucDifference",
    "BgNbdParameters",
    "ChurnConfig",
    "ChurnDefinition",
    "DefinitionMismatchError",
    "ModelRecord",
    "Replacement",
    "ScoreMetrics",
    "Selection",
    "SimulationConfig",
    "TimeSplit",
    "Uplift",
    "auc_difference",
    "calibration",
    "churn_segment_request",
    "day_start",
    "epoch_ms",
    "event_id_prefix",
    "expected_calibration_error",
    "feature_vector",
    "fit_bgnbd",
    "labels_csv",
    "lift_curve",
    "p_alive",
    "p_no_activity",
    "parse_event_list",
    "parse_feature_csv",
    "parse_scores",
    "pr_auc",
    "recency_rule_scores",
    "replacement_decision",
    "require_same_definition",
    "retention_campaign_request",
    "retention_template_request",
    "retention_uplift",
    "roc_auc",
    "roc_points",
    "select_scorer",
    "top_fraction_lift",
    "training_csv",
    "transform_csv",
    "wilson_interval",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
