"""The ColumnarChurnLearner contract, on its one backend: the local XGBoost learner on
feature matrices. It is a local capability (no dict per row for a million endpoints);
on AWS SageMaker trains and scores, so there is no second backend.

A columnar learner must train and score exactly as the same learner does on rows, and
report the hyperparameters it trained with (what SageMaker would need to repeat it).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from clarion.domain.churn.metrics import roc_auc
from clarion.domain.churn.model import FEATURE_COLUMNS, ID_COLUMN, LABEL_COLUMN
from clarion.ports.churn import ColumnarChurnLearner

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
def learner() -> Any:
    from clarion.adapters.local.churn.learner import XGBoostChurnLearner

    return XGBoostChurnLearner(threads=1)


def _matrix(data: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    from clarion.adapters.local.churn.learner import matrix

    return matrix(data), np.asarray([r[LABEL_COLUMN] for r in data], dtype=np.float32)


def test_it_satisfies_the_port(learner: Any) -> None:
    columnar: ColumnarChurnLearner = learner
    assert callable(columnar.fit_arrays) and callable(columnar.predict_arrays)


def test_fit_returns_the_archive_and_the_hyperparameters_used(learner: Any) -> None:
    features, labels = _matrix(rows(600, 1))

    archive, used = learner.fit_arrays(features, labels, HYPERPARAMETERS)

    assert isinstance(archive, bytes) and archive
    assert set(used) == set(HYPERPARAMETERS)
    assert all(isinstance(v, str) for v in used.values())
    assert 1 <= int(used["num_round"]) <= int(HYPERPARAMETERS["num_round"])


def test_matrices_score_as_rows_do(learner: Any) -> None:
    train, held_out = rows(600, 1), rows(200, 2)
    features, labels = _matrix(train)
    archive, _ = learner.fit_arrays(features, labels, HYPERPARAMETERS)

    scores = learner.predict_arrays(archive, _matrix(held_out)[0])

    assert scores.shape == (len(held_out),)
    assert np.allclose(scores, learner.predict(archive, held_out), atol=1e-6)
    assert roc_auc([int(r[LABEL_COLUMN]) for r in held_out], scores.tolist()) > 0.8
    # Scoring in chunks changes nothing.
    assert np.allclose(learner.predict_arrays(archive, _matrix(held_out)[0], chunk=7), scores)


def test_the_baseline_on_matrices_is_the_baseline_on_rows(learner: Any) -> None:
    train, held_out = rows(600, 4), rows(200, 5)
    features, labels = _matrix(train)

    scores = learner.baseline_arrays(features, labels, _matrix(held_out)[0])

    assert np.allclose(scores, learner.baseline(train, held_out))
    assert ((scores >= 0) & (scores <= 1)).all()


def test_an_empty_matrix_gets_no_scores(learner: Any) -> None:
    features, labels = _matrix(rows(600, 1))
    archive, _ = learner.fit_arrays(features, labels, HYPERPARAMETERS)

    assert learner.predict_arrays(archive, features[:0]).shape == (0,)
