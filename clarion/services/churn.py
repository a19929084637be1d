"""Predictive churn: features from one SQL source, an XGBoost model, scores on endpoints
(``Metrics.ChurnRisk``), a dynamic churn segment, a retention campaign with a holdout,
and a report that sets the model beside its baselines and the best possible.

Locally every step runs in process (:meth:`ChurnService.train`, :meth:`score`); on AWS
the state machines run the same steps one Lambda at a time (Athena, SageMaker), calling
:meth:`write_scores`, :meth:`refresh_segment`, :meth:`launch_retention` and
:meth:`evaluate_candidate`. See docs/churn.md.
"""

from __future__ import annotations

import base64
import html
import io
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from clarion.domain.churn import (
    CHURN_METRIC,
    DEFAULT_HYPERPARAMETERS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    RECENCY_FEATURE,
    SPLIT_COLUMN,
    ChurnConfig,
    ModelRecord,
    ScoreMetrics,
    TimeSplit,
    calibration,
    churn_segment_request,
    day_start,
    epoch_ms,
    feature_vector,
    labels_csv,
    lift_curve,
    parse_feature_csv,
    parse_scores,
    promotion_decision,
    recency_rule_scores,
    retention_campaign_request,
    retention_template_request,
    retention_uplift,
    roc_points,
    training_csv,
    transform_csv,
)
from clarion.domain.endpoint import Endpoint
from clarion.domain.errors import NotFoundError
from clarion.ports import (
    AnalyticsQuery,
    ChurnLearner,
    ChurnModelStore,
    ColumnarAnalytics,
    ColumnarEventSink,
    EventSink,
    ProfileStore,
)
from clarion.services.segments import SegmentService

WRITE_BATCH = 500
ENDPOINT_BATCH = 5_000
EVENT_BATCH = 20_000
SCORE_CHUNK = 200_000
SIMULATION_DOC = "simulation"
EVALUATION_DOC = "evaluation"
CAMPAIGN_DOC = "retention-campaign"
TREATMENT_BOOST = 0.9


@cache
def sql_source(name: str) -> str:
    """A churn SQL source (``features`` or ``retention``), Trino dialect."""
    return resources.files("clarion").joinpath(f"sql/churn/{name}.sql").read_text("utf-8")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CampaignLauncher:
    """What the churn service needs from the campaign engine (CampaignService and
    TemplateService satisfy it through :class:`EngineLauncher`)."""

    def ensure_templates(self) -> list[str]:  # pragma: no cover - protocol
        raise NotImplementedError

    def create_and_launch(
        self, request: Mapping[str, Any], now: datetime
    ) -> tuple[str, str]:  # pragma: no cover
        raise NotImplementedError


class EngineLauncher(CampaignLauncher):
    """CampaignLauncher over the campaign engine's services, built on first use (the
    scoring steps never need them)."""

    def __init__(self, campaigns: Callable[[], Any], templates: Callable[[], Any]) -> None:
        self._make_campaigns = campaigns
        self._make_templates = templates

    @property
    def _campaigns(self) -> Any:
        return self._make_campaigns()

    @property
    def _templates(self) -> Any:
        return self._make_templates()

    def ensure_templates(self) -> list[str]:
        body = retention_template_request()
        name = str(body["TemplateName"])
        made = []
        for kind, key, request in (
            ("EMAIL", "EmailTemplateRequest", body["EmailTemplateRequest"]),
            (
                "SMS",
                "SMSTemplateRequest",
                {"Body": "We miss you! 20% off your next order, this week only."},
            ),
        ):
            try:
                self._templates.get(name, kind)
            except NotFoundError:
                self._templates.create({"TemplateName": name, key: request})
                made.append(f"{kind}:{name}")
        return made

    def create_and_launch(self, request: Mapping[str, Any], now: datetime) -> tuple[str, str]:
        campaign = self._campaigns.create_campaign(request)
        run_id = self._campaigns.launch(campaign["Id"], now=now)
        return str(campaign["Id"]), str(run_id)


@dataclass(frozen=True)
class Evaluation:
    """Everything the held-out evaluation found (JSON for the report)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class FeatureFrame:
    """Rows of the features SQL as columns: ids, splits, a float32 feature matrix in
    :data:`FEATURE_COLUMNS` order (missing values 0, as :func:`feature_vector` does) and
    the labels (-1 where unknown). Built from Arrow without a dict per row."""

    ids: Any  # numpy array of str (object)
    splits: Any  # numpy array of str (object)
    features: Any  # numpy float32 (rows, len(FEATURE_COLUMNS))
    labels: Any  # numpy int8, -1 when unknown

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @classmethod
    def from_arrow(cls, table: Any) -> FeatureFrame:
        import numpy as np

        n = table.num_rows
        features = np.zeros((n, len(FEATURE_COLUMNS)), dtype=np.float32)
        for j, name in enumerate(FEATURE_COLUMNS):
            column = table.column(name).combine_chunks()
            values = column.to_numpy(zero_copy_only=False)
            if column.null_count:
                values = np.where(column.is_null().to_numpy(zero_copy_only=False), 0, values)
            features[:, j] = values
        labels = table.column(LABEL_COLUMN).combine_chunks()
        label_values = labels.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int8)
        return cls(
            np.asarray(table.column(ID_COLUMN).to_pylist(), dtype=object),
            np.asarray(table.column(SPLIT_COLUMN).to_pylist(), dtype=object),
            features,
            label_values,
        )

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> FeatureFrame:
        import numpy as np

        features = np.asarray([feature_vector(r) for r in rows], dtype=np.float32).reshape(
            len(rows), len(FEATURE_COLUMNS)
        )
        labels = [-1 if r.get(LABEL_COLUMN) is None else int(r[LABEL_COLUMN]) for r in rows]
        return cls(
            np.asarray([str(r[ID_COLUMN]) for r in rows], dtype=object),
            np.asarray([str(r.get(SPLIT_COLUMN, "")) for r in rows], dtype=object),
            features,
            np.asarray(labels, dtype=np.int8),
        )

    def select(self, split: str) -> FeatureFrame:
        mask = self.splits == split
        return FeatureFrame(
            self.ids[mask], self.splits[mask], self.features[mask], self.labels[mask]
        )

    def rows(self) -> list[dict[str, Any]]:
        """Row dicts (for a learner that only takes rows; small data)."""
        out = []
        for k in range(len(self)):
            row: dict[str, Any] = {ID_COLUMN: self.ids[k], SPLIT_COLUMN: self.splits[k]}
            row.update(zip(FEATURE_COLUMNS, self.features[k].tolist(), strict=True))
            row[LABEL_COLUMN] = None if self.labels[k] < 0 else int(self.labels[k])
            out.append(row)
        return out

    def recency_rows(self) -> list[dict[str, float]]:
        column = self.features[:, FEATURE_COLUMNS.index(RECENCY_FEATURE)]
        return [{RECENCY_FEATURE: v} for v in column.tolist()]


class ChurnService:
    """Train, evaluate, promote and score churn models; keep the churn segment and the
    retention campaign; report.

    Parameters
    ----------
    profiles
        Endpoints: scores are merged into their Metrics.
    analytics
        Runs the features SQL (over ``endpoints`` and ``events``).
    models
        Model artifacts, the promoted pointer and pipeline documents.
    segments
        Keeps the churn segment.
    learner
        Fits and applies models in process (None on AWS, where SageMaker does).
    events
        Where simulated history goes (the local event store).
    launcher
        The campaign engine, for the retention campaign.
    columnar
        Local only: the database read as Arrow columns (features) and written
        column-wise (simulated events); see :class:`ColumnarAnalytics` and
        :class:`ColumnarEventSink`. Without it, ``analytics`` and ``events`` are used
        when they offer the same methods, else rows and records.
    config
        Windows, threshold, holdout, promotion margin.
    reports
        The folder reports are written to (local).
    """

    def __init__(
        self,
        profiles: ProfileStore,
        analytics: AnalyticsQuery,
        models: ChurnModelStore,
        segments: SegmentService,
        *,
        learner: ChurnLearner | None = None,
        events: EventSink | None = None,
        launcher: CampaignLauncher | None = None,
        config: ChurnConfig | None = None,
        reports: Path | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = _utc_now,
        columnar: Any | None = None,
    ) -> None:
        self._profiles = profiles
        self._analytics = analytics
        self._models = models
        self._segments = segments
        self._learner = learner
        self._events = events
        self._launcher = launcher
        self.config = config or ChurnConfig()
        self._reports = reports
        self._app_id = app_id
        self._clock = clock
        self._columnar = columnar

    def _arrow_source(self) -> ColumnarAnalytics | None:
        for candidate in (self._columnar, self._analytics):
            if candidate is not None and callable(getattr(candidate, "arrow", None)):
                return cast(ColumnarAnalytics, candidate)
        return None

    def _column_sink(self) -> ColumnarEventSink | None:
        for candidate in (self._columnar, self._events):
            if candidate is not None and callable(getattr(candidate, "put_event_columns", None)):
                return cast(ColumnarEventSink, candidate)
        return None

    # -- simulation --------------------------------------------------------------------

    def simulate(
        self, customers: int, days: int = 180, seed: int = 0, as_of: date | None = None
    ) -> dict[str, Any]:
        """Write a simulated history ending at ``as_of`` (default: today, UTC) into the
        stores: one endpoint per customer, and their sessions, purchases, emails and SMS.
        The hidden parameters are kept (by seed) for the oracle."""
        from clarion.services.churn_simulation import Population, SimulationConfig

        if self._events is None and self._column_sink() is None:
            raise RuntimeError("simulation needs an event sink")
        end = day_start(as_of or self._clock())
        config = SimulationConfig(customers, days, seed, end)
        population = Population(config)
        batch: list[Endpoint] = []
        for endpoint in population.endpoints():
            batch.append(endpoint)
            if len(batch) >= ENDPOINT_BATCH:
                self._profiles.put_endpoints(batch)
                batch = []
        self._profiles.put_endpoints(batch)
        stored = self._write_simulated(population, 0, days, stream=1)
        self._models.put_document(SIMULATION_DOC, config.to_json())
        return {**config.to_json(), "endpoints": customers, "events": stored}

    def _write_simulated(self, population: Any, first_day: int, days: int, stream: int) -> int:
        """Simulate days ``[first_day, first_day + days)`` chunk by chunk and store the
        events: as columns when the store takes them, else as records."""
        from clarion.services.churn_simulation import (
            EVENT_TYPES,
            endpoint_id,
            event_id_prefix,
            event_records,
        )

        prefix = event_id_prefix(population.config.seed, stream, first_day)
        sink = self._column_sink()
        ids = [endpoint_id(i) for i in range(population.config.customers)] if sink else None
        stored = index = 0
        for chunk in population.simulate_chunks(first_day, days, stream):
            if sink is not None:
                stored += sink.put_event_columns(
                    chunk.customer,
                    chunk.timestamp_ms,
                    chunk.code,
                    chunk.price,
                    event_types=EVENT_TYPES,
                    endpoint_ids=ids,
                    app_id=self._app_id,
                    id_prefix=prefix,
                    first_index=index,
                )
            else:
                stored += self._put_events(event_records(chunk, self._app_id, prefix, index))
            index += len(chunk)
        return stored

    def _put_events(self, records: Any) -> int:
        assert self._events is not None
        stored = 0
        chunk = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= EVENT_BATCH:
                stored += len(self._events.put_records(chunk))
                chunk = []
        if chunk:
            stored += len(self._events.put_records(chunk))
        return stored

    def _population(self) -> Any | None:
        from clarion.services.churn_simulation import Population, SimulationConfig

        document = self._models.get_document(SIMULATION_DOC)
        if not document:
            return None
        return Population(SimulationConfig.from_json(document))

    # -- datasets ----------------------------------------------------------------------

    def dataset(self, as_of: date | datetime, splits: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of the features SQL for the wanted splits (``train``, ``eval``,
        ``score``) of the time split at ``as_of``."""
        split = TimeSplit.of(as_of, self.config.label_days)
        parameters = split.parameters(splits, self.config.active_days)
        return self._analytics.rows(sql_source("features"), parameters)

    def dataset_frame(self, as_of: date | datetime, splits: Sequence[str]) -> FeatureFrame:
        """The same rows as :meth:`dataset`, as columns: fetched as Arrow when the
        analytics adapter can (no dict per row), else converted from rows."""
        split = TimeSplit.of(as_of, self.config.label_days)
        parameters = split.parameters(splits, self.config.active_days)
        source = self._arrow_source()
        if source is not None:
            return FeatureFrame.from_arrow(source.arrow(sql_source("features"), parameters))
        return FeatureFrame.from_rows(self._analytics.rows(sql_source("features"), parameters))

    # -- training and evaluation -------------------------------------------------------

    def train(self, as_of: date | None = None) -> dict[str, Any]:
        """Train a candidate on the training window, evaluate it on the held-out window
        beside the current model, the logistic baseline, the recency rule and (for
        simulated data) the true probabilities; promote it if it beats the current one.
        """
        learner = self._require_learner()
        moment = day_start(as_of or self._clock())
        frame = self.dataset_frame(moment, ["train", "eval"])
        train, held_out = frame.select("train"), frame.select("eval")
        del frame
        if not len(train) or not len(held_out):
            raise ValueError(
                f"not enough history before {moment.date()}: {len(train)} training and "
                f"{len(held_out)} held-out rows (need {2 * self.config.label_days} days "
                "of events)"
            )
        hyperparameters = dict(DEFAULT_HYPERPARAMETERS)
        model_id = f"churn-{moment:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        current = self._models.promoted()
        # A model trained on another feature list cannot score these rows: it is not
        # compared (the candidate is then promoted as the first of the new features).
        comparable = current is not None and tuple(current.features) == FEATURE_COLUMNS
        current_archive = (
            self._models.load_model(current.model_id)[1]
            if current is not None and comparable
            else None
        )
        scores: dict[str, list[float]]
        if _columnar_learner(learner):
            columnar: Any = learner
            archive, hyperparameters = columnar.fit_arrays(
                train.features, train.labels, hyperparameters
            )
            scores = {
                "model": _floats(columnar.predict_arrays(archive, held_out.features)),
                "logistic": _floats(
                    columnar.baseline_arrays(train.features, train.labels, held_out.features)
                ),
            }
            if current_archive is not None:
                scores["current"] = _floats(
                    columnar.predict_arrays(current_archive, held_out.features)
                )
        else:
            train_rows, held_rows = train.rows(), held_out.rows()
            archive = learner.fit(train_rows, hyperparameters)
            scores = {
                "model": learner.predict(archive, held_rows),
                "logistic": learner.baseline(train_rows, held_rows),
            }
            if current_archive is not None:
                scores["current"] = learner.predict(current_archive, held_rows)
        scores["recency"] = recency_rule_scores(held_out.recency_rows())
        oracle = self._oracle(moment, held_out.ids)
        if oracle is not None:
            scores["oracle"] = oracle
        rows = [
            {ID_COLUMN: i, LABEL_COLUMN: int(y)}
            for i, y in zip(held_out.ids.tolist(), held_out.labels.tolist(), strict=True)
        ]
        record = ModelRecord(
            model_id=model_id,
            as_of=moment.date().isoformat(),
            created=_iso(self._clock()),
            hyperparameters=hyperparameters,
        )
        result = self.evaluate_candidate(record, rows, scores)
        # Every candidate is kept; only a promoted one is used for scoring.
        self._models.save_model(
            ModelRecord.from_json({**record.to_json(), "metrics": result["metrics"]["model"]}),
            archive,
        )
        if result["decision"]["promote"]:
            stored, _ = self._models.load_model(model_id)
            self._models.promote(stored)
        return result

    def evaluate_candidate(
        self,
        record: ModelRecord,
        rows: Sequence[Mapping[str, Any]],
        scores: Mapping[str, Sequence[float]],
    ) -> dict[str, Any]:
        """Metrics of every scorer on the held-out rows and the promotion decision for
        the candidate (``scores["model"]``) against ``scores["current"]`` when given.
        The evaluation is stored as the latest (``evaluation`` document)."""
        labels = [int(row[LABEL_COLUMN]) for row in rows]
        metrics = {name: ScoreMetrics.of(labels, list(s)).to_json() for name, s in scores.items()}
        current_auc = metrics["current"]["auc"] if "current" in metrics else None
        decision = promotion_decision(
            metrics["model"]["auc"] if metrics["model"]["auc"] is not None else float("nan"),
            current_auc,
            self.config.min_auc_gain,
        )
        curves = {
            name: {
                "roc": roc_points(labels, list(s)),
                "lift": lift_curve(labels, list(s)),
                "calibration": [
                    {"mean_score": b.mean_score, "churn_rate": b.churn_rate, "count": b.count}
                    for b in calibration(labels, list(s))
                ],
            }
            for name, s in scores.items()
        }
        split = TimeSplit.of(datetime.fromisoformat(record.as_of), self.config.label_days)
        result = {
            "model_id": record.model_id,
            "as_of": record.as_of,
            "held_out_window": {
                "features_before": _iso(split.eval_cutoff),
                "labels_from": _iso(split.eval_cutoff),
                "labels_until": _iso(split.as_of),
            },
            "rows": len(labels),
            "metrics": metrics,
            "auc": metrics["model"]["auc"],
            "pr_auc": metrics["model"]["pr_auc"],
            "top_decile_lift": metrics["model"]["top_decile_lift"],
            "decision": decision.to_json(),
            "config": self.config.to_json(),
            "curves": curves,
        }
        self._models.put_document(EVALUATION_DOC, result)
        return result

    def promote_if_better(self, record: ModelRecord, evaluation: Mapping[str, Any]) -> bool:
        """Promote ``record`` when the evaluation's decision says so (AWS step)."""
        if evaluation["decision"]["promote"]:
            self._models.promote(record)
            return True
        return False

    def _oracle(self, as_of: datetime, ids: Sequence[str]) -> list[float] | None:
        from clarion.services.churn_simulation import customer_index

        population = self._population()
        if population is None:
            return None
        indexes = [customer_index(str(i)) for i in ids]
        if any(i is None or i >= population.config.customers for i in indexes):
            return None
        split = TimeSplit.of(as_of, self.config.label_days)
        cutoff_day = population.config.day_of(split.eval_cutoff)
        truth = population.true_churn_probability(cutoff_day, self.config.label_days)
        return [float(truth[i]) for i in indexes]

    def _require_learner(self) -> ChurnLearner:
        if self._learner is None:
            raise RuntimeError("no in-process learner: on AWS, training runs on SageMaker")
        return self._learner

    # -- scoring -----------------------------------------------------------------------

    def score(self, as_of: date | None = None) -> dict[str, Any]:
        """Score every active endpoint with the promoted model and write
        ``Metrics.ChurnRisk``."""
        learner = self._require_learner()
        current = self._models.promoted()
        if current is None:
            raise NotFoundError("promoted churn model", "(none: train one first)")
        if tuple(current.features) != FEATURE_COLUMNS:
            raise ValueError(
                f"the promoted model {current.model_id} was trained on other features: "
                "train a new one"
            )
        _, archive = self._models.load_model(current.model_id)
        moment = day_start(as_of or self._clock())
        frame = self.dataset_frame(moment, ["score"])
        written = at_risk = 0
        # Scored and written a chunk at a time: the scores of a million endpoints never
        # wait as Python objects all at once.
        for start in range(0, len(frame), SCORE_CHUNK):
            ids = frame.ids[start : start + SCORE_CHUNK].tolist()
            features = frame.features[start : start + SCORE_CHUNK]
            if _columnar_learner(learner):
                columnar: Any = learner
                scores = _floats(columnar.predict_arrays(archive, features))
            else:
                part = FeatureFrame(
                    frame.ids[start : start + SCORE_CHUNK],
                    frame.splits[start : start + SCORE_CHUNK],
                    features,
                    frame.labels[start : start + SCORE_CHUNK],
                )
                scores = learner.predict(archive, part.rows())
            written += self.write_scores(dict(zip(ids, scores, strict=True)))
            at_risk += sum(1 for s in scores if s >= self.config.threshold)
        return {
            "model_id": current.model_id,
            "as_of": moment.date().isoformat(),
            "scored": len(frame),
            "written": written,
            "at_risk": at_risk,
            "threshold": self.config.threshold,
        }

    def write_scores(self, scores: Mapping[str, float], batch: int = WRITE_BATCH) -> int:
        """Merge each score into its endpoint's Metrics as ChurnRisk, in batches (read,
        merge, write); endpoints that no longer exist are skipped. Returns how many
        endpoints were written."""
        ids = list(scores)
        written = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            found = self._profiles.get_endpoints(chunk)
            updated = []
            for endpoint_id, endpoint in found.items():
                metrics = dict(endpoint.metrics or {})
                metrics[CHURN_METRIC] = round(float(scores[endpoint_id]), 6)
                updated.append(endpoint.model_copy(update={"metrics": metrics}))
            self._profiles.put_endpoints(updated)
            written += len(updated)
        return written

    # -- segment and campaign ----------------------------------------------------------

    def refresh_segment(self, count: bool = True) -> dict[str, Any]:
        """Create or update the churn segment (``Metrics.ChurnRisk`` at or above the
        threshold). Dynamic: members are whoever matches when it is evaluated."""
        request = churn_segment_request(self.config.segment_name, self.config.threshold)
        existing = [
            s
            for s in self._segments.list_segments()
            if s.get("Name") == self.config.segment_name and s.get("SegmentType") == "DIMENSIONAL"
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
            "threshold": self.config.threshold,
        }
        if count:
            out["size"] = self._segments.preview(segment["Id"])
        return out

    def launch_retention(
        self, as_of: date | None = None, *, simulate_response: bool = False
    ) -> dict[str, Any]:
        """Launch the retention campaign to the churn segment with a holdout, at
        ``as_of`` (default: now). With ``simulate_response`` and a simulated history,
        the simulator then plays out the following window, treated customers' engagement
        lifted by the message, so the report has an uplift to measure."""
        if self._launcher is None:
            raise RuntimeError("no campaign engine configured")
        moment = day_start(as_of) if as_of else self._clock()
        segment = self.refresh_segment(count=False)
        self._launcher.ensure_templates()
        request = retention_campaign_request(
            f"{self.config.campaign_name}-{moment:%Y%m%d}",
            segment["segment_id"],
            self.config.holdout_percent,
        )
        request["TemplateConfiguration"]["SMSTemplate"] = {
            "Name": request["TemplateConfiguration"]["EmailTemplate"]["Name"]
        }
        campaign_id, run_id = self._launcher.create_and_launch(request, moment)
        document = {
            "campaign_id": campaign_id,
            "run_id": run_id,
            "segment_id": segment["segment_id"],
            "launched_at": _iso(moment),
            "window_days": self.config.label_days,
            "holdout_percent": self.config.holdout_percent,
        }
        if simulate_response:
            document["simulated"] = self._simulate_response(campaign_id, moment)
        self._models.put_document(CAMPAIGN_DOC, document)
        return document

    def _simulate_response(self, campaign_id: str, launched: datetime) -> dict[str, Any]:
        import numpy as np

        from clarion.services.churn_simulation import customer_index

        population = self._population()
        if population is None:
            raise NotFoundError("simulated history", "simulation")
        rows = self._analytics.rows(
            "SELECT endpoint_id, max(element_at(attributes, 'campaign_send_status')) AS status "
            "FROM events WHERE event_type = '_campaign.send' "
            "AND element_at(attributes, 'campaign_id') = :campaign_id GROUP BY endpoint_id",
            {"campaign_id": campaign_id},
        )
        treated = [customer_index(str(r["endpoint_id"])) for r in rows if r["status"] == "SUCCESS"]
        chosen = np.asarray([i for i in treated if i is not None], dtype=np.int64)
        first_day = population.config.day_of(day_start(launched))
        population.treat(chosen, first_day, TREATMENT_BOOST)
        stored = self._write_simulated(population, first_day, self.config.label_days, stream=2)
        return {"treated": int(chosen.size), "events": stored, "days": self.config.label_days}

    # -- the AWS pipeline's steps (the state machines call these through Lambda) -------

    def feature_query(
        self, as_of: date | datetime, splits: Sequence[str]
    ) -> tuple[str, dict[str, int]]:
        """The features SQL and its parameters for the splits at ``as_of``."""
        split = TimeSplit.of(as_of, self.config.label_days)
        return sql_source("features"), split.parameters(splits, self.config.active_days)

    @staticmethod
    def scoring_input(features_csv: str) -> tuple[str, int]:
        """The batch transform input (id, features; no header) from the query result."""
        rows = [r for r in parse_feature_csv(features_csv) if r[SPLIT_COLUMN] == "score"]
        return transform_csv(rows), len(rows)

    @staticmethod
    def training_inputs(features_csv: str) -> dict[str, Any]:
        """From the query result: the training CSV (label first, no header), the
        held-out transform input (id, features) and the held-out labels."""
        rows = parse_feature_csv(features_csv)
        train = [r for r in rows if r[SPLIT_COLUMN] == "train"]
        held_out = [r for r in rows if r[SPLIT_COLUMN] == "eval"]
        return {
            "train_csv": training_csv(train),
            "eval_input_csv": transform_csv(held_out),
            "eval_labels_csv": labels_csv(held_out),
            "train_rows": len(train),
            "eval_rows": len(held_out),
        }

    def evaluate_outputs(
        self,
        record: ModelRecord,
        eval_labels: str,
        outputs: Mapping[str, str],
        eval_features: str | None = None,
    ) -> dict[str, Any]:
        """Evaluate batch transform outputs (``id,score`` lines per scorer: ``model``,
        and ``current`` when there is a promoted model) against the held-out labels;
        promote the candidate when it wins. ``eval_features`` (the transform input)
        adds the recency rule."""
        import csv
        import io

        labels = {
            r[ID_COLUMN]: int(r[LABEL_COLUMN]) for r in csv.DictReader(io.StringIO(eval_labels))
        }
        parsed = {name: parse_scores(text) for name, text in outputs.items()}
        ids = [i for i in labels if all(i in p for p in parsed.values())]
        rows = [{ID_COLUMN: i, LABEL_COLUMN: labels[i]} for i in ids]
        scores = {name: [p[i] for i in ids] for name, p in parsed.items()}
        if eval_features:
            recency = {}
            position = 1 + FEATURE_COLUMNS.index("days_since_last_activity")
            for line in eval_features.splitlines():
                parts = line.split(",")
                if len(parts) > position:
                    recency[parts[0]] = {"days_since_last_activity": float(parts[position])}
            scores["recency"] = recency_rule_scores([recency.get(i, {}) for i in ids])
        result = self.evaluate_candidate(record, rows, scores)
        self._models.put_document(f"evaluation-{record.model_id}", result)
        record = ModelRecord.from_json({**record.to_json(), "metrics": result["metrics"]["model"]})
        promoted = self.promote_if_better(record, result)
        return {
            "model_id": record.model_id,
            "promoted": promoted,
            "decision": result["decision"],
            "auc": result["auc"],
            "pr_auc": result["pr_auc"],
            "top_decile_lift": result["top_decile_lift"],
            "rows": result["rows"],
        }

    # -- report ------------------------------------------------------------------------

    def uplift(self, campaign: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """Retention of the treated group against the holdout over the window after the
        launch, with a 95% interval; None before any retention campaign."""
        campaign = campaign or self._models.get_document(CAMPAIGN_DOC)
        if not campaign:
            return None
        start = datetime.fromisoformat(str(campaign["launched_at"]).replace("Z", "+00:00"))
        end = start + timedelta(days=int(campaign.get("window_days", self.config.label_days)))
        rows = self._analytics.rows(
            sql_source("retention"),
            {
                "campaign_id": campaign["campaign_id"],
                "start_ms": epoch_ms(start),
                "end_ms": epoch_ms(end),
            },
        )
        groups = {r["grp"]: r for r in rows}
        base = {
            "campaign_id": campaign["campaign_id"],
            "window": {"from": _iso(start), "until": _iso(end)},
            "complete": end <= self._clock() or bool(campaign.get("simulated")),
        }
        if "treated" not in groups or "holdout" not in groups:
            return {**base, "uplift": None, "reason": "the treated group or the holdout is empty"}
        t, h = groups["treated"], groups["holdout"]
        result = retention_uplift(
            int(t["retained"]), int(t["endpoints"]), int(h["retained"]), int(h["endpoints"])
        )
        return {**base, **result.to_json()}

    def report(self) -> dict[str, Any]:
        """The latest evaluation (model, baselines, oracle) and the retention uplift, as
        JSON, and as an HTML page with PNG charts (ROC, lift, calibration, uplift)."""
        evaluation = self._models.get_document(EVALUATION_DOC)
        if evaluation is None:
            raise NotFoundError("churn evaluation", "(none: run train first)")
        uplift = self.uplift()
        metrics = evaluation["metrics"]
        data: dict[str, Any] = {
            "model_id": evaluation["model_id"],
            "as_of": evaluation["as_of"],
            "held_out_window": evaluation["held_out_window"],
            "rows": evaluation["rows"],
            "auc": evaluation["auc"],
            "pr_auc": evaluation["pr_auc"],
            "top_decile_lift": evaluation["top_decile_lift"],
            "calibration_error": metrics["model"]["calibration_error"],
            "baselines": {k: metrics[k] for k in ("logistic", "recency") if k in metrics},
            "oracle": metrics.get("oracle"),
            "current": metrics.get("current"),
            "decision": evaluation["decision"],
            "promoted": (p.model_id if (p := self._models.promoted()) else None),
            "uplift": uplift,
        }
        if self._reports is not None:
            data["files"] = write_report(self._reports / "churn", data, evaluation["curves"])
        return data


def _columnar_learner(learner: Any) -> bool:
    return all(
        callable(getattr(learner, name, None))
        for name in ("fit_arrays", "predict_arrays", "baseline_arrays")
    )


def _floats(values: Any) -> list[float]:
    """Scores as Python floats (numpy arrays or sequences)."""
    tolist = getattr(values, "tolist", None)
    return [float(v) for v in (tolist() if tolist else values)]


# -- charts and the HTML page ---------------------------------------------------------

_LABELS = {
    "model": "XGBoost (candidate)",
    "current": "current model",
    "logistic": "logistic regression",
    "recency": "recency rule",
    "oracle": "true probability",
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _plt().close(figure)
    return buffer.getvalue()


def _charts(data: Mapping[str, Any], curves: Mapping[str, Any]) -> dict[str, bytes]:
    plt = _plt()
    charts: dict[str, bytes] = {}
    figure, axes = plt.subplots(figsize=(5, 5))
    for name, curve in curves.items():
        xs, ys = zip(*curve["roc"], strict=True)
        auc = (data["oracle"] if name == "oracle" else None) or {}
        label = _LABELS.get(name, name)
        axes.plot(xs, ys, label=f"{label}" + (f" (AUC {auc['auc']:.3f})" if auc else ""))
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title(f"ROC, held-out window (model AUC {data['auc']:.3f})")
    axes.legend(fontsize=8)
    charts["roc"] = _png(figure)

    figure, axes = plt.subplots(figsize=(6, 4))
    width = 0.8 / max(1, len(curves))
    for k, (name, curve) in enumerate(curves.items()):
        axes.bar(
            [d + k * width for d in range(1, 11)],
            curve["lift"],
            width,
            label=_LABELS.get(name, name),
        )
    axes.axhline(1.0, color="#999", linestyle=":")
    axes.set_xlabel("decile by score (1 = highest risk)")
    axes.set_ylabel("lift")
    axes.set_title("Lift by decile")
    axes.legend(fontsize=8)
    charts["lift"] = _png(figure)

    figure, axes = plt.subplots(figsize=(5, 5))
    for name, curve in curves.items():
        bins = curve["calibration"]
        axes.plot(
            [b["mean_score"] for b in bins],
            [b["churn_rate"] for b in bins],
            marker="o",
            label=_LABELS.get(name, name),
        )
    axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
    axes.set_xlabel("mean predicted churn probability")
    axes.set_ylabel("observed churn rate")
    axes.set_title("Calibration")
    axes.legend(fontsize=8)
    charts["calibration"] = _png(figure)

    figure, axes = plt.subplots(figsize=(5, 4))
    uplift = data.get("uplift") or {}
    if uplift.get("uplift") is not None:
        rates = [uplift["holdout_rate"], uplift["treated_rate"]]
        axes.bar(["holdout", "treated"], rates, color=["#999", "#4c72b0"])
        axes.set_ylim(0, 1)
        axes.set_ylabel("retained in the window")
        axes.set_title(
            f"Uplift {uplift['uplift']:+.1%} (95% CI {uplift['low']:+.1%} to {uplift['high']:+.1%})"
        )
    else:
        axes.text(0.5, 0.5, "no retention campaign measured yet", ha="center")
        axes.set_axis_off()
    charts["uplift"] = _png(figure)
    return charts


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return html.escape("—" if value is None else str(value))


def write_report(
    folder: Path, data: Mapping[str, Any], curves: Mapping[str, Any]
) -> dict[str, Any]:
    """Write ``report.json``, ``report.html`` and the PNG charts; returns their paths."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    charts = _charts(data, curves)
    paths: dict[str, str] = {}
    for name, png in charts.items():
        path = folder / f"{name}.png"
        path.write_bytes(png)
        paths[name] = str(path)
    rows = [
        (
            "model",
            data["auc"]
            and {
                "auc": data["auc"],
                "pr_auc": data["pr_auc"],
                "top_decile_lift": data["top_decile_lift"],
                "calibration_error": data["calibration_error"],
            },
        )
    ]
    rows += [(name, m) for name, m in data["baselines"].items()]
    if data.get("current"):
        rows.append(("current", data["current"]))
    if data.get("oracle"):
        rows.append(("oracle", data["oracle"]))
    columns = ("auc", "pr_auc", "top_decile_lift", "calibration_error")
    table = "".join(
        f"<tr><td>{html.escape(_LABELS.get(name, name))}</td>"
        + "".join(f"<td>{_cell((m or {}).get(c))}</td>" for c in columns)
        + "</tr>"
        for name, m in rows
    )
    uplift = data.get("uplift") or {}
    uplift_text = (
        f"<p>Treated {uplift['treated']} retained {uplift['treated_rate']:.1%}; holdout "
        f"{uplift['holdout']} retained {uplift['holdout_rate']:.1%}. Uplift "
        f"{uplift['uplift']:+.1%}, 95% interval {uplift['low']:+.1%} to {uplift['high']:+.1%} "
        "(Newcombe's hybrid Wilson interval).</p>"
        if uplift.get("uplift") is not None
        else "<p>No retention uplift measured yet.</p>"
    )
    images = "".join(
        f'<figure><img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        "</figure>"
        for name, png in charts.items()
    )
    window = data["held_out_window"]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Churn model report</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "figure{display:inline-block;margin:0 1em 1em 0}</style></head><body>"
        f"<h1>Churn model {html.escape(str(data['model_id']))}</h1>"
        f"<p>Held-out window: features before {html.escape(window['features_before'])}, "
        f"churn measured until {html.escape(window['labels_until'])}; {data['rows']} endpoints. "
        f"Decision: {html.escape(data['decision']['reason'])}.</p>"
        "<table><thead><tr><th>scorer</th><th>ROC-AUC</th><th>PR-AUC</th>"
        "<th>top-decile lift</th><th>calibration error</th></tr></thead>"
        f"<tbody>{table}</tbody></table>"
        f"<h2>Retention campaign</h2>{uplift_text}<h2>Charts</h2>{images}"
        "<p>Definitions: docs/churn.md.</p></body></html>"
    )
    html_path = folder / "report.html"
    html_path.write_text(page, "utf-8")
    json_path = folder / "report.json"
    json_path.write_text(
        json.dumps({k: v for k, v in data.items() if k != "files"}, indent=2, default=str), "utf-8"
    )
    return {"html": str(html_path), "json": str(json_path), "charts": paths}
