"""Predictive churn: the pure rules.

Everything here is plain Python (no numpy, no I/O), so the AWS Lambda functions that
evaluate models and write scores need no scientific stack:

* the feature columns the SQL source (``clarion/sql/churn/features.sql``) produces, in
  the order the model sees them, and the CSV layouts SageMaker's built-in XGBoost
  algorithm reads (label first, no header, for training; no header for batch transform);
* the time split: features as of a cut-off, label = no session or purchase in the
  following window; training, held-out and scoring cut-offs derived from one as-of date;
* evaluation metrics (ROC-AUC, PR-AUC, top-decile lift, calibration) and the promotion
  rule;
* the retention uplift (treated against holdout) with a confidence interval;
* the churn segment (Pinpoint WriteSegmentRequest on ``Metrics.ChurnRisk``) and the
  retention campaign request.

See docs/churn.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

DAY_MS = 86_400_000

CHURN_METRIC = "ChurnRisk"
"""The endpoint metric the score is written to (``Metrics.ChurnRisk``, 0 to 1)."""

MODEL_FILE = "xgboost-model"
"""The one file in ``model.tar.gz``: what SageMaker's XGBoost container loads."""

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
)

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
    label_days
        The window after a cut-off in which no session or purchase means churned.
    active_days
        Endpoints count (are scored, trained on) only if active in these days before
        the cut-off: those already gone are not "at risk".
    threshold
        ``Metrics.ChurnRisk`` at or above which an endpoint is in the churn segment.
    holdout_percent
        The retention campaign's HoldoutPercent.
    min_auc_gain
        A candidate is promoted only if its held-out ROC-AUC beats the current model's
        by more than this.
    """

    label_days: int = 28
    active_days: int = 90
    threshold: float = 0.5
    holdout_percent: int = 20
    min_auc_gain: float = 0.0
    segment_name: str = "churn-risk"
    campaign_name: str = "churn-retention"

    def __post_init__(self) -> None:
        if self.label_days < 1 or self.active_days < 1:
            raise ValueError("label_days and active_days must be at least 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if not 0 <= self.holdout_percent < 100:
            raise ValueError("holdout_percent must be 0 to 99")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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

    def parameters(self, splits: Iterable[str], active_days: int) -> dict[str, int]:
        """The SQL parameters for the wanted splits (a cut-off of 0 leaves one out)."""
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
            "label_days": self.label_days,
            "active_days": active_days,
        }


# -- rows, matrices and SageMaker CSV ------------------------------------------------


def feature_vector(row: Mapping[str, Any]) -> list[float]:
    """A row's features in :data:`FEATURE_COLUMNS` order (missing values are 0)."""
    out = []
    for name in FEATURE_COLUMNS:
        value = row.get(name)
        out.append(0.0 if value is None else float(value))
    return out


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def training_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Label first, then the features; no header: the built-in algorithm's training
    CSV (``ContentType: text/csv``)."""
    return "".join(
        ",".join([str(int(row[LABEL_COLUMN])), *map(_number, feature_vector(row))]) + "\n"
        for row in rows
    )


def transform_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The endpoint id, then the features; no header. The batch transform job drops the
    id on the way in (``InputFilter: $[1:]``) and joins it back to the score
    (``JoinSource: Input``, ``OutputFilter: $[0,-1]``)."""
    return "".join(
        ",".join([str(row[ID_COLUMN]), *map(_number, feature_vector(row))]) + "\n" for row in rows
    )


def parse_feature_csv(text: str) -> list[dict[str, Any]]:
    """Rows of the features query as CSV with a header (Athena's result file): ids and
    splits as text, features as numbers, the label as 0/1 (None when empty)."""
    import csv
    import io

    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {ID_COLUMN: raw[ID_COLUMN], SPLIT_COLUMN: raw.get(SPLIT_COLUMN, "")}
        for name in FEATURE_COLUMNS:
            value = raw.get(name)
            row[name] = float(value) if value not in (None, "") else None
        label = raw.get(LABEL_COLUMN)
        row[LABEL_COLUMN] = int(float(label)) if label not in (None, "") else None
        rows.append(row)
    return rows


def labels_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """``id,churned`` lines with a header (the held-out labels, kept beside the
    transform input)."""
    return f"{ID_COLUMN},{LABEL_COLUMN}\n" + "".join(
        f"{row[ID_COLUMN]},{int(row[LABEL_COLUMN])}\n" for row in rows
    )


def parse_scores(text: str) -> dict[str, float]:
    """Batch transform output lines ``id,score`` (the joined input and prediction)."""
    scores: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rsplit(",", 1)
        if len(parts) != 2:
            raise ValueError(f"line {number}: expected 'id,score', got {line[:80]!r}")
        endpoint_id = parts[0].split(",", 1)[0].strip().strip('"')
        score = float(parts[1])
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            raise ValueError(f"line {number}: score {score} is not a probability")
        scores[endpoint_id] = score
    return scores


# -- metrics ----------------------------------------------------------------------------


def _check(labels: Sequence[int], scores: Sequence[float]) -> None:
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels but {len(scores)} scores")
    if not labels:
        raise ValueError("no rows to evaluate")


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic; ties count one half)."""
    _check(labels, scores)
    order = sorted(range(len(scores)), key=scores.__getitem__)
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        rank_sum += mid_rank * sum(1 for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def pr_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Average precision: the area under the precision-recall curve (step-wise, tied
    scores taken together)."""
    _check(labels, scores)
    positives = sum(1 for y in labels if y)
    if positives == 0:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda k: -scores[k])
    total = 0.0
    hits = 0
    seen = 0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        group_hits = sum(1 for k in range(i, j + 1) if labels[order[k]])
        hits += group_hits
        seen += j - i + 1
        total += (hits / seen) * group_hits
        i = j + 1
    return total / positives


def top_fraction_lift(
    labels: Sequence[int], scores: Sequence[float], fraction: float = 0.1
) -> float:
    """Churn rate in the top ``fraction`` by score, over the overall rate."""
    _check(labels, scores)
    base = sum(labels) / len(labels)
    if base == 0:
        return float("nan")
    k = max(1, round(len(labels) * fraction))
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return (sum(labels[i] for i in order) / k) / base


def lift_curve(labels: Sequence[int], scores: Sequence[float], bins: int = 10) -> list[float]:
    """Lift of each score decile (highest scores first)."""
    _check(labels, scores)
    base = sum(labels) / len(labels)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    out = []
    for b in range(bins):
        chunk = order[b * len(order) // bins : (b + 1) * len(order) // bins]
        rate = sum(labels[i] for i in chunk) / len(chunk) if chunk else 0.0
        out.append(rate / base if base else float("nan"))
    return out


def roc_points(
    labels: Sequence[int], scores: Sequence[float], points: int = 101
) -> list[tuple[float, float]]:
    """(false positive rate, true positive rate) at up to ``points`` thresholds."""
    _check(labels, scores)
    positives = sum(1 for y in labels if y) or 1
    negatives = (len(labels) - sum(1 for y in labels if y)) or 1
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    step = max(1, len(order) // (points - 1))
    curve = [(0.0, 0.0)]
    tp = fp = 0
    for n, i in enumerate(order, start=1):
        if labels[i]:
            tp += 1
        else:
            fp += 1
        if n % step == 0 or n == len(order):
            curve.append((fp / negatives, tp / positives))
    return curve


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    mean_score: float
    churn_rate: float
    count: int


def calibration(
    labels: Sequence[int], scores: Sequence[float], bins: int = 10
) -> list[CalibrationBin]:
    """Observed churn rate against mean score, in equal-width score bins (empty bins
    left out)."""
    _check(labels, scores)
    sums = [[0.0, 0, 0] for _ in range(bins)]
    for y, s in zip(labels, scores, strict=True):
        b = min(bins - 1, max(0, int(s * bins)))
        sums[b][0] += s
        sums[b][1] += int(y)
        sums[b][2] += 1
    return [CalibrationBin(total / n, hits / n, int(n)) for total, hits, n in sums if n]


def expected_calibration_error(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Count-weighted mean gap between mean score and churn rate over the bins."""
    table = calibration(labels, scores)
    total = sum(b.count for b in table)
    return sum(abs(b.mean_score - b.churn_rate) * b.count for b in table) / total


@dataclass(frozen=True, slots=True)
class ScoreMetrics:
    """How well one set of scores ranks and calibrates churn on the held-out window."""

    auc: float
    pr_auc: float
    top_decile_lift: float
    calibration_error: float
    rows: int
    churn_rate: float

    @classmethod
    def of(cls, labels: Sequence[int], scores: Sequence[float]) -> ScoreMetrics:
        return cls(
            auc=roc_auc(labels, scores),
            pr_auc=pr_auc(labels, scores),
            top_decile_lift=top_fraction_lift(labels, scores),
            calibration_error=expected_calibration_error(labels, scores),
            rows=len(labels),
            churn_rate=sum(labels) / len(labels),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def recency_rule_scores(
    rows: Sequence[Mapping[str, Any]], lookback_days: float = 365.0
) -> list[float]:
    """The recency-only rule: the longer since the last activity, the higher the risk
    (days since last activity over the look-back, capped at 1)."""
    return [
        min(1.0, float(row.get(RECENCY_FEATURE) or lookback_days) / lookback_days) for row in rows
    ]


# -- promotion ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    promote: bool
    reason: str
    candidate_auc: float
    current_auc: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def promotion_decision(
    candidate_auc: float, current_auc: float | None, min_gain: float = 0.0
) -> PromotionDecision:
    """Promote the candidate only when it beats the current model on the same held-out
    window by more than ``min_gain`` ROC-AUC (or when there is no current model)."""
    if math.isnan(candidate_auc):
        return PromotionDecision(
            False, "candidate AUC undefined (one class only)", candidate_auc, current_auc
        )
    if current_auc is None or math.isnan(current_auc):
        return PromotionDecision(True, "no current model", candidate_auc, current_auc)
    if candidate_auc > current_auc + min_gain:
        return PromotionDecision(
            True,
            f"candidate AUC {candidate_auc:.4f} beats current {current_auc:.4f}",
            candidate_auc,
            current_auc,
        )
    return PromotionDecision(
        False,
        f"candidate AUC {candidate_auc:.4f} does not beat current {current_auc:.4f}"
        + (f" by more than {min_gain}" if min_gain else ""),
        candidate_auc,
        current_auc,
    )


# -- uplift ---------------------------------------------------------------------------


def _z(confidence: float) -> float:
    """Two-sided normal quantile (inverse error function by bisection)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    target = confidence
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if math.erf(mid / math.sqrt(2)) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Uplift:
    """Retention of the treated group minus the holdout's, with Newcombe's hybrid
    Wilson interval for a difference of independent proportions."""

    treated: int
    treated_retained: int
    holdout: int
    holdout_retained: int
    treated_rate: float
    holdout_rate: float
    uplift: float
    low: float
    high: float
    confidence: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def retention_uplift(
    treated_retained: int,
    treated: int,
    holdout_retained: int,
    holdout: int,
    confidence: float = 0.95,
) -> Uplift:
    """Uplift in retention, treated minus holdout, with a ``confidence`` interval
    (Newcombe 1998, method 10: combines the two groups' Wilson intervals)."""
    if treated <= 0 or holdout <= 0:
        raise ValueError("both the treated group and the holdout must be non-empty")
    if not (0 <= treated_retained <= treated and 0 <= holdout_retained <= holdout):
        raise ValueError("retained counts must be between 0 and the group size")
    p1, p2 = treated_retained / treated, holdout_retained / holdout
    l1, u1 = wilson_interval(treated_retained, treated, confidence)
    l2, u2 = wilson_interval(holdout_retained, holdout, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Uplift(
        treated, treated_retained, holdout, holdout_retained, p1, p2, d, low, high, confidence
    )


# -- segment and campaign ---------------------------------------------------------------


def churn_segment_request(name: str, threshold: float) -> dict[str, Any]:
    """A dynamic segment: endpoints whose ``Metrics.ChurnRisk`` is at or above
    ``threshold`` (Pinpoint WriteSegmentRequest JSON)."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be between 0 and 1")
    return {
        "Name": name,
        "Dimensions": {
            "Metrics": {
                CHURN_METRIC: {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": threshold}
            }
        },
    }


RETENTION_TEMPLATE = "churn-retention-email"


def retention_template_request() -> dict[str, Any]:
    """The default retention email template (CreateEmailTemplate body). ChurnRisk is an
    endpoint metric, so templates can use ``{{Metrics.ChurnRisk}}``."""
    return {
        "TemplateName": RETENTION_TEMPLATE,
        "EmailTemplateRequest": {
            "Subject": "We miss you, {{User.UserAttributes.FirstName}}",
            "HtmlPart": (
                "<p>Hello {{User.UserAttributes.FirstName}},</p>"
                "<p>Here is 20% off your next order. Come back soon!</p>"
            ),
            "TextPart": "Hello {{User.UserAttributes.FirstName}}, here is 20% off your next order.",
            "DefaultSubstitutions": '{"User.UserAttributes.FirstName": "there"}',
            "TemplateDescription": "Retention offer for endpoints at risk of churn",
        },
    }


def retention_campaign_request(
    name: str, segment_id: str, holdout_percent: int, template_name: str = RETENTION_TEMPLATE
) -> dict[str, Any]:
    """A one-off campaign to the churn segment with a holdout (WriteCampaignRequest)."""
    return {
        "Name": name,
        "SegmentId": segment_id,
        "HoldoutPercent": holdout_percent,
        "TemplateConfiguration": {"EmailTemplate": {"Name": template_name}},
        "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
    }


# -- model metadata ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """What is kept beside a model artifact, and in the promoted pointer."""

    model_id: str
    as_of: str
    created: str
    metrics: dict[str, Any] = field(default_factory=dict)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = FEATURE_COLUMNS
    artifact: str = ""

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
        )
