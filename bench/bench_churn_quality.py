"""Churn model quality on simulated customers, all in one run: ROC-AUC (and PR-AUC,
top-decile lift) of the XGBoost model, the logistic-regression baseline, the recency
rule and the simulator's true probabilities, on the held-out window.

``python -m bench.bench_churn_quality [--customers N] [--days D] [--seed S]``. Events
are written column-wise (as ``clarion churn simulate`` does locally) into a DuckDB file
in a temporary folder, the features come from the same SQL source the product runs,
fetched as Arrow, and the model is trained exactly as ``ChurnService.train`` does it
(early stopping on a validation split of the training window only). Goal: model AUC
within 5% of the true-probability AUC.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.churn.columnar import DuckDBChurnData
from clarion.adapters.local.churn.learner import XGBoostChurnLearner
from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.churn.metrics import ScoreMetrics, recency_rule_scores
from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS, ChurnConfig, TimeSplit
from clarion.services.churn import FeatureFrame, sql_source
from clarion_devkit.samples.churn_history import (
    EVENT_TYPES,
    Population,
    SimulationConfig,
    customer_index,
    endpoint_id,
    event_id_prefix,
)

OUT = Path(__file__).parent / "out"
ENDPOINT_BATCH = 5_000


def peak_mb() -> float:
    """The process's resident high-water mark (``ru_maxrss``), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(
    customers: int, days: int, seed: int, home: Path, memory_limit: str = "2GB"
) -> tuple[LocalDatabase, Population, datetime]:
    """A DuckDB file under ``home`` holding a simulated history that ends 28 days ago:
    endpoints through the profile store, events column-wise in chunks."""
    as_of = (datetime.now(UTC) - timedelta(days=28)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    population = Population(SimulationConfig(customers, days, seed, as_of))
    database = LocalDatabase(home)
    cursor = database.cursor()
    # The buffer pool spills to the file instead of holding the table in memory.
    cursor.execute(f"SET memory_limit = '{memory_limit}'")
    cursor.execute("SET threads = 2")
    store = DuckDBProfileStore(database)
    batch = []
    for endpoint in population.endpoints():
        batch.append(endpoint)
        if len(batch) >= ENDPOINT_BATCH:
            store.put_endpoints(batch)
            batch = []
    store.put_endpoints(batch)
    data = DuckDBChurnData(database)
    ids = pa.array([endpoint_id(i) for i in range(customers)], pa.string())
    index = 0
    for chunk in population.simulate_chunks(0, days):
        data.put_event_columns(
            chunk.customer,
            chunk.timestamp_ms,
            chunk.code,
            chunk.price,
            event_types=EVENT_TYPES,
            endpoint_ids=ids,
            app_id="bench",
            id_prefix=event_id_prefix(seed, 1, 0),
            first_index=index,
        )
        index += len(chunk)
    return database, population, as_of


def evaluate(database: LocalDatabase, population: Population, as_of: datetime) -> dict[str, Any]:
    config = ChurnConfig()
    split = TimeSplit.of(as_of, config.label_days)
    started = time.perf_counter()
    frame = FeatureFrame.from_arrow(
        DuckDBChurnData(database).arrow(
            sql_source("features"), split.parameters(["train", "eval"], config.active_days)
        )
    )
    features_s = time.perf_counter() - started
    train, held_out = frame.select("train"), frame.select("eval")
    learner = XGBoostChurnLearner()
    started = time.perf_counter()
    archive, used = learner.fit_arrays(train.features, train.labels, DEFAULT_HYPERPARAMETERS)
    train_s = time.perf_counter() - started
    labels = held_out.labels.tolist()
    truth = population.true_churn_probability(
        population.config.day_of(split.eval_cutoff), config.label_days
    )
    oracle = truth[np.asarray([customer_index(i) or 0 for i in held_out.ids.tolist()])]
    scores = {
        "model": learner.predict_arrays(archive, held_out.features).tolist(),
        "logistic": learner.baseline_arrays(
            train.features, train.labels, held_out.features
        ).tolist(),
        "recency": recency_rule_scores(held_out.recency_rows()),
        "oracle": oracle.tolist(),
    }
    metrics = {name: ScoreMetrics.of(labels, s).to_json() for name, s in scores.items()}
    ratio = metrics["model"]["auc"] / metrics["oracle"]["auc"]
    return {
        "train_rows": len(train),
        "held_out_rows": len(held_out),
        "metrics": metrics,
        "model_auc_over_oracle_auc": ratio,
        "goal_within_5_percent": ratio >= 0.95,
        "hyperparameters": used,
        "features_seconds": round(features_s, 2),
        "train_seconds": round(train_s, 2),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="churn model quality")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="churn-quality-") as folder:
        started = time.perf_counter()
        database, population, as_of = build(args.customers, args.days, args.seed, Path(folder))
        result = {
            "customers": args.customers,
            "days": args.days,
            "seed": args.seed,
            "simulate_and_load_seconds": round(time.perf_counter() - started, 2),
            **evaluate(database, population, as_of),
            "peak_rss_mb": round(peak_mb()),
        }
        database.close()
    OUT.mkdir(exist_ok=True)
    (OUT / "churn_quality.json").write_text(json.dumps(result, indent=2))
    for name, m in result["metrics"].items():
        print(
            f"{name:<9} AUC {m['auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  "
            f"lift@10% {m['top_decile_lift']:.2f}"
        )
    print(f"model / true-probability AUC: {result['model_auc_over_oracle_auc']:.3f}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
