"""Train the churn model from label-first CSV, as SageMaker's built-in XGBoost does.

In a SageMaker container (script mode) it reads ``/opt/ml/input/data/train/*.csv`` and
``/opt/ml/input/config/hyperparameters.json`` and writes ``/opt/ml/model/xgboost-model``
(SageMaker packs the folder into ``model.tar.gz``). Locally::

    python -m ml.train --train DIR --model-dir DIR

writes ``model.tar.gz`` holding exactly one file, ``xgboost-model``, which the built-in
container (3.0-5) loads for batch transform. The hyperparameters default to
``clarion.domain.churn.DEFAULT_HYPERPARAMETERS``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from clarion.adapters.local.churn.learner import pack_model, train_booster
from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS, MODEL_FILE


def load_label_first(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every ``*.csv`` under ``folder``: label, then features; no header."""
    parts = [np.loadtxt(path, delimiter=",", ndmin=2) for path in sorted(folder.glob("*.csv"))]
    if not parts:
        raise SystemExit(f"no .csv files in {folder}")
    table = np.vstack(parts)
    return table[:, 1:], table[:, 0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train",
        type=Path,
        default=Path(os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")),
    )
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    )
    parser.add_argument(
        "--hyperparameters", type=Path, default=Path("/opt/ml/input/config/hyperparameters.json")
    )
    args = parser.parse_args(argv)
    params = dict(DEFAULT_HYPERPARAMETERS)
    if args.hyperparameters.exists():
        params.update({k: str(v) for k, v in json.loads(args.hyperparameters.read_text()).items()})
    features, labels = load_label_first(args.train)
    booster = train_booster(features, labels, params)
    args.model_dir.mkdir(parents=True, exist_ok=True)
    if os.environ.get("SM_MODEL_DIR"):
        booster.save_model(str(args.model_dir / MODEL_FILE))  # SageMaker tars the folder
    else:
        (args.model_dir / "model.tar.gz").write_bytes(pack_model(booster))


if __name__ == "__main__":
    main()
