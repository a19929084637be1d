"""Scoring endpoints with the promoted churn model, writing the scores to their
``Metrics.ChurnRisk``, and keeping the dynamic churn segment on them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from clarion.domain.churn.definition import ChurnDefinition, require_same_definition
from clarion.domain.churn.model import CHURN_METRIC, FEATURE_COLUMNS, ChurnConfig, day_start
from clarion.domain.churn.requests import churn_segment_request
from clarion.domain.common.errors import NotFoundError
from clarion.ports.audience import ProfileStore
from clarion.ports.churn import ChurnLearner, ChurnModelStore
from clarion.services.churn.candidates import model_scores
from clarion.services.churn.datasets import ChurnDatasets
from clarion.services.churn.shared import require_learner, utc_now
from clarion.services.segments import SegmentService

# Scores a bulk write: large enough that a statement's fixed cost is spread thin, small
# enough that one batch's updates never wait long in memory.
WRITE_BATCH = 50_000
SCORE_CHUNK = 200_000


class ChurnScoring:
    """Scores on endpoints, and the churn segment.

    Parameters
    ----------
    profiles
        Endpoints: scores are merged into their Metrics.
    models
        The promoted model.
    datasets
        The rows to score.
    segments
        Keeps the churn segment.
    config
        The threshold and the segment's name.
    learner
        Applies the model in process (None on AWS, where SageMaker scores).
    """

    def __init__(
        self,
        profiles: ProfileStore,
        models: ChurnModelStore,
        datasets: ChurnDatasets,
        segments: SegmentService,
        config: ChurnConfig,
        *,
        learner: ChurnLearner | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._profiles = profiles
        self._models = models
        self._datasets = datasets
        self._segments = segments
        self._config = config
        self._learner = learner
        self._clock = clock

    def score(
        self, as_of: date | None = None, definition: ChurnDefinition | None = None
    ) -> dict[str, Any]:
        """Score every endpoint in the population with the promoted model and write
        ``Metrics.ChurnRisk``. The definition of churn (the configured one unless
        given) must be the model's own.

        Raises
        ------
        NotFoundError
            No model is promoted yet.
        DefinitionMismatchError
            The promoted model was trained for another definition of churn.
        ValueError
            The promoted model was trained on features this version does not compute.
        RuntimeError
            There is no in-process learner (AWS).
        """
        learner = require_learner(self._learner)
        current = self._models.promoted()
        if current is None:
            raise NotFoundError("promoted churn model", "(none: train one first)")
        definition = definition or self._config.definition
        require_same_definition(current.model_id, current.churn_definition, definition)
        if any(name not in FEATURE_COLUMNS for name in current.features):
            raise ValueError(
                f"the promoted model {current.model_id} was trained on other features: "
                "train a new one"
            )
        record, archive = self._models.load_model(current.model_id)
        moment = day_start(as_of or self._clock())
        frame = self._datasets.frame(moment, ["score"], definition)
        written = at_risk = 0
        # Scored and written a chunk at a time: the scores of a million endpoints never
        # wait as Python objects all at once.
        for start in range(0, len(frame), SCORE_CHUNK):
            part = frame.slice(start, start + SCORE_CHUNK)
            scores = model_scores(record, archive, part, learner)
            written += self.write_scores(dict(zip(part.ids.tolist(), scores, strict=True)))
            at_risk += sum(1 for s in scores if s >= self._config.threshold)
        return {
            "model_id": current.model_id,
            "kind": record.kind,
            "as_of": moment.date().isoformat(),
            "definition": definition.to_json(),
            "scored": len(frame),
            "written": written,
            "at_risk": at_risk,
            "threshold": self._config.threshold,
        }

    def write_scores(self, scores: Mapping[str, float], batch: int = WRITE_BATCH) -> int:
        """Merge each score into its endpoint's Metrics as ChurnRisk, ``batch`` endpoints
        a bulk write (:meth:`ProfileStore.set_metrics`: one statement locally, no
        endpoint read into Python); endpoints that no longer exist are skipped. Returns
        how many endpoints were written."""
        ids = list(scores)
        written = 0
        for start in range(0, len(ids), batch):
            written += self._profiles.set_metrics(
                {
                    endpoint_id: {CHURN_METRIC: round(float(scores[endpoint_id]), 6)}
                    for endpoint_id in ids[start : start + batch]
                }
            )
        return written

    def refresh_segment(self, count: bool = True) -> dict[str, Any]:
        """Create or update the churn segment (``Metrics.ChurnRisk`` at or above the
        threshold). Dynamic: members are whoever matches when it is evaluated. With
        ``count``, its size now is included."""
        request = churn_segment_request(self._config.segment_name, self._config.threshold)
        existing = [
            s
            for s in self._segments.list_segments()
            if s.get("Name") == self._config.segment_name and s.get("SegmentType") == "DIMENSIONAL"
        ]
        if existing:
            segment = existing[0]
            if segment.get("Dimensions") != request["Dimensions"]:
                segment = self._segments.update_segment(segment["Id"], request)
        else:
            segment = self._segments.create_segment(request)
        out = {
            "segment_id": segment["Id"],
            "version": segment["Version"],
            "threshold": self._config.threshold,
        }
        if count:
            out["size"] = self._segments.preview(segment["Id"])
        return out
