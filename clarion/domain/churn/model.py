"""The churn model's fixed names, configuration and time split.

The feature columns the SQL source (``resources/sql/churn/features.sql``) produces, in
the order the model sees them; the time split: features as of a cut-off, label = no
session or purchase in the following window; training, held-out and scoring cut-offs
derived from one as-of date; the record kept of each trained model. Plain Python (no
numpy, no I/O), so the Lambda functions that evaluate models and write scores need no
scientific stack. See docs/churn.md."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clarion.domain.churn.definition import (
    DEFAULT_ACTIVE_DAYS,
    DEFAULT_ACTIVITY_EVENTS,
    DEFAULT_LABEL_DAYS,
    ChurnDefinition,
)

DAY_MS = 86_400_000

CHURN_METRIC = "ChurnRisk"
"""The endpoint metric the score is written to (``Metrics.ChurnRisk``, 0 to 1)."""

MODEL_FILE = "xgboost-model"
"""The one file in ``model.tar.gz``: what SageMaker's XGBoost container loads."""


def artifact_file(kind: str) -> str:
    """The name a model's artifact is stored under: SageMaker's ``model.tar.gz`` for
    XGBoost, the parameters as JSON for a baseline."""
    return "model.tar.gz" if kind == "xgboost" else "parameters.json"


ID_COLUMN = "id"
SPLIT_COLUMN = "split"
LABEL_COLUMN = "churned"

# The model's inputs, in order. The SQL source must produce exactly these (tested).
FEATURE_COLUMNS: tuple[str, ...] = (
    "days_since_last_activity",
    "days_since_last_session",
    "days_since_last_purchase",
    "sessions_7d",
    "sessions_30d",
    "sessions_90d",
    "sessions_30_60d",
    "active_days_30d",
    "purchases_30d",
    "purchases_90d",
    "revenue_30d",
    "revenue_90d",
    "email_delivered_90d",
    "email_opens_30d",
    "email_open_rate_90d",
    "email_click_rate_90d",
    "sms_delivered_90d",
    "sms_reply_rate_90d",
    "bounces_90d",
    "complaints",
    "opted_out",
    "tenure_days",
    "is_sms",
    "sessions_3d",
    "sessions_14d",
    "sessions_7_14d",
    "sessions_14_28d",
    "sessions_60_90d",
    "active_days_14d",
    "sessions_365d",
    "sessions_1d",
    "days_since_last_response",
    "email_open_rate_30_90d",
    "email_open_rate_30d",
    "sms_reply_rate_30d",
    "session_rate_90d",
    "expected_sessions_since_last",
    # Activity (the definition's events) and purchases, for businesses that have only
    # purchases or only sessions (docs/churn.md, "Features").
    "activity_7d",
    "activity_30d",
    "activity_90d",
    "activity_30_90d",
    "activity_365d",
    "btyd_frequency",
    "btyd_recency",
    "btyd_age",
    "gap_mean_days",
    "gap_std_days",
    "gap_overdue",
    "purchases_365d",
    "purchases_90_180d",
    "revenue_365d",
    "revenue_90_180d",
    "revenue_trend",
    "avg_order_value",
)

BTYD_FEATURES: tuple[str, str, str] = ("btyd_frequency", "btyd_recency", "btyd_age")
"""Frequency ``x`` (repeat activity days), recency ``t_x`` (days from the first activity
day to the last) and age ``T`` (days from the first activity day to the cut-off) in the
look-back: the BTYD models' summary of a history."""

RECENCY_FEATURE = "days_since_last_activity"

DEFAULT_HYPERPARAMETERS: dict[str, str] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "num_round": "400",
    "max_depth": "6",
    "eta": "0.05",
    "subsample": "0.8",
    "colsample_bytree": "0.8",
    "min_child_weight": "10",
    "lambda": "1.0",
}
"""Hyperparameters of the built-in XGBoost algorithm (strings, as SageMaker passes them).
The local trainer uses the same ones with ``num_round`` as a ceiling: it stops early on a
validation split of the training rows and records the rounds it kept."""


# -- configuration and the time split -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChurnConfig:
    """The knobs of the churn pipeline.

    Parameters
    ----------
    label_days, active_days, activity_events
        The definition of churn (:class:`~clarion.domain.churn.definition.ChurnDefinition`):
        no activity event in the ``label_days`` after a cut-off, among endpoints with
        one in the ``active_days`` before it.
    threshold
        ``Metrics.ChurnRisk`` at or above which an endpoint is in the churn segment.
    holdout_percent
        The retention campaign's HoldoutPercent.
    min_auc_gain
        A candidate is promoted only if its held-out ROC-AUC beats the current model's
        by more than this.
    backtest_cutoffs
        Cut-offs of the rolling-origin backtest (each one label window before the last).
    """

    label_days: int = DEFAULT_LABEL_DAYS
    active_days: int = DEFAULT_ACTIVE_DAYS
    activity_events: tuple[str, ...] = DEFAULT_ACTIVITY_EVENTS
    threshold: float = 0.5
    holdout_percent: int = 20
    min_auc_gain: float = 0.0
    segment_name: str = "churn-risk"
    campaign_name: str = "churn-retention"
    backtest_cutoffs: int = 3

    def __post_init__(self) -> None:
        # Validates the windows and the events (and makes the events a tuple).
        object.__setattr__(self, "activity_events", self.definition.activity_events)
        if self.backtest_cutoffs < 1:
            raise ValueError("backtest_cutoffs must be at least 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if not 0 <= self.holdout_percent < 100:
            raise ValueError("holdout_percent must be 0 to 99")

    @property
    def definition(self) -> ChurnDefinition:
        """The definition of churn these settings give."""
        return ChurnDefinition(self.label_days, self.active_days, tuple(self.activity_events))

    def with_definition(self, definition: ChurnDefinition | None) -> ChurnConfig:
        """These settings with another definition of churn (``None``: unchanged)."""
        if definition is None:
            return self
        from dataclasses import replace

        return replace(
            self,
            label_days=definition.label_days,
            active_days=definition.active_days,
            activity_events=definition.activity_events,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["activity_events"] = list(self.activity_events)
        return data


def day_start(moment: date | datetime) -> datetime:
    """Midnight UTC of the given date (or of the UTC date of a datetime)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class TimeSplit:
    """Cut-offs derived from one as-of date (midnight UTC).

    ``train``: features before ``as_of - 2w``, labels in the next ``w`` days.
    ``eval`` (held out): features before ``as_of - w``, labels in ``[as_of - w, as_of)``.
    ``score``: features before ``as_of``; the label is unknown.
    """

    as_of: datetime
    label_days: int

    @classmethod
    def of(cls, as_of: date | datetime, label_days: int) -> TimeSplit:
        return cls(day_start(as_of), label_days)

    @property
    def train_cutoff(self) -> datetime:
        return self.as_of - timedelta(days=2 * self.label_days)

    @property
    def eval_cutoff(self) -> datetime:
        return self.as_of - timedelta(days=self.label_days)

    @property
    def score_cutoff(self) -> datetime:
        return self.as_of

    def parameters(
        self, splits: Iterable[str], definition: ChurnDefinition | None = None
    ) -> dict[str, Any]:
        """The SQL parameters for the wanted splits (a cut-off of 0 leaves one out) under
        ``definition`` (the default one when None; its label window must be this
        split's)."""
        definition = definition or ChurnDefinition(label_days=self.label_days)
        if definition.label_days != self.label_days:
            raise ValueError(
                f"the split has a {self.label_days}-day label window, the definition "
                f"{definition.label_days}"
            )
        wanted = set(splits)
        unknown = wanted - {"train", "eval", "score"}
        if unknown:
            raise ValueError(f"unknown split(s): {', '.join(sorted(unknown))}")
        cutoffs = {
            "train": self.train_cutoff,
            "eval": self.eval_cutoff,
            "score": self.score_cutoff,
        }
        return {
            **{
                f"{name}_cutoff_ms": epoch_ms(c) if name in wanted else 0
                for name, c in cutoffs.items()
            },
            **definition.sql_parameters(),
        }


# -- model metadata ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """What is kept beside a model artifact, and in the promoted pointer.

    ``kind`` says what scores: ``xgboost`` (the artifact is SageMaker's
    ``model.tar.gz``) or one of the baselines, ``logistic``, ``recency``, ``btyd``
    (the artifact is their parameters as JSON, see ``clarion.domain.churn.scorers``).
    ``definition`` is the definition of churn it was trained for (None in records made
    before definitions were recorded: the default one).
    """

    model_id: str
    as_of: str
    created: str
    metrics: dict[str, Any] = field(default_factory=dict)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = FEATURE_COLUMNS
    artifact: str = ""
    kind: str = "xgboost"
    definition: dict[str, Any] | None = None

    @property
    def churn_definition(self) -> ChurnDefinition:
        """The definition of churn the model was trained for."""
        return ChurnDefinition.from_json(self.definition)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["features"] = list(self.features)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelRecord:
        return cls(
            model_id=str(data["model_id"]),
            as_of=str(data["as_of"]),
            created=str(data["created"]),
            metrics=dict(data.get("metrics") or {}),
            hyperparameters={k: str(v) for k, v in (data.get("hyperparameters") or {}).items()},
            features=tuple(data.get("features") or FEATURE_COLUMNS),
            artifact=str(data.get("artifact") or ""),
            kind=str(data.get("kind") or "xgboost"),
            definition=dict(data["definition"]) if data.get("definition") else None,
        )
