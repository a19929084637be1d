"""Churn training and scoring time and peak memory at scale (2 cores): features from
the SQL source on DuckDB, XGBoost training, scoring, at each size given.

``python -m bench.bench_churn_scale [--customers 100000 1000000]``. Peak memory is the
process's resident high-water mark (``ru_maxrss``), so sizes run in increasing order;
the baseline is the recency rule's scoring time in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

from bench.bench_churn_quality import build
from clarion.adapters.local.churn import XGBoostChurnLearner
from clarion.adapters.local.events import DuckDBAnalyticsQuery
from clarion.domain.churn import (
    DEFAULT_HYPERPARAMETERS,
    ChurnConfig,
    TimeSplit,
    recency_rule_scores,
)
from clarion.services.churn import sql_source

OUT = Path(__file__).parent / "out"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(customers: int, days: int) -> dict[str, Any]:
    started = time.perf_counter()
    database, _, as_of = build(customers, days, 0)
    simulate_s = time.perf_counter() - started
    config = ChurnConfig()
    split = TimeSplit.of(as_of, config.label_days)
    query = DuckDBAnalyticsQuery(database)
    t = time.perf_counter()
    rows = query.rows(sql_source("features"), split.parameters(["train"], config.active_days))
    features_train_s = time.perf_counter() - t
    learner = XGBoostChurnLearner()
    t = time.perf_counter()
    archive = learner.fit(rows, DEFAULT_HYPERPARAMETERS)
    train_s = time.perf_counter() - t
    del rows
    t = time.perf_counter()
    scoring = query.rows(sql_source("features"), split.parameters(["score"], config.active_days))
    features_score_s = time.perf_counter() - t
    t = time.perf_counter()
    learner.predict(archive, scoring)
    score_s = time.perf_counter() - t
    t = time.perf_counter()
    recency_rule_scores(scoring)
    recency_s = time.perf_counter() - t
    return {
        "customers": customers,
        "scored_rows": len(scoring),
        "simulate_and_load_seconds": round(simulate_s, 1),
        "features_train_seconds": round(features_train_s, 1),
        "train_seconds": round(train_s, 1),
        "features_score_seconds": round(features_score_s, 1),
        "score_seconds": round(score_s, 1),
        "baseline_recency_score_seconds": round(recency_s, 2),
        "peak_rss_mb": round(_peak_mb()),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="churn scale")
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=150)
    args = parser.parse_args(argv)
    results = [measure(n, args.days) for n in sorted(args.customers)]
    OUT.mkdir(exist_ok=True)
    (OUT / "churn_scale.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
