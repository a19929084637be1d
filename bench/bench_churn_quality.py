"""Churn model quality, every scorer in the same run on the held-out window: ROC-AUC (and
PR-AUC, top-decile lift) of the XGBoost model, the logistic-regression baseline, the
BG/NBD baseline, the recency rule, the scorer the product chooses and, on the engagement
simulator, its true probabilities.

``python -m bench.bench_churn_quality [--customers N] [--days D] [--seed S]
[--purchases-only]``. Without ``--purchases-only``: the engagement simulator (sessions,
purchases, email, SMS) with the default definition; goal: model AUC within 5% of the
true-probability AUC (``bench/out/churn_quality.json``). With it: a shop whose customers
only buy, at their own rates, and lapse for good (``clarion_devkit.samples.shop_history``),
churn defined as no purchase in 91 days among customers who bought in the last 365, 540
days of history; goals: the chosen scorer at least as good as the best baseline, and
the XGBoost model better than BG/NBD (``bench/out/churn_purchase_only.json``). Events
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
from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.metrics import ScoreMetrics
from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS, TimeSplit
from clarion.domain.churn.selection import select_scorer
from clarion.services.churn import FeatureFrame, sql_source
from clarion.services.churn.candidates import fit_candidates
from clarion_devkit.samples.churn_history import (
    EVENT_TYPES,
    Population,
    SimulationConfig,
    customer_index,
    endpoint_id,
    event_id_prefix,
)
from clarion_devkit.samples.shop_history import ShopPopulation

OUT = Path(__file__).parent / "out"
ENDPOINT_BATCH = 5_000


def peak_mb() -> float:
    """The process's resident high-water mark (``ru_maxrss``), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SHOP = ChurnDefinition(91, 365, ("_monetization.purchase",))


def build(
    customers: int,
    days: int,
    seed: int,
    home: Path,
    memory_limit: str = "2GB",
    *,
    purchases_only: bool = False,
) -> tuple[LocalDatabase, Any, datetime]:
    """A DuckDB file under ``home`` holding a simulated history that ends 28 days ago:
    endpoints through the profile store, events column-wise in chunks."""
    as_of = (datetime.now(UTC) - timedelta(days=28)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    config = SimulationConfig(customers, days, seed, as_of)
    population: Any = ShopPopulation(config) if purchases_only else Population(config)
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
    chunks = (
        [population.simulate(0, days)] if purchases_only else population.simulate_chunks(0, days)
    )
    for chunk in chunks:
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


def evaluate(
    database: LocalDatabase,
    population: Any,
    as_of: datetime,
    definition: ChurnDefinition,
    *,
    oracle: bool = True,
) -> dict[str, Any]:
    split = TimeSplit.of(as_of, definition.label_days)
    started = time.perf_counter()
    frame = FeatureFrame.from_arrow(
        DuckDBChurnData(database).arrow(
            sql_source("features"), split.parameters(["train", "eval"], definition)
        )
    )
    features_s = time.perf_counter() - started
    train, held_out = frame.select("train"), frame.select("eval")
    learner = XGBoostChurnLearner()
    started = time.perf_counter()
    # Exactly what ChurnService.train fits: every candidate, on the training window only.
    fitted = fit_candidates(learner, train, held_out, definition, DEFAULT_HYPERPARAMETERS)
    train_s = time.perf_counter() - started
    labels = held_out.labels.tolist()
    scores: dict[str, list[float]] = dict(fitted.scores)
    selection = select_scorer(labels, scores)
    scores["chosen"] = scores[selection.winner]
    if oracle:
        truth = population.true_churn_probability(
            population.config.day_of(split.eval_cutoff), definition.label_days
        )
        index = np.asarray([customer_index(i) or 0 for i in held_out.ids.tolist()])
        scores["oracle"] = truth[index].tolist()
    metrics = {name: ScoreMetrics.of(labels, s).to_json() for name, s in scores.items()}
    baselines = ("logistic", "btyd", "recency")
    best_baseline = max(baselines, key=lambda k: metrics[k]["auc"])
    result: dict[str, Any] = {
        "definition": definition.to_json(),
        "train_rows": len(train),
        "held_out_rows": len(held_out),
        "features": list(fitted.features),
        "metrics": metrics,
        "chosen": selection.winner,
        "selection": selection.to_json(),
        "best_baseline": best_baseline,
        "goal_chosen_at_least_best_baseline": metrics["chosen"]["auc"]
        >= metrics[best_baseline]["auc"],
        "goal_xgboost_beats_btyd": metrics["xgboost"]["auc"] > metrics["btyd"]["auc"],
        "hyperparameters": fitted.hyperparameters,
        "btyd_fit": fitted.fits.get("btyd"),
        "features_seconds": round(features_s, 2),
        "fit_candidates_seconds": round(train_s, 2),
    }
    if oracle:
        ratio = metrics["xgboost"]["auc"] / metrics["oracle"]["auc"]
        result["model_auc_over_oracle_auc"] = ratio
        result["goal_within_5_percent"] = ratio >= 0.95
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="churn model quality")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=None, help="150, or 540 purchases-only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--purchases-only", action="store_true")
    args = parser.parse_args(argv)
    shop = args.purchases_only
    days = args.days or (540 if shop else 150)
    with tempfile.TemporaryDirectory(prefix="churn-quality-") as folder:
        started = time.perf_counter()
        database, population, as_of = build(
            args.customers, days, args.seed, Path(folder), purchases_only=shop
        )
        loaded = round(time.perf_counter() - started, 2)
        definition = SHOP if shop else ChurnDefinition()
        result = {
            "customers": args.customers,
            "days": days,
            "seed": args.seed,
            "purchases_only": shop,
            "simulate_and_load_seconds": loaded,
            **evaluate(database, population, as_of, definition, oracle=not shop),
            "peak_rss_mb": round(peak_mb()),
        }
        database.close()
    OUT.mkdir(exist_ok=True)
    name = "churn_purchase_only.json" if shop else "churn_quality.json"
    (OUT / name).write_text(json.dumps(result, indent=2))
    for name, m in result["metrics"].items():
        print(
            f"{name:<9} AUC {m['auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  "
            f"lift@10% {m['top_decile_lift']:.2f}"
        )
    print(f"chosen: {result['chosen']}; best baseline: {result['best_baseline']}")
    if "model_auc_over_oracle_auc" in result:
        print(f"model / true-probability AUC: {result['model_auc_over_oracle_auc']:.3f}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
