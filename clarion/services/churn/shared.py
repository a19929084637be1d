"""What the churn use cases share: the SQL sources, the names of the pipeline's
documents, the clock and how times are written, and the learner checks."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from clarion.ports.churn import ChurnLearner
from clarion.resources import read_text

SIMULATION_DOC = "simulation"
"""The parameters of the simulated history (rebuilt for the oracle and the response)."""
EVALUATION_DOC = "evaluation"
"""The latest held-out evaluation (what the report shows)."""
BACKTEST_DOC = "backtest"
"""The latest rolling-origin backtest (what the report shows beside the evaluation)."""
CAMPAIGN_DOC = "retention-campaign"
"""The latest retention campaign launch (what the uplift is measured on)."""


@cache
def sql_source(name: str) -> str:
    """A churn SQL source (``features`` or ``retention``), Trino dialect."""
    return read_text(f"sql/churn/{name}.sql")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` in UTC to the second, ``Z``-suffixed."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def require_learner(learner: ChurnLearner | None) -> ChurnLearner:
    """The in-process learner. Raises RuntimeError where there is none (AWS)."""
    if learner is None:
        raise RuntimeError("no in-process learner: on AWS, training runs on SageMaker")
    return learner


def is_columnar_learner(learner: Any) -> bool:
    """Whether the learner takes feature matrices (``ColumnarChurnLearner``)."""
    return all(
        callable(getattr(learner, name, None))
        for name in ("fit_arrays", "predict_arrays", "baseline_arrays", "logistic_arrays")
    )


def floats(values: Any) -> list[float]:
    """Scores as Python floats (numpy arrays or sequences)."""
    tolist = getattr(values, "tolist", None)
    return [float(v) for v in (tolist() if tolist else values)]
