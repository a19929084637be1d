"""Churn on one machine: the model store and pipeline files under CLARION_HOME, XGBoost
and the logistic baseline in process, and a bulk loader for simulated events.

The model archive is what SageMaker's XGBoost container expects: a gzip'd tar holding
exactly one file, ``xgboost-model``, in XGBoost's native (UBJSON) format, saved by the
same XGBoost version the container runs (3.0-5), so a model trained here can be scored
by a batch transform job and the other way round.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from clarion.adapters.local.database import LocalDatabase
from clarion.adapters.local.events import ARROW_SCHEMA as EVENTS_SCHEMA
from clarion.domain.churn import (
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    MODEL_FILE,
    ModelRecord,
    feature_vector,
)
from clarion.domain.errors import NotFoundError

PROMOTED = "promoted.json"


def _safe(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad name {name!r}")
    return name


class FileChurnModelStore:
    """ChurnModelStore under ``<home>/models/churn/``."""

    def __init__(self, home: Path) -> None:
        self._root = home / "models" / "churn"

    def save_model(self, record: ModelRecord, archive: bytes) -> str:
        folder = self._root / _safe(record.model_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "model.tar.gz"
        path.write_bytes(archive)
        stored = ModelRecord.from_json({**record.to_json(), "artifact": str(path)})
        (folder / "model.json").write_text(json.dumps(stored.to_json(), indent=2), "utf-8")
        return str(path)

    def load_model(self, model_id: str) -> tuple[ModelRecord, bytes]:
        folder = self._root / _safe(model_id)
        if not (folder / "model.json").exists():
            raise NotFoundError("churn model", model_id)
        record = ModelRecord.from_json(json.loads((folder / "model.json").read_text("utf-8")))
        return record, (folder / "model.tar.gz").read_bytes()

    def promoted(self) -> ModelRecord | None:
        path = self._root / PROMOTED
        if not path.exists():
            return None
        return ModelRecord.from_json(json.loads(path.read_text("utf-8")))

    def promote(self, record: ModelRecord) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        path = self._root / PROMOTED
        if path.exists():
            history = self._root / "history"
            history.mkdir(exist_ok=True)
            previous = json.loads(path.read_text("utf-8"))
            (history / f"{_safe(previous['model_id'])}.json").write_text(
                json.dumps(previous, indent=2), "utf-8"
            )
        path.write_text(json.dumps(record.to_json(), indent=2), "utf-8")

    def put_document(self, name: str, document: Mapping[str, Any]) -> str:
        path = self._root / "documents" / f"{_safe(name)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, default=str), "utf-8")
        return str(path)

    def get_document(self, name: str) -> dict[str, Any] | None:
        path = self._root / "documents" / f"{_safe(name)}.json"
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data


class LocalChurnFiles:
    """ChurnFiles under ``<home>/churn/``."""

    def __init__(self, home: Path) -> None:
        self._root = home / "churn"

    def _path(self, key: str) -> Path:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise ValueError(f"bad key {key!r}")
        return self._root.joinpath(*parts)

    def put_text(self, key: str, text: str) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return str(path)

    def get_text(self, key: str) -> str:
        path = self._path(key)
        if not path.exists():
            raise NotFoundError("file", key)
        return path.read_text("utf-8")

    def list_keys(self, prefix: str) -> list[str]:
        base = self._root
        if not base.exists():
            return []
        keys = [str(p.relative_to(base)).replace("\\", "/") for p in base.rglob("*") if p.is_file()]
        return sorted(k for k in keys if k.startswith(prefix))


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


def train_booster(
    features: np.ndarray, labels: np.ndarray, hyperparameters: Mapping[str, str], threads: int = 2
) -> Any:
    """Train as the built-in algorithm does: ``num_round`` rounds of the given
    hyperparameters (SageMaker passes them as strings)."""
    import xgboost as xgb

    params: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if key == "num_round":
            continue
        try:
            params[key] = float(value) if "." in str(value) else int(value)
        except ValueError:
            params[key] = value
    params.setdefault("nthread", threads)
    params.setdefault("tree_method", "hist")
    rounds = int(hyperparameters.get("num_round", "100"))
    data = xgb.DMatrix(features, label=labels)
    return xgb.train(params, data, num_boost_round=rounds)


class XGBoostChurnLearner:
    """ChurnLearner in process (xgboost-cpu, scikit-learn)."""

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads

    def fit(self, rows: Sequence[Mapping[str, Any]], hyperparameters: Mapping[str, str]) -> bytes:
        labels = np.asarray([int(row[LABEL_COLUMN]) for row in rows], dtype=np.float32)
        return pack_model(train_booster(matrix(rows), labels, hyperparameters, self._threads))

    def predict(self, archive: bytes, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        import xgboost as xgb

        if not rows:
            return []
        booster = unpack_model(archive)
        return [float(s) for s in booster.predict(xgb.DMatrix(matrix(rows)))]

    def baseline(
        self, train: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        labels = np.asarray([int(row[LABEL_COLUMN]) for row in train])
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(_log_features(matrix(train)), labels)
        return [float(p) for p in model.predict_proba(_log_features(matrix(rows)))[:, 1]]


def _log_features(x: np.ndarray) -> np.ndarray:
    """Counts and amounts on a log scale for the linear baseline (rates and flags are
    negative or at most 1 and stay as they are)."""
    return np.where(x > 1, np.log1p(np.maximum(x, 0)), x)


# -- bulk loading of simulated events (benchmarks) --------------------------------------


def load_event_columns(
    database: LocalDatabase,
    customer: np.ndarray,
    timestamp_ms: np.ndarray,
    event_types: Sequence[str],
    code: np.ndarray,
    price: np.ndarray,
    endpoint_ids: np.ndarray,
    app_id: str,
    id_prefix: str,
) -> int:
    """Insert columnar events straight into the ``events`` table (no per-record
    objects): for benchmarks at a million customers. Returns rows inserted."""
    n = int(customer.shape[0])
    if n == 0:
        return 0
    types = np.asarray(event_types, dtype=object)[code]
    ids = np.char.add(id_prefix, np.arange(n).astype(str))
    purchase = types == "_monetization.purchase"
    offsets = np.zeros(n + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(purchase, 2, 0))
    keys = np.tile(np.asarray(["_quantity", "_item_price"], dtype=object), int(purchase.sum()))
    values = np.empty(int(purchase.sum()) * 2, dtype=np.float64)
    values[0::2] = 1.0
    values[1::2] = price[purchase]
    metrics = pa.MapArray.from_arrays(
        pa.array(offsets), pa.array(keys, pa.string()), pa.array(values)
    )
    days = (timestamp_ms // 86_400_000).astype("datetime64[D]").astype(str)
    eids = endpoint_ids[customer]
    columns: dict[str, pa.Array] = {}
    for name in EVENTS_SCHEMA.names:
        kind = EVENTS_SCHEMA.field(name).type
        if name == "event_id":
            columns[name] = pa.array(ids, pa.string())
        elif name == "event_type":
            columns[name] = pa.array(types, pa.string())
        elif name in ("event_timestamp", "arrival_timestamp"):
            columns[name] = pa.array(timestamp_ms, pa.int64())
        elif name == "metrics":
            columns[name] = metrics.cast(kind)
        elif name == "endpoint_id":
            columns[name] = pa.array(eids, pa.string())
        elif name == "application":
            app = pa.array(np.full(n, app_id, dtype=object), pa.string())
            if isinstance(app, pa.ChunkedArray):
                app = app.combine_chunks()
            columns[name] = pa.StructArray.from_arrays(
                [app] + [pa.nulls(n, f.type) for f in list(kind)[1:]],
                fields=list(kind),
            )
        elif name == "dt":
            columns[name] = pa.array(days, pa.string())
        else:
            columns[name] = pa.nulls(n, kind)
    table = pa.Table.from_pydict(columns, schema=EVENTS_SCHEMA)
    cursor = database.cursor()
    cursor.register("incoming_simulated", table)
    try:
        cursor.execute("INSERT INTO events SELECT * FROM incoming_simulated")
    finally:
        cursor.unregister("incoming_simulated")
    return n
