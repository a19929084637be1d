"""The local churn pipeline on a small simulated population: the features SQL on
DuckDB, no leakage across the cut-off, the model archive, training with promotion,
scoring into Metrics.ChurnRisk and the churn segment."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.churn.model import (
    FEATURE_COLUMNS,
    MODEL_FILE,
    TimeSplit,
    epoch_ms,
)
from clarion.services.churn import sql_source
from clarion_devkit.samples.churn_history import Population, SimulationConfig


@pytest.fixture(scope="module")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Bootstrap:
    home: Path = tmp_path_factory.mktemp("churn")
    b = Bootstrap(Settings().with_overrides(backend="local", home=home))
    as_of = (datetime.now(UTC) - timedelta(days=30)).date()
    b.churn_service.simulate(700, 120, seed=3, as_of=as_of)
    b.__dict__["as_of"] = as_of
    return b


def test_simulator_is_seeded_and_its_oracle_is_a_probability() -> None:
    end = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=10_000)  # any midnight
    config = SimulationConfig(300, 60, 7, end)
    a, b = Population(config).simulate(0, 60), Population(config).simulate(0, 60)
    assert np.array_equal(a.timestamp_ms, b.timestamp_ms) and len(a) > 0
    truth = Population(config).true_churn_probability(40, 28)
    assert ((truth >= 0) & (truth <= 1)).all()
    # Customers already hit by their shock are likelier to churn.
    population = Population(config)
    shocked = population.shock_day < 40
    if shocked.any() and (~shocked).any():
        assert truth[shocked].mean() > truth[~shocked].mean()


def test_features_sql_columns_and_no_leakage(boot: Bootstrap) -> None:
    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    rows = service.dataset(as_of, ["eval"])
    assert rows and list(rows[0])[2:-1] == list(FEATURE_COLUMNS)
    before = {r["id"]: r for r in rows}
    # An event after the cut-off changes the label at most, never a feature.
    split = TimeSplit.of(as_of, service.config.label_days)
    target = next(iter(before))
    from clarion.domain.events.records import EventRecord

    stamp = epoch_ms(split.eval_cutoff) + 3_600_000
    boot.adapters.event_sink.put_records(
        [
            EventRecord.model_validate(
                {
                    "event_type": "_session.start",
                    "event_timestamp": stamp,
                    "arrival_timestamp": stamp,
                    "application": {"app_id": "x"},
                    "client": {"client_id": target},
                    "event_id": "leak-test",
                }
            )
        ]
    )
    after = {r["id"]: r for r in service.dataset(as_of, ["eval"])}
    assert {k: v for k, v in after[target].items() if k != "churned"} == {
        k: v for k, v in before[target].items() if k != "churned"
    }
    assert after[target]["churned"] == 0


def test_features_sql_is_trino_and_names_no_date() -> None:
    import re

    import sqlglot

    text = sql_source("features")
    sqlglot.parse_one(text, read="trino")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_train_score_segment(boot: Bootstrap) -> None:
    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    result = service.train(as_of)
    assert set(result["metrics"]) >= {"xgboost", "logistic", "btyd", "recency", "oracle"}
    assert result["decision"]["promote"] is True
    # The chosen scorer is the best candidate on the held-out window.
    candidates = {
        k: result["metrics"][k]["auc"] for k in ("xgboost", "logistic", "btyd", "recency")
    }
    assert result["auc"] == max(candidates.values())
    assert result["metrics"]["oracle"]["auc"] >= result["auc"] - 0.02
    promoted = boot.adapters.churn_model_store.promoted()
    assert promoted is not None and promoted.model_id == result["model_id"]
    assert promoted.kind == result["chosen"]
    assert promoted.churn_definition == service.config.definition
    xgboost, archive = boot.adapters.churn_model_store.load_model(result["candidates"]["xgboost"])
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        assert tar.getnames() == [MODEL_FILE]
    # Features with no information here are left out (every endpoint here is email or
    # SMS, but nobody has a custom event: the default population varies on most).
    assert set(xgboost.features) <= set(FEATURE_COLUMNS) and xgboost.features

    scored = service.score(as_of)
    assert scored["scored"] == scored["written"] > 0
    segment = service.refresh_segment()
    endpoints = boot.adapters.profile_store.get_endpoints([f"sim-{i:07d}" for i in range(700)])
    risks = [e.metrics["ChurnRisk"] for e in endpoints.values() if e.metrics]
    assert segment["size"] == sum(1 for r in risks if r >= service.config.threshold)
    again = service.refresh_segment()
    assert again["segment_id"] == segment["segment_id"]


def test_a_winner_that_does_not_beat_the_current_model_is_not_promoted(boot: Bootstrap) -> None:
    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    first = service.train(as_of)
    promoted = boot.adapters.churn_model_store.promoted()
    assert promoted is not None
    # The same data again: the same winner with the same held-out AUC, which is no gain.
    again = service.train(as_of)
    assert again["chosen"] == first["chosen"]
    assert again["decision"]["current_model_id"] == promoted.model_id
    assert again["decision"]["comparison"]["difference"] == pytest.approx(0.0, abs=1e-12)
    assert again["decision"]["promote"] is False
    assert boot.adapters.churn_model_store.promoted().model_id == promoted.model_id  # type: ignore[union-attr]


def test_columnar_events_are_the_records_the_event_store_would_keep() -> None:
    import pyarrow as pa

    from clarion.adapters.local.churn.columnar import event_columns_table
    from clarion.adapters.local.events.event_sink import records_to_arrow
    from clarion_devkit.samples.churn_history import (
        EVENT_TYPES,
        EventColumns,
        endpoint_id,
        event_id_prefix,
        event_records,
    )

    end = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=10_000)
    population = Population(SimulationConfig(150, 60, 4, end))
    events = population.simulate(0, 60)
    # Chunked simulation gives the same events as one pass.
    chunks = list(population.simulate_chunks(0, 60, chunk_events=500))
    assert len(chunks) > 1
    assert np.array_equal(EventColumns.concat(chunks).timestamp_ms, events.timestamp_ms)
    prefix = event_id_prefix(4, 1, 0)
    ids = pa.array([endpoint_id(i) for i in range(150)], pa.string())
    columnar = event_columns_table(
        events.customer,
        events.timestamp_ms,
        events.code,
        events.price,
        event_types=EVENT_TYPES,
        endpoint_ids=ids,
        app_id="app",
        id_prefix=prefix,
        first_index=7,
    )
    assert columnar.equals(records_to_arrow(list(event_records(events, "app", prefix, 7))))


def test_features_as_arrow_match_the_rows(boot: Bootstrap) -> None:
    from clarion.adapters.local.churn.columnar import DuckDBChurnData
    from clarion.services.churn import FeatureFrame

    service = boot.churn_service
    as_of = boot.__dict__["as_of"]
    split = TimeSplit.of(as_of, service.config.label_days)
    parameters = split.parameters(["train", "eval"], service.config.definition)
    data = DuckDBChurnData(boot.adapters.database)
    columns = FeatureFrame.from_arrow(data.arrow(sql_source("features"), parameters))
    rows = FeatureFrame.from_rows(service.dataset(as_of, ["train", "eval"]))
    assert len(columns) == len(rows) > 0
    assert list(columns.ids) == list(rows.ids) and list(columns.splits) == list(rows.splits)
    assert np.array_equal(columns.features, rows.features)
    assert np.array_equal(columns.labels, rows.labels)
    batches = list(data.batches(sql_source("features"), parameters, rows=100))
    assert sum(b.num_rows for b in batches) == len(rows)


def test_columnar_simulation_writes_each_run_once(tmp_path: Path) -> None:
    from clarion.adapters.local.churn.columnar import DuckDBChurnData

    b = Bootstrap(Settings().with_overrides(backend="local", home=tmp_path))
    service = b.churn_service
    # The local backend's simulated events go in column-wise.
    assert isinstance(b.adapters.churn_columnar_data, DuckDBChurnData)
    as_of = (datetime.now(UTC) - timedelta(days=30)).date()
    first = service.simulate(120, 60, seed=1, as_of=as_of)
    again = service.simulate(120, 60, seed=1, as_of=as_of)
    assert first["events"] > 0 and again["events"] == 0
    assert b.adapters.event_sink.count() == first["events"]  # type: ignore[attr-defined]
