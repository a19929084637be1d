"""XGBoost and the logistic baseline in process (the local ChurnLearner).

The model archive is what SageMaker's XGBoost container expects: a gzip'd tar holding
exactly one file, ``xgboost-model``, in XGBoost's native (UBJSON) format, saved by the
same XGBoost version the container runs (3.0-5), so a model trained here can be scored
by a batch transform job and the other way round."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from clarion.domain.churn.datasets import feature_vector
from clarion.domain.churn.model import FEATURE_COLUMNS, LABEL_COLUMN, MODEL_FILE

# -- model archives --------------------------------------------------------------------


def matrix(rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Rows as a float32 matrix in FEATURE_COLUMNS order."""
    if not rows:
        return np.zeros((0, len(FEATURE_COLUMNS)), dtype=np.float32)
    return np.asarray([feature_vector(row) for row in rows], dtype=np.float32)


def pack_model(booster: Any) -> bytes:
    """A booster as ``model.tar.gz`` with one member, ``xgboost-model``."""
    raw = bytes(booster.save_raw(raw_format="ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(raw)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def unpack_model(archive: bytes) -> Any:
    """The booster in a ``model.tar.gz`` (exactly one member, ``xgboost-model``)."""
    import xgboost as xgb

    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
        if [m.name for m in members] != [MODEL_FILE]:
            raise ValueError(
                f"model.tar.gz must hold only {MODEL_FILE}, not {[m.name for m in members]}"
            )
        handle = tar.extractfile(members[0])
        if handle is None:
            raise ValueError(f"{MODEL_FILE} is not a regular file")
        raw = handle.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


SMALL_DATA_ROWS = 50_000
"""Below this many rows XGBoost trains on one thread: a second one gains nothing on
little data and, on a busy machine, OpenMP's waiting makes every round far slower."""


def threads_for(rows: int, threads: int) -> int:
    return 1 if rows < SMALL_DATA_ROWS else threads


def _xgb_params(hyperparameters: Mapping[str, str], threads: int) -> dict[str, Any]:
    """SageMaker-style string hyperparameters as XGBoost parameters (``num_round`` and
    ``early_stopping_rounds`` are not parameters of the booster)."""
    params: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if key in ("num_round", "early_stopping_rounds"):
            continue
        try:
            params[key] = float(value) if "." in str(value) else int(value)
        except ValueError:
            params[key] = value
    params.setdefault("nthread", threads)
    params.setdefault("tree_method", "hist")
    return params


def train_booster(
    features: np.ndarray, labels: np.ndarray, hyperparameters: Mapping[str, str], threads: int = 2
) -> Any:
    """Train as the built-in algorithm does: ``num_round`` rounds of the given
    hyperparameters (SageMaker passes them as strings)."""
    import xgboost as xgb

    rounds = int(hyperparameters.get("num_round", "100"))
    data = xgb.QuantileDMatrix(
        np.ascontiguousarray(features, dtype=np.float32), label=labels, nthread=threads
    )
    return xgb.train(_xgb_params(hyperparameters, threads), data, num_boost_round=rounds)


def validation_mask(rows: int, fraction: float, seed: int = 0) -> np.ndarray:
    """A seeded random ``fraction`` of the rows, for early stopping: drawn from the
    training window's rows only, never from the held-out window."""
    return np.random.default_rng(seed).random(rows) < fraction


def train_with_early_stopping(
    features: np.ndarray,
    labels: np.ndarray,
    hyperparameters: Mapping[str, str],
    *,
    threads: int = 2,
    validation_fraction: float = 0.2,
    patience: int = 50,
    seed: int = 0,
) -> tuple[Any, dict[str, str]]:
    """Choose the number of rounds on a validation split of the training rows (up to
    ``num_round``, stopping after ``patience`` rounds without a better validation
    log-loss), then train on all the training rows for that many rounds. Returns the
    booster and the hyperparameters it was trained with (``num_round`` the chosen one,
    so SageMaker's built-in algorithm can repeat the training)."""
    import xgboost as xgb

    features = np.ascontiguousarray(features, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.float32)
    threads = threads_for(labels.shape[0], threads)
    rounds = int(hyperparameters.get("num_round", "100"))
    held = validation_mask(labels.shape[0], validation_fraction, seed)
    chosen = dict(hyperparameters)
    if held.sum() >= 100 and (~held).sum() >= 100 and len(set(labels[held].tolist())) == 2:
        params = _xgb_params(hyperparameters, threads)
        params["eval_metric"] = "logloss"
        fit = xgb.QuantileDMatrix(features[~held], label=labels[~held], nthread=threads)
        check = xgb.QuantileDMatrix(features[held], label=labels[held], ref=fit, nthread=threads)
        probe = xgb.train(
            params,
            fit,
            num_boost_round=rounds,
            evals=[(check, "validation")],
            early_stopping_rounds=patience,
            verbose_eval=False,
        )
        del fit, check
        chosen["num_round"] = str(int(probe.best_iteration) + 1)
    return train_booster(features, labels, chosen, threads), chosen


class XGBoostChurnLearner:
    """ChurnLearner in process (xgboost-cpu, scikit-learn), on rows or, without a dict
    per row, on feature matrices (``*_arrays``)."""

    def __init__(
        self, threads: int = 2, validation_fraction: float = 0.2, patience: int = 50
    ) -> None:
        self._threads = threads
        self._validation_fraction = validation_fraction
        self._patience = patience

    def fit(self, rows: Sequence[Mapping[str, Any]], hyperparameters: Mapping[str, str]) -> bytes:
        labels = np.asarray([int(row[LABEL_COLUMN]) for row in rows], dtype=np.float32)
        return self.fit_arrays(matrix(rows), labels, hyperparameters)[0]

    def fit_arrays(
        self, features: np.ndarray, labels: np.ndarray, hyperparameters: Mapping[str, str]
    ) -> tuple[bytes, dict[str, str]]:
        """Train on a feature matrix (FEATURE_COLUMNS order) with early stopping on a
        validation split of these (training) rows; returns ``model.tar.gz`` and the
        hyperparameters used."""
        booster, chosen = train_with_early_stopping(
            features,
            labels,
            hyperparameters,
            threads=self._threads,
            validation_fraction=self._validation_fraction,
            patience=self._patience,
        )
        return pack_model(booster), chosen

    def predict(self, archive: bytes, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        if not rows:
            return []
        return [float(s) for s in self.predict_arrays(archive, matrix(rows)).tolist()]

    def predict_arrays(
        self, archive: bytes, features: np.ndarray, chunk: int = 250_000
    ) -> np.ndarray:
        """Churn probabilities of a feature matrix, ``chunk`` rows at a time."""
        out = np.empty(features.shape[0], dtype=np.float32)
        if features.shape[0] == 0:
            return out
        booster = unpack_model(archive)
        booster.set_param({"nthread": threads_for(features.shape[0], self._threads)})
        for start in range(0, features.shape[0], chunk):
            part = np.ascontiguousarray(features[start : start + chunk], dtype=np.float32)
            out[start : start + part.shape[0]] = booster.inplace_predict(part)
        return out

    def baseline(
        self, train: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        labels = np.asarray([int(row[LABEL_COLUMN]) for row in train])
        return [float(p) for p in self.baseline_arrays(matrix(train), labels, matrix(rows))]

    def baseline_arrays(
        self, train: np.ndarray, labels: np.ndarray, features: np.ndarray
    ) -> np.ndarray:
        """A logistic regression (standardised; counts on a log scale) fitted on the
        training matrix, applied to ``features``."""
        return logistic_scores(self.logistic_arrays(train, labels), features)

    def logistic_arrays(self, train: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
        """The logistic regression's parameters (``mean``, ``scale``, ``coef``,
        ``intercept``; the columns in the matrix's order), fitted with scikit-learn:
        what :class:`clarion.domain.churn.scorers.LogisticModel` keeps and scores."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        logged = _log_features(np.asarray(train, dtype=np.float64))
        scaler = StandardScaler().fit(logged)
        model = LogisticRegression(max_iter=1000)
        model.fit(scaler.transform(logged), np.asarray(labels, dtype=np.int64))
        return {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
        }


def logistic_scores(params: Mapping[str, Any], features: np.ndarray) -> np.ndarray:
    """The logistic regression of :meth:`XGBoostChurnLearner.logistic_arrays` applied to
    a matrix (columns in the order it was fitted on)."""
    logged = _log_features(np.asarray(features, dtype=np.float64))
    z = ((logged - np.asarray(params["mean"])) / np.asarray(params["scale"])) @ np.asarray(
        params["coef"]
    ) + float(params["intercept"])
    result: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return result


def _log_features(x: np.ndarray) -> np.ndarray:
    """Counts and amounts on a log scale for the linear baseline (rates and flags are
    negative or at most 1 and stay as they are)."""
    return np.where(x > 1, np.log1p(np.maximum(x, 0)), x)
