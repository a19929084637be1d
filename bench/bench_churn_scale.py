"""Churn features, training and scoring time and peak memory at scale (2 cores), each
beside a baseline measured in the same run.

``python -m bench.bench_churn_scale [--customers 100000 ...]`` runs each size in a fresh
process (so each peak is its own) and writes ``bench/out/churn_scale.json``. By default
it runs 100,000 customers; a million is ``--customers 1000000`` (about 49 million
events: ~10 minutes to simulate and load, and a few GB on disk in the temporary folder).

Per size, on a DuckDB file in a temporary folder (buffer pool capped with
``--memory-limit``, so the events table is read from disk as it would be under
CLARION_HOME):

* simulate and load: endpoints through the profile store, events column-wise;
* features: the train+held-out query fetched as Arrow and turned into a float32 matrix;
  baseline: the same query's Arrow result alone (no matrix), and the score query;
* training: XGBoost from the matrix (early stopping on a validation split of the
  training rows, nthread 2); baseline: the logistic regression on the same matrix;
* scoring: the promoted model over the score split in chunks; baseline: the recency rule;
* writing ``Metrics.ChurnRisk`` through the profile store's bulk ``set_metrics`` (up to
  ``--write-limit`` endpoints; bench_score_writes sets it beside the per-document path).

Each step records its wall time and the process's resident set size after it; the peak
is ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_churn_quality import build, peak_mb
from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.churn.columnar import DuckDBChurnData
from clarion.adapters.local.churn.learner import XGBoostChurnLearner
from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.churn.metrics import recency_rule_scores
from clarion.domain.churn.model import (
    CHURN_METRIC,
    DEFAULT_HYPERPARAMETERS,
    ChurnConfig,
    TimeSplit,
)
from clarion.services.churn import FeatureFrame, sql_source

OUT = Path(__file__).parent / "out"


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 2**20


class _Steps:
    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}

    def time(self, name: str, action: Any) -> Any:
        started = time.perf_counter()
        result = action()
        self.figures[name] = {
            "seconds": round(time.perf_counter() - started, 2),
            "rss_mb_after": round(_rss_mb()),
        }
        return result


def _write_scores(database: LocalDatabase, ids: list[str], scores: list[float]) -> int:
    """The scores written as churn scoring writes them: bulk ``set_metrics`` (the
    per-document path it replaced is measured beside it by bench_score_writes)."""
    store = DuckDBProfileStore(database)
    return store.set_metrics(
        {
            endpoint_id: {CHURN_METRIC: round(score, 6)}
            for endpoint_id, score in zip(ids, scores, strict=True)
        }
    )


def measure(customers: int, days: int, memory_limit: str, write_limit: int) -> dict[str, Any]:
    steps = _Steps()
    with tempfile.TemporaryDirectory(prefix="churn-scale-") as folder:
        database, _, as_of = steps.time(
            "simulate_and_load", lambda: build(customers, days, 0, Path(folder), memory_limit)
        )
        data = DuckDBChurnData(database)
        config = ChurnConfig()
        split = TimeSplit.of(as_of, config.label_days)
        query = sql_source("features")
        both = split.parameters(["train", "eval"], config.definition)
        table = steps.time("baseline_features_arrow_only", lambda: data.arrow(query, both))
        rows = table.num_rows
        del table
        frame = steps.time(
            "features_train_eval", lambda: FeatureFrame.from_arrow(data.arrow(query, both))
        )
        train = frame.select("train")
        del frame
        learner = XGBoostChurnLearner(threads=2)
        archive, used = steps.time(
            "train_xgboost",
            lambda: learner.fit_arrays(train.features, train.labels, DEFAULT_HYPERPARAMETERS),
        )
        steps.time(
            "baseline_train_logistic",
            lambda: learner.baseline_arrays(train.features, train.labels, train.features[:1]),
        )
        train_rows = len(train)
        score = steps.time(
            "features_score",
            lambda: FeatureFrame.from_arrow(
                data.arrow(query, split.parameters(["score"], config.definition))
            ),
        )
        scores = steps.time(
            "score_xgboost", lambda: learner.predict_arrays(archive, score.features)
        )
        steps.time("baseline_score_recency", lambda: recency_rule_scores(score.recency_rows()))
        limit = min(len(score), write_limit)
        written = steps.time(
            "write_scores",
            lambda: _write_scores(database, score.ids[:limit].tolist(), scores[:limit].tolist()),
        )
        database.close()
    return {
        "customers": customers,
        "feature_rows_train_eval": rows,
        "train_rows": train_rows,
        "scored_rows": len(score),
        "scores_written": written,
        "num_round_kept": used["num_round"],
        "memory_limit": memory_limit,
        "steps": steps.figures,
        "peak_rss_mb": round(peak_mb()),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="churn scale")
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's buffer pool cap")
    parser.add_argument("--write-limit", type=int, default=100_000)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process:
        (size,) = args.customers
        print(json.dumps(measure(size, args.days, args.memory_limit, args.write_limit)))
        return
    results = []
    for size in sorted(args.customers):
        command = [
            sys.executable,
            "-m",
            "bench.bench_churn_scale",
            "--in-process",
            "--customers",
            str(size),
            "--days",
            str(args.days),
            "--memory-limit",
            args.memory_limit,
            "--write-limit",
            str(args.write_limit),
        ]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            # The measuring child's own traceback, not just its exit status.
            sys.stderr.write(done.stderr)
            raise SystemExit(f"churn scale at {size} customers failed ({done.returncode})")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "churn_scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
