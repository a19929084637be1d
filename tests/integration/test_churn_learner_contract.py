"""The ChurnLearner contract, on its one backend: the local XGBoost learner (in
process). On AWS there is no ChurnLearner: SageMaker's built-in XGBoost trains and
scores, through ChurnJobs (its own contract suite).

What any learner must do: fit on labelled rows into a SageMaker-compatible
``model.tar.gz`` (exactly one ``xgboost-model``), score rows in order with
probabilities, rank churners above the others on data where churn is learnable, and fit
the logistic baseline the same way.
"""

from __future__ import annotations

import io
import random
import tarfile
from typing import Any

import pytest

from clarion.domain.churn.metrics import roc_auc
from clarion.domain.churn.model import FEATURE_COLUMNS, ID_COLUMN, LABEL_COLUMN, MODEL_FILE
from clarion.ports.churn import ChurnLearner

HYPERPARAMETERS = {"objective": "binary:logistic", "num_round": "30", "max_depth": "3"}


def rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Rows whose churn follows recency and recent sessions (learnable, with noise)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        row: dict[str, Any] = {ID_COLUMN: f"ep-{seed}-{i}"}
        row.update({name: float(rng.randint(0, 5)) for name in FEATURE_COLUMNS})
        row["days_since_last_activity"] = rng.uniform(0, 90)
        row["sessions_30d"] = float(rng.randint(0, 20))
        risk = row["days_since_last_activity"] / 90 - row["sessions_30d"] / 40
        row[LABEL_COLUMN] = int(risk + rng.gauss(0, 0.15) > 0.3)
        out.append(row)
    return out


@pytest.fixture(scope="module")
def learner() -> ChurnLearner:
    from clarion.adapters.local.churn.learner import XGBoostChurnLearner

    return XGBoostChurnLearner(threads=1)


@pytest.fixture(scope="module")
def trained(learner: ChurnLearner) -> bytes:
    return learner.fit(rows(600, 1), HYPERPARAMETERS)


def test_the_archive_holds_exactly_the_model_file(trained: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(trained), mode="r:gz") as archive:
        assert archive.getnames() == [MODEL_FILE]


def test_scores_are_probabilities_in_row_order(learner: ChurnLearner, trained: bytes) -> None:
    held_out = rows(200, 2)

    scores = learner.predict(trained, held_out)

    assert len(scores) == len(held_out)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    # Order is kept: each row scored alone gets its own score back.
    assert learner.predict(trained, held_out[5:6]) == pytest.approx(scores[5:6], abs=1e-6)


def test_churners_rank_above_the_others(learner: ChurnLearner, trained: bytes) -> None:
    held_out = rows(300, 3)
    labels = [int(r[LABEL_COLUMN]) for r in held_out]

    assert roc_auc(labels, learner.predict(trained, held_out)) > 0.8


def test_no_rows_get_no_scores(learner: ChurnLearner, trained: bytes) -> None:
    assert learner.predict(trained, []) == []


def test_the_baseline_scores_the_rows_as_probabilities(learner: ChurnLearner) -> None:
    train, held_out = rows(600, 4), rows(200, 5)
    labels = [int(r[LABEL_COLUMN]) for r in held_out]

    scores = learner.baseline(train, held_out)

    assert len(scores) == len(held_out)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert roc_auc(labels, scores) > 0.8
