"""Churn model quality on simulated customers, all in one run: ROC-AUC (and PR-AUC,
top-decile lift) of the XGBoost model, the logistic-regression baseline, the recency
rule and the simulator's true probabilities, on the held-out window.

``python -m bench.bench_churn_quality [--customers N] [--days D] [--seed S]``. Events
are loaded column-wise into an in-memory database and the features come from the same
SQL source the product runs. Goal: model AUC within 5% of the true-probability AUC.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from clarion.adapters.local.churn import XGBoostChurnLearner, load_event_columns
from clarion.adapters.local.database import LocalDatabase
from clarion.adapters.local.events import DuckDBAnalyticsQuery
from clarion.adapters.local.profiles import DuckDBProfileStore
from clarion.domain.churn import (
    DEFAULT_HYPERPARAMETERS,
    ChurnConfig,
    ScoreMetrics,
    TimeSplit,
    recency_rule_scores,
)
from clarion.services.churn import sql_source
from clarion.services.churn_simulation import (
    EVENT_TYPES,
    Population,
    SimulationConfig,
    customer_index,
    endpoint_id,
)

OUT = Path(__file__).parent / "out"


def build(customers: int, days: int, seed: int) -> tuple[LocalDatabase, Population, datetime]:
    """An in-memory database holding a simulated history that ends 28 days ago."""
    as_of = (datetime.now(UTC) - timedelta(days=28)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    population = Population(SimulationConfig(customers, days, seed, as_of))
    database = LocalDatabase(None)
    store = DuckDBProfileStore(database)
    batch = []
    for endpoint in population.endpoints():
        batch.append(endpoint)
        if len(batch) >= 20_000:
            store.put_endpoints(batch)
            batch = []
    store.put_endpoints(batch)
    events = population.simulate(0, days)
    ids = np.asarray([endpoint_id(i) for i in range(customers)], dtype=object)
    load_event_columns(
        database,
        events.customer,
        events.timestamp_ms,
        EVENT_TYPES,
        events.code,
        events.price,
        ids,
        "bench",
        "e",
    )
    return database, population, as_of


def evaluate(database: LocalDatabase, population: Population, as_of: datetime) -> dict[str, Any]:
    config = ChurnConfig()
    split = TimeSplit.of(as_of, config.label_days)
    started = time.perf_counter()
    rows = DuckDBAnalyticsQuery(database).rows(
        sql_source("features"), split.parameters(["train", "eval"], config.active_days)
    )
    features_s = time.perf_counter() - started
    train = [r for r in rows if r["split"] == "train"]
    held_out = [r for r in rows if r["split"] == "eval"]
    learner = XGBoostChurnLearner()
    started = time.perf_counter()
    archive = learner.fit(train, DEFAULT_HYPERPARAMETERS)
    train_s = time.perf_counter() - started
    labels = [int(r["churned"]) for r in held_out]
    truth = population.true_churn_probability(
        population.config.day_of(split.eval_cutoff), config.label_days
    )
    scores = {
        "model": learner.predict(archive, held_out),
        "logistic": learner.baseline(train, held_out),
        "recency": recency_rule_scores(held_out),
        "oracle": [float(truth[customer_index(r["id"]) or 0]) for r in held_out],
    }
    metrics = {name: ScoreMetrics.of(labels, s).to_json() for name, s in scores.items()}
    ratio = metrics["model"]["auc"] / metrics["oracle"]["auc"]
    return {
        "train_rows": len(train),
        "held_out_rows": len(held_out),
        "metrics": metrics,
        "model_auc_over_oracle_auc": ratio,
        "goal_within_5_percent": ratio >= 0.95,
        "features_seconds": round(features_s, 2),
        "train_seconds": round(train_s, 2),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="churn model quality")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    database, population, as_of = build(args.customers, args.days, args.seed)
    result = {
        "customers": args.customers,
        "days": args.days,
        "seed": args.seed,
        "simulate_and_load_seconds": round(time.perf_counter() - started, 2),
        **evaluate(database, population, as_of),
    }
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
