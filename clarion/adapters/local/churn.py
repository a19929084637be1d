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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clarion.adapters.local.database import LocalDatabase
from clarion.adapters.local.events import ARROW_SCHEMA as EVENTS_SCHEMA
from clarion.adapters.local.events import DuckDBAnalyticsQuery, bind
from clarion.domain.churn import (
    DAY_MS,
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
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(_log_features(train), np.asarray(labels, dtype=np.int64))
        result: np.ndarray = model.predict_proba(_log_features(features))[:, 1]
        return result


def _log_features(x: np.ndarray) -> np.ndarray:
    """Counts and amounts on a log scale for the linear baseline (rates and flags are
    negative or at most 1 and stay as they are)."""
    return np.where(x > 1, np.log1p(np.maximum(x, 0)), x)


# -- columnar access for the churn pipeline --------------------------------------------


class DuckDBChurnData:
    """The churn pipeline's columnar access to the embedded database.

    * :meth:`arrow`: the features SQL (Trino, transpiled like :class:`DuckDBAnalyticsQuery`
      does) fetched as an Arrow table, so a million feature rows are a few hundred MB of
      columns, not a list of dicts; :meth:`batches` streams it.
    * :meth:`put_event_columns`: simulated events written column-wise (no
      ``EventRecord`` per event), deduplicated on ``event_id`` like the event store.

    It is also an ``AnalyticsQuery`` (:meth:`rows`), so the service can take it as its
    analytics adapter.
    """

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return DuckDBAnalyticsQuery(self._database).rows(sql, parameters)

    def _execute(self, sql: str, parameters: Mapping[str, Any] | None) -> Any:
        text = bind(sql, parameters).sql("duckdb")
        cursor = self._database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor.sql(text)

    def arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> pa.Table:
        """The result as an Arrow table (columns typed as DuckDB returns them)."""
        table: pa.Table = self._execute(sql, parameters).to_arrow_table()
        return table

    def batches(
        self, sql: str, parameters: Mapping[str, Any] | None = None, rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        """The result as Arrow record batches of up to ``rows`` rows."""
        reader = self._execute(sql, parameters).to_arrow_reader(rows)
        yield from reader

    def put_event_columns(
        self,
        customer: np.ndarray,
        timestamp_ms: np.ndarray,
        code: np.ndarray,
        price: np.ndarray,
        *,
        event_types: Sequence[str],
        endpoint_ids: pa.Array,
        app_id: str,
        id_prefix: str,
        first_index: int = 0,
    ) -> int:
        """Insert events given as columns; returns how many were new (event ids already
        stored are left alone)."""
        table = event_columns_table(
            customer,
            timestamp_ms,
            code,
            price,
            event_types=event_types,
            endpoint_ids=endpoint_ids,
            app_id=app_id,
            id_prefix=id_prefix,
            first_index=first_index,
        )
        if table.num_rows == 0:
            return 0
        cursor = self._database.cursor()
        before = _count(cursor)
        cursor.register("incoming_simulated", table)
        try:
            try:
                # A plain insert is several times faster than one checking conflicts
                # row by row; it fails as a whole when a run is written again.
                cursor.execute("INSERT INTO events SELECT * FROM incoming_simulated")
            except duckdb.ConstraintException:
                cursor.execute(
                    "INSERT INTO events SELECT * FROM incoming_simulated "
                    "ON CONFLICT (event_id) DO NOTHING"
                )
        finally:
            cursor.unregister("incoming_simulated")
        return _count(cursor) - before


def _count(cursor: Any) -> int:
    ((count,),) = cursor.execute("SELECT count(*) FROM events").fetchall()
    return int(count)


def _entries(
    kind: pa.DataType, rows: Sequence[tuple[np.ndarray, Sequence[tuple[str, Any]]]], n: int
) -> pa.Array:
    """A map column of ``n`` rows: the rows where each mask holds get its fixed entries
    (masks do not overlap); the others are empty maps. A value given as an array holds
    one value per selected row."""
    sizes = np.zeros(n, dtype=np.int32)
    for mask, entries in rows:
        sizes[mask] = len(entries)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    total = int(offsets[-1])
    value_type = kind.item_type
    keys = np.empty(total, dtype=object)
    values = np.empty(total, dtype=np.float64 if pa.types.is_floating(value_type) else object)
    for mask, entries in rows:
        starts = offsets[:-1][mask]
        for j, (key, value) in enumerate(entries):
            keys[starts + j] = key
            values[starts + j] = value
    return pa.MapArray.from_arrays(
        pa.array(offsets), pa.array(keys, pa.string()), pa.array(values, value_type)
    ).cast(kind)


def _null_struct(kind: pa.DataType, n: int, children: Mapping[str, pa.Array]) -> pa.Array:
    """A struct column whose fields are null (struct fields recursively) except those
    given."""
    arrays = []
    for field in list(kind):
        if field.name in children:
            arrays.append(children[field.name])
        elif pa.types.is_struct(field.type):
            arrays.append(_null_struct(field.type, n, {}))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.StructArray.from_arrays(arrays, fields=list(kind))


def _constant_or_coded(codes: np.ndarray, values: Sequence[str]) -> pa.Array:
    """Strings given as codes into ``values`` (cheap for few distinct values)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes), pa.array(list(values), pa.string())
    ).cast(pa.string())


def event_columns_table(
    customer: np.ndarray,
    timestamp_ms: np.ndarray,
    code: np.ndarray,
    price: np.ndarray,
    *,
    event_types: Sequence[str],
    endpoint_ids: pa.Array,
    app_id: str,
    id_prefix: str,
    first_index: int = 0,
) -> pa.Table:
    """Simulated events as an ``events`` table (:data:`EVENTS_SCHEMA`), column by column:
    the rows :func:`clarion.services.churn_simulation.event_records` makes, event ids
    ``<id_prefix><first_index + k>``. ``endpoint_ids[i]`` is customer ``i``'s id."""
    n = int(customer.shape[0])
    kinds = {name: EVENTS_SCHEMA.field(name).type for name in EVENTS_SCHEMA.names}
    names = list(event_types)
    types = _constant_or_coded(code.astype(np.int32), names)
    eids = pa.DictionaryArray.from_arrays(pa.array(customer.astype(np.int32)), endpoint_ids).cast(
        pa.string()
    )
    index = pa.array(np.arange(first_index, first_index + n, dtype=np.int64))
    ids = pc.binary_join_element_wise(pa.scalar(id_prefix), pc.cast(index, pa.string()), "")
    stamps = pa.array(timestamp_ms.astype(np.int64))
    day = timestamp_ms // DAY_MS
    first = int(day.min()) if n else 0
    span = np.arange(first, (int(day.max()) + 1) if n else first)
    days = _constant_or_coded(
        (day - first).astype(np.int32), span.astype("datetime64[D]").astype(str).tolist()
    )
    purchase = code == names.index("_monetization.purchase")
    unsubscribe = code == names.index("_email.unsubscribe")
    # float32 prices, as event_records gives them (float(np.float32)).
    prices = price[purchase].astype(np.float32).astype(np.float64)
    attributes = _entries(
        kinds["attributes"],
        [
            (purchase, [("_currency", "USD"), ("_product_id", "sku-1")]),
            (unsubscribe, [("unsubscribe_all", "true")]),
        ],
        n,
    )
    metrics = _entries(
        kinds["metrics"], [(purchase, [("_quantity", 1.0), ("_item_price", prices)])], n
    )
    app = _constant_or_coded(np.zeros(n, dtype=np.int32), [app_id])
    device = _null_struct(kinds["device"], n, {})
    locale_type = kinds["device"].field("locale").type
    locale = pa.StructArray.from_arrays(
        [pa.nulls(n, f.type) for f in list(locale_type)],
        fields=list(locale_type),
        mask=pa.array(np.ones(n, dtype=bool)),
    )
    device = _null_struct(kinds["device"], n, {"locale": locale})
    columns: dict[str, pa.Array] = {
        "event_id": ids,
        "event_type": types,
        "event_timestamp": stamps,
        "arrival_timestamp": stamps,
        "event_version": _constant_or_coded(np.zeros(n, dtype=np.int32), ["3.1"]),
        "application": _null_struct(kinds["application"], n, {"app_id": app}),
        "client": _null_struct(kinds["client"], n, {"client_id": eids}),
        "device": device,
        "session": _null_struct(kinds["session"], n, {}),
        "attributes": attributes,
        "metrics": metrics,
        "endpoint_id": eids,
        "dt": days,
    }
    arrays = [columns.get(name, pa.nulls(n, kinds[name])) for name in EVENTS_SCHEMA.names]
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)
