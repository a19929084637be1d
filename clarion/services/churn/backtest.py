"""The rolling-origin backtest: the held-out evaluation repeated at several earlier
cut-offs, so a user sees whether the choice of model is stable on their own data.

Origin ``k`` (``k = 0 .. cutoffs - 1``) is the as-of date moved back ``k * step_days``
(one label window by default). At each origin the candidates are fitted on the training
window and scored on the held-out window of that origin, exactly as training does:
features before the origin's held-out cut-off, labels up to the origin. Nothing at or
after an origin is read for it (tests/unit/test_churn_backtest.py checks it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.metrics import roc_auc
from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS, ChurnConfig, TimeSplit, day_start
from clarion.domain.churn.selection import CANDIDATES, select_scorer
from clarion.ports.churn import ChurnLearner, ChurnModelStore
from clarion.services.churn.candidates import fit_candidates
from clarion.services.churn.shared import BACKTEST_DOC, iso, require_learner, utc_now
from clarion.services.churn.training import ChurnTraining


class ChurnBacktest:
    """Rolling-origin evaluation of the candidates.

    Parameters
    ----------
    models
        Keeps the result (the ``backtest`` document).
    training
        Gives each origin's training and held-out windows.
    config
        The definition of churn and the default number of cut-offs.
    learner
        Fits the candidates in process (None on AWS: the backtest runs locally).
    """

    def __init__(
        self,
        models: ChurnModelStore,
        training: ChurnTraining,
        config: ChurnConfig,
        *,
        learner: ChurnLearner | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._models = models
        self._training = training
        self._config = config
        self._learner = learner
        self._clock = clock

    def run(
        self,
        as_of: date | None = None,
        definition: ChurnDefinition | None = None,
        *,
        cutoffs: int | None = None,
        step_days: int | None = None,
    ) -> dict[str, Any]:
        """Evaluate every candidate at ``cutoffs`` origins ``step_days`` apart, ending at
        ``as_of``; per cut-off the AUC of each, the winner and its lead (DeLong
        interval), and over all cut-offs each candidate's mean AUC and wins.

        Raises
        ------
        RuntimeError
            There is no in-process learner (AWS).
        ValueError
            An origin has too little history (the message names it).
        """
        learner = require_learner(self._learner)
        definition = definition or self._config.definition
        count = cutoffs or self._config.backtest_cutoffs
        step = step_days or definition.label_days
        if count < 1 or step < 1:
            raise ValueError("the backtest needs at least one cut-off and a step of a day")
        moment = day_start(as_of or self._clock())
        rows = []
        for k in range(count):
            origin = moment - timedelta(days=k * step)
            train, held_out = self._training.windows(origin, definition)
            fitted = fit_candidates(learner, train, held_out, definition, DEFAULT_HYPERPARAMETERS)
            labels = held_out.labels.tolist()
            selection = select_scorer(labels, fitted.scores)
            split = TimeSplit.of(origin, definition.label_days)
            lead = selection.comparisons[0].to_json() if selection.comparisons else None
            rows.append(
                {
                    "origin": origin.date().isoformat(),
                    "train_cutoff": iso(split.train_cutoff),
                    "held_out_cutoff": iso(split.eval_cutoff),
                    "labels_until": iso(split.as_of),
                    "train_rows": len(train),
                    "held_out_rows": len(held_out),
                    "churn_rate": sum(labels) / len(labels),
                    "auc": {kind: roc_auc(labels, fitted.scores[kind]) for kind in CANDIDATES},
                    "winner": selection.winner,
                    "lead": lead,
                }
            )
        summary = {}
        for kind in CANDIDATES:
            values = [r["auc"][kind] for r in rows if not math.isnan(r["auc"][kind])]
            mean = sum(values) / len(values) if values else float("nan")
            spread = (
                math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
                if len(values) > 1
                else 0.0
            )
            summary[kind] = {
                "mean_auc": mean,
                "sd_auc": spread,
                "wins": sum(1 for r in rows if r["winner"] == kind),
            }
        result = {
            "as_of": moment.date().isoformat(),
            "definition": definition.to_json(),
            "step_days": step,
            "cutoffs": rows,
            "summary": summary,
            "stable_winner": len({r["winner"] for r in rows}) == 1,
        }
        self._models.put_document(BACKTEST_DOC, result)
        return result
