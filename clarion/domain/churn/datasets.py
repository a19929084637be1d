"""The CSV layouts SageMaker's built-in XGBoost algorithm reads (label first, no
header, for training; no header for batch transform), labels and scores files."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from clarion.domain.churn.model import FEATURE_COLUMNS, ID_COLUMN, LABEL_COLUMN, SPLIT_COLUMN

# -- rows, matrices and SageMaker CSV ------------------------------------------------


def feature_vector(
    row: Mapping[str, Any], features: Sequence[str] = FEATURE_COLUMNS
) -> list[float]:
    """A row's ``features`` (all, in :data:`FEATURE_COLUMNS` order, by default; missing
    values are 0)."""
    out = []
    for name in features:
        value = row.get(name)
        out.append(0.0 if value is None else float(value))
    return out


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def training_csv(
    rows: Iterable[Mapping[str, Any]], features: Sequence[str] = FEATURE_COLUMNS
) -> str:
    """Label first, then the features; no header: the built-in algorithm's training
    CSV (``ContentType: text/csv``)."""
    return "".join(
        ",".join([str(int(row[LABEL_COLUMN])), *map(_number, feature_vector(row, features))]) + "\n"
        for row in rows
    )


def transform_csv(
    rows: Iterable[Mapping[str, Any]], features: Sequence[str] = FEATURE_COLUMNS
) -> str:
    """The endpoint id, then the features; no header. The batch transform job drops the
    id on the way in (``InputFilter: $[1:]``) and joins it back to the score
    (``JoinSource: Input``, ``OutputFilter: $[0,-1]``)."""
    return "".join(
        ",".join([str(row[ID_COLUMN]), *map(_number, feature_vector(row, features))]) + "\n"
        for row in rows
    )


def parse_feature_csv(text: str) -> list[dict[str, Any]]:
    """Rows of the features query as CSV with a header (Athena's result file): ids and
    splits as text, features as numbers, the label as 0/1 (None when empty)."""
    import csv
    import io

    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {ID_COLUMN: raw[ID_COLUMN], SPLIT_COLUMN: raw.get(SPLIT_COLUMN, "")}
        for name in FEATURE_COLUMNS:
            value = raw.get(name)
            row[name] = float(value) if value not in (None, "") else None
        label = raw.get(LABEL_COLUMN)
        row[LABEL_COLUMN] = int(float(label)) if label not in (None, "") else None
        rows.append(row)
    return rows


def labels_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """``id,churned`` lines with a header (the held-out labels, kept beside the
    transform input)."""
    return f"{ID_COLUMN},{LABEL_COLUMN}\n" + "".join(
        f"{row[ID_COLUMN]},{int(row[LABEL_COLUMN])}\n" for row in rows
    )


def parse_scores(text: str) -> dict[str, float]:
    """Batch transform output lines ``id,score`` (the joined input and prediction)."""
    scores: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rsplit(",", 1)
        if len(parts) != 2:
            raise ValueError(f"line {number}: expected 'id,score', got {line[:80]!r}")
        endpoint_id = parts[0].split(",", 1)[0].strip().strip('"')
        score = float(parts[1])
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            raise ValueError(f"line {number}: score {score} is not a probability")
        scores[endpoint_id] = score
    return scores
