"""Choosing the scorer by evidence: DeLong's interval against a brute-force reference,
the baselines' plain-Python fits and scores against scikit-learn and numpy, the model
losing to a baseline when its features say nothing, a promoted baseline scoring
customers, and a backtest whose cut-offs never leak."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.churn import auc_difference, roc_auc, select_scorer
from clarion.domain.churn.btyd import BgNbdParameters
from clarion.domain.churn.model import FEATURE_COLUMNS, epoch_ms
from clarion.domain.churn.scorers import BtydModel, LogisticModel, RecencyRule, fit_logistic
from clarion.domain.churn.selection import BASELINES, _placements


def _brute_placements(labels: list[int], scores: list[float]) -> tuple[list[float], ...]:
    pos = [s for y, s in zip(labels, scores, strict=True) if y]
    neg = [s for y, s in zip(labels, scores, strict=True) if not y]

    def psi(a: float, b: float) -> float:
        return 1.0 if a > b else 0.5 if a == b else 0.0

    return (
        [sum(psi(p, n) for n in neg) / len(neg) for p in pos],
        [sum(psi(p, n) for p in pos) / len(pos) for n in neg],
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 6), st.integers(0, 6)), min_size=4, max_size=60
    )
)
def test_placements_match_the_definition(rows: list[tuple[bool, int, int]]) -> None:
    labels = [int(y) for y, _, _ in rows]
    if len(set(labels)) < 2:
        return
    for scores in ([float(a) for _, a, _ in rows], [float(b) for _, _, b in rows]):
        fast, slow = _placements(labels, scores), _brute_placements(labels, scores)
        assert fast[0] == pytest.approx(slow[0]) and fast[1] == pytest.approx(slow[1])
        assert sum(fast[0]) / len(fast[0]) == pytest.approx(roc_auc(labels, scores))


def test_delong_interval_covers_like_a_bootstrap() -> None:
    rng = np.random.default_rng(4)
    labels = (rng.random(800) < 0.3).astype(int).tolist()
    a = (np.asarray(labels) * 0.8 + rng.normal(0, 1, 800)).tolist()
    b = (np.asarray(labels) * 0.1 + rng.normal(0, 1, 800)).tolist()
    result = auc_difference(labels, a, b)
    assert result.difference == pytest.approx(roc_auc(labels, a) - roc_auc(labels, b))
    draws = []
    y, sa, sb = np.asarray(labels), np.asarray(a), np.asarray(b)
    for _ in range(300):
        pick = rng.integers(0, 800, 800)
        draws.append(
            roc_auc(y[pick].tolist(), sa[pick].tolist())
            - roc_auc(y[pick].tolist(), sb[pick].tolist())
        )
    half = (result.high - result.low) / 2 / 1.96
    assert half == pytest.approx(float(np.std(draws)), rel=0.2)
    assert result.low < result.difference < result.high and result.p_value < 0.05
    same = auc_difference(labels, a, a)
    assert same.difference == 0 and same.p_value == 1.0


def test_the_best_auc_wins_and_a_tie_goes_to_the_simpler() -> None:
    labels = [1, 1, 0, 0, 1, 0]
    good = [0.9, 0.8, 0.1, 0.2, 0.7, 0.3]
    weak = [0.4, 0.6, 0.5, 0.3, 0.2, 0.7]
    chosen = select_scorer(labels, {"xgboost": weak, "logistic": good, "recency": good})
    assert chosen.winner == "recency" and chosen.ranking[-1] == "xgboost"
    assert [c.b for c in chosen.comparisons] == ["logistic", "xgboost"]
    assert chosen.comparisons[1].difference > 0


def test_plain_python_logistic_is_scikit_learns() -> None:
    from clarion.adapters.local.churn.learner import XGBoostChurnLearner

    rng = np.random.default_rng(2)
    x = np.column_stack([rng.poisson(3, 600), rng.random(600), rng.exponential(50, 600)])
    labels = (rng.random(600) < 1 / (1 + np.exp(-(x[:, 1] * 2 - np.log1p(x[:, 0]))))).astype(int)
    names = FEATURE_COLUMNS[:3]
    rows = [dict(zip(names, r.tolist(), strict=True)) for r in x]
    ours = fit_logistic(rows, labels.tolist(), names)
    params = XGBoostChurnLearner().logistic_arrays(x, labels)
    assert ours.coef == pytest.approx(params["coef"], abs=1e-4)
    assert ours.intercept == pytest.approx(params["intercept"], abs=1e-4)
    theirs = LogisticModel(
        names, *(tuple(params[k]) for k in ("mean", "scale", "coef")), params["intercept"]
    )
    # scikit-learn's L-BFGS stops at a gradient tolerance of 1e-4; Newton goes further.
    assert [ours.score(r) for r in rows] == pytest.approx([theirs.score(r) for r in rows], abs=5e-4)


def test_vectorised_scores_are_the_plain_python_ones() -> None:
    from clarion.services.churn import FeatureFrame
    from clarion.services.churn.candidates import baseline_scores

    rng = random.Random(1)
    rows = []
    for k in range(200):
        x = rng.randint(0, 9)
        t_x = rng.randint(x, 200) if x else 0
        row = {name: rng.random() * 5 for name in FEATURE_COLUMNS}
        row.update(id=f"e{k}", split="eval", churned=0, btyd_frequency=x, btyd_recency=t_x)
        row["btyd_age"] = t_x + rng.randint(1, 100)
        row["days_since_last_activity"] = rng.random() * 400
        rows.append(row)
    frame = FeatureFrame.from_rows(rows)
    plain_rows = frame.rows()
    models = [
        BtydModel(BgNbdParameters(0.6, 30.0, 0.8, 2.5), 28),
        RecencyRule(365.0),
        LogisticModel(FEATURE_COLUMNS[:4], (0.1,) * 4, (2.0,) * 4, (0.5, -1, 0.2, 3), -0.3),
    ]
    for model in models:
        assert baseline_scores(model, frame) == pytest.approx(
            [model.score(r) for r in plain_rows], abs=1e-6
        )


@pytest.fixture(scope="module")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Bootstrap:
    home: Path = tmp_path_factory.mktemp("selection")
    b = Bootstrap(Settings().with_overrides(backend="local", home=home))
    as_of = (datetime.now(UTC) - timedelta(days=30)).date()
    b.churn_service.simulate(500, 150, seed=5, as_of=as_of)
    b.__dict__["as_of"] = as_of
    return b


def test_a_model_with_uninformative_features_loses_to_a_baseline(boot: Bootstrap) -> None:
    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    # The endpoint's channel says nothing about whether it churns.
    result = service.train(as_of, model_features=["is_sms"])
    assert result["chosen"] in BASELINES
    assert result["metrics"]["xgboost"]["auc"] < result["auc"] - 0.1
    lead = {c["b"]: c for c in result["selection"]["comparisons"]}["xgboost"]
    assert lead["low"] > 0  # the baseline is better, and the interval says so
    promoted = boot.adapters.churn_model_store.promoted()
    assert promoted is not None and promoted.kind == result["chosen"]
    # The promoted baseline scores customers.
    scored = service.score(as_of)
    assert scored["kind"] == result["chosen"] and scored["written"] == scored["scored"] > 0
    risks = [
        e.metrics["ChurnRisk"]
        for e in boot.adapters.profile_store.get_endpoints(
            [f"sim-{i:07d}" for i in range(500)]
        ).values()
        if e.metrics and "ChurnRisk" in e.metrics
    ]
    assert len(risks) == scored["written"] and all(0 <= r <= 1 for r in risks)


def test_the_backtest_never_reads_past_an_origin(boot: Bootstrap) -> None:
    from clarion.domain.events.records import EventRecord

    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    first = service.backtest(as_of, cutoffs=2)
    assert [r["origin"] for r in first["cutoffs"]] == [
        as_of.isoformat(),
        (as_of - timedelta(days=28)).isoformat(),
    ]
    for row in first["cutoffs"]:
        assert row["auc"][row["winner"]] == max(row["auc"].values())
    # Sessions for a third of the customers in the last origin's label window: only that
    # origin moves.
    later = datetime.combine(as_of, datetime.min.time(), UTC) - timedelta(days=3)
    stamp = epoch_ms(later)
    boot.adapters.event_sink.put_records(
        [
            EventRecord.model_validate(
                {
                    "event_type": "_session.start",
                    "event_timestamp": stamp,
                    "arrival_timestamp": stamp,
                    "application": {"app_id": "x"},
                    "client": {"client_id": f"sim-{i:07d}"},
                    "event_id": f"backtest-leak-{i}",
                }
            )
            for i in range(0, 500, 3)
        ]
    )
    again = service.backtest(as_of, cutoffs=2)
    assert again["cutoffs"][1] == first["cutoffs"][1]  # the earlier origin: unchanged
    assert again["cutoffs"][0]["churn_rate"] < first["cutoffs"][0]["churn_rate"]
