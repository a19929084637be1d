"""The pure churn rules: metrics (checked against scikit-learn), the time split,
replacement of the current model, the uplift interval, CSV layouts and the segment request."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from clarion.domain import churn


def _sample(n: int, seed: int) -> tuple[list[int], list[float]]:
    rng = random.Random(seed)
    labels = [int(rng.random() < 0.3) for _ in range(n)]
    scores = [round(min(1.0, max(0.0, 0.3 * y + rng.random() * 0.7)), 2) for y in labels]
    return labels, scores


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auc_and_average_precision_match_scikit_learn(seed: int) -> None:
    labels, scores = _sample(500, seed)  # rounded scores: many ties
    assert churn.roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    assert churn.pr_auc(labels, scores) == pytest.approx(average_precision_score(labels, scores))


def test_lift_and_calibration() -> None:
    labels = [1] * 10 + [0] * 90
    perfect = [1.0] * 10 + [0.0] * 90
    assert churn.top_fraction_lift(labels, perfect) == pytest.approx(10.0)
    assert churn.lift_curve(labels, perfect)[0] == pytest.approx(10.0)
    bins = churn.calibration(labels, perfect)
    assert [(b.mean_score, b.churn_rate) for b in bins] == [(0.0, 0.0), (1.0, 1.0)]
    assert churn.expected_calibration_error(labels, perfect) == 0.0
    assert churn.expected_calibration_error(labels, [0.5] * 100) == pytest.approx(0.4)


def test_time_split_is_relative_to_the_as_of_date() -> None:
    as_of = datetime.now(UTC) - timedelta(days=3)
    split = churn.TimeSplit.of(as_of, 28)
    assert split.as_of == churn.day_start(as_of)
    assert split.as_of - split.eval_cutoff == timedelta(days=28)
    assert split.eval_cutoff - split.train_cutoff == timedelta(days=28)
    definition = churn.ChurnDefinition(28, 90, ("_monetization.purchase",))
    params = split.parameters(["score"], definition)
    assert params["train_cutoff_ms"] == 0 and params["eval_cutoff_ms"] == 0
    assert params["score_cutoff_ms"] == churn.epoch_ms(split.as_of)
    assert params["activity_events"] == ",_monetization.purchase,"
    assert params["active_days"] == 90 and params["lookback_days"] == 365
    with pytest.raises(ValueError, match="unknown split"):
        split.parameters(["later"], definition)
    with pytest.raises(ValueError, match="label window"):
        split.parameters(["score"], churn.ChurnDefinition(label_days=91))


def test_replacement_needs_a_better_auc_on_the_same_window() -> None:
    labels, good = _sample(400, 5)
    worse = [s * 0.5 + random.Random(k).random() * 0.5 for k, s in enumerate(good)]
    decide = churn.replacement_decision
    assert decide(labels, "xgboost", worse, None).reason == "no current model"
    assert decide(labels, "xgboost", good, worse).promote
    assert not decide(labels, "xgboost", worse, good).promote
    assert not decide(labels, "xgboost", good, good).promote  # a tie keeps the current one
    gain = decide(labels, "xgboost", good, worse).comparison
    assert gain is not None and gain.difference > 0
    assert not decide(labels, "xgboost", good, worse, min_gain=gain.difference + 0.01).promote
    assert decide(labels, "btyd", good, None, not_comparable="other definition").promote


def test_uplift_interval_covers_the_difference_and_narrows_with_size() -> None:
    small = churn.retention_uplift(60, 100, 50, 100)
    large = churn.retention_uplift(6000, 10000, 5000, 10000)
    for u in (small, large):
        assert u.uplift == pytest.approx(0.1)
        assert u.low < u.uplift < u.high
    assert large.high - large.low < small.high - small.low
    assert large.significant and not small.significant
    # Newcombe's interval for 56/70 vs 48/80 (his example): 0.0524 to 0.3339.
    ref = churn.retention_uplift(56, 70, 48, 80)
    assert (ref.low, ref.high) == pytest.approx((0.0524, 0.3339), abs=5e-4)
    with pytest.raises(ValueError):
        churn.retention_uplift(1, 0, 1, 2)


def test_csv_layouts_for_sagemaker() -> None:
    row: dict[str, object] = {name: 1.5 for name in churn.FEATURE_COLUMNS}
    row.update({"id": "ep-1", "churned": 1})
    train = churn.training_csv([row]).strip().split(",")
    assert train[0] == "1" and len(train) == 1 + len(churn.FEATURE_COLUMNS)
    transform = churn.transform_csv([row]).strip().split(",")
    assert transform[0] == "ep-1" and len(transform) == 1 + len(churn.FEATURE_COLUMNS)
    assert churn.parse_scores("ep-1,0.25\nep-2,0.5\n") == {"ep-1": 0.25, "ep-2": 0.5}
    with pytest.raises(ValueError, match="not a probability"):
        churn.parse_scores("ep-1,1.5\n")


def test_segment_request_is_a_metrics_dimension() -> None:
    request = churn.churn_segment_request("risky", 0.6)
    assert request["Dimensions"]["Metrics"]["ChurnRisk"] == {
        "ComparisonOperator": "GREATER_THAN_OR_EQUAL",
        "Value": 0.6,
    }
    with pytest.raises(ValueError):
        churn.churn_segment_request("risky", 1.5)
