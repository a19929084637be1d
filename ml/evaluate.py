"""Evaluate a ``model.tar.gz`` offline on a held-out transform input and its labels.

    python -m ml.evaluate --model model.tar.gz --input eval.csv --labels labels.csv \
        [--features a,b,...]

``eval.csv`` is the batch transform input (id, then the model's features, in the order
its record lists them, ``--features``: all of ``FEATURE_COLUMNS`` by default; no header) and
``labels.csv`` the ``id,churned`` file the training pipeline writes beside it. Prints
ROC-AUC, PR-AUC, top-decile lift and calibration error of the model and the recency
rule as JSON (the metrics are ``clarion.domain.churn``'s, as in the pipeline).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from clarion.adapters.local.churn.learner import unpack_model
from clarion.domain.churn.metrics import ScoreMetrics, recency_rule_scores
from clarion.domain.churn.model import FEATURE_COLUMNS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--features", default=",".join(FEATURE_COLUMNS))
    args = parser.parse_args(argv)
    names = [n for n in args.features.split(",") if n]
    import xgboost as xgb

    ids, features = [], []
    for line in args.input.read_text().splitlines():
        if line:
            parts = line.split(",")
            ids.append(parts[0])
            features.append([float(v) for v in parts[1:]])
    with args.labels.open() as handle:
        truth = {row["id"]: int(row["churned"]) for row in csv.DictReader(handle)}
    labels = [truth[i] for i in ids]
    booster = unpack_model(args.model.read_bytes())
    scores = [float(s) for s in booster.predict(xgb.DMatrix(np.asarray(features)))]
    rows = [dict(zip(names, f, strict=True)) for f in features]
    print(
        json.dumps(
            {
                "model": ScoreMetrics.of(labels, scores).to_json(),
                "recency": ScoreMetrics.of(labels, recency_rule_scores(rows)).to_json(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
