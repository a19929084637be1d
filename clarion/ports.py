"""The ports: what services need from the outside world.

Each Protocol here has two adapters, ``clarion.adapters.local`` (DuckDB and files) and
``clarion.adapters.aws`` (boto3), and one contract test-suite in ``tests/integration``
that both pass. Services depend on these Protocols only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from clarion.domain.endpoint import ChannelType, Endpoint
from clarion.domain.events import EventRecord, Reject
from clarion.domain.messages import DeliveryResult, OutboundMessage


class ProfileStore(Protocol):
    """The source of truth for endpoints: single reads, batched writes.

    Writes are upserts keyed by endpoint id. ``last_active_ms`` values, when given, are
    kept beside the endpoint for Behavior.Recency (never part of its Pinpoint JSON).
    """

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """Create or replace these endpoints (one batch; adapters chunk as they need)."""
        ...

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        """The endpoints that exist among ``endpoint_ids``, keyed by id."""
        ...

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]: ...

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        """The endpoint ids of each of many users (an empty set for a user with none),
        in as few calls as the store allows."""
        ...

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        """Delete (tombstone, where history is kept) these endpoints."""
        ...

    def attribute_names(self) -> set[str]:
        """Attribute names in use (``Attributes.X``, ``User.UserAttributes.X``,
        ``Metrics.X``), for the per-project limit."""
        ...

    def record_activity(self, activity_ms: Mapping[str, int]) -> None:
        """Raise each endpoint's last-activity time (epoch ms) to at least the given one."""
        ...


class SegmentRepository(Protocol):
    """Segment definitions (Pinpoint SegmentResponse JSON, versioned) and the members of
    imported segments."""

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        """Store one version of a segment (``Id`` and ``Version`` identify it)."""
        ...

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_segments(self) -> list[dict[str, Any]]:
        """The latest version of every segment."""
        ...

    def put_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        """Add endpoint ids to an imported segment; returns how many were written."""
        ...


class AudienceQuery(Protocol):
    """Runs segment SQL (Trino dialect, as Athena speaks it) over the relations
    ``endpoints`` (latest version of each endpoint, columns in
    ``clarion.domain.endpoint_rows``) and ``imported_segment_members(segment_id,
    endpoint_id)``. The local adapter transpiles it to DuckDB."""

    def count(self, sql: str) -> int:
        """Rows of ``SELECT id FROM (...)``: the audience size."""
        ...

    def endpoint_ids(self, sql: str) -> Iterator[str]:
        """The ids the query selects (a query selecting one column, ``id``)."""
        ...


# -- messaging ---------------------------------------------------------------------------


class DeliveryChannel(Protocol):
    """Delivers messages on every channel (email, SMS, voice, push, custom).

    Adapters batch where the provider's API allows, retry throttling with backoff, and
    classify what still fails (``DeliveryStatus.PERMANENT_FAILURE`` must never be
    retried). Exactly one result per message, in any order.
    """

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]: ...


# -- engagement events ------------------------------------------------------------------


class EventSink(Protocol):
    """Where normalised event records go.

    Locally: the ``events`` table of the embedded database, deduplicated on
    ``event_id``. On AWS: the Kinesis data stream (Firehose writes it to the lake).
    """

    def put_records(self, records: Sequence[EventRecord]) -> set[str]:
        """Store or forward ``records``; returns the event ids newly accepted.

        A store that can tell (local) leaves out ids it already holds, so a replayed
        record is not counted or applied twice; a stream returns every id it put.
        Raises when records could not be written after the adapter's retries.
        """
        ...


class DeadLetterSink(Protocol):
    """Where input that could not become an event record goes, with the reason.

    Locally: JSON lines under ``CLARION_HOME/dead-letters/``. On AWS: JSON-lines objects
    under ``dead-letters/`` in the data bucket.
    """

    def put_rejects(self, rejects: Sequence[Reject], *, origin: str) -> str | None:
        """Keep ``rejects`` (raw input, source, position, field problems); ``origin``
        names the input (a file name, ``kinesis``, ``api``). Returns where they were
        written (a path or ``s3://`` URL), or None when there was nothing to write."""
        ...


class AnalyticsQuery(Protocol):
    """Runs analytics SQL (Trino dialect, as Athena speaks it) over the ``events``
    relation (columns in ``clarion/sql/events_columns.json`` plus ``dt``).

    Named placeholders (``:name``) are bound to the given values as SQL literals by
    parsing the statement, never by string formatting.
    """

    def rows(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The result rows as dicts, values typed (int, float, str, None)."""
        ...


class EndpointLocator(Protocol):
    """Finds endpoints by address, for delivery events that carry no endpoint id (mail
    sent without Clarion's tags, an inbound SMS opt-out)."""

    def endpoint_ids_by_address(
        self, addresses: Sequence[tuple[ChannelType, str]]
    ) -> dict[tuple[ChannelType, str], list[str]]:
        """Endpoint ids for each (channel, address); missing pairs have no entry."""
        ...


class CampaignTrigger(Protocol):
    """Hands ingested events to the campaign engine, which starts event-triggered
    campaigns (``Schedule.Frequency: EVENT``) and journeys whose filters match.

    The events consumer calls it with every batch of new records after applying their
    effects; the messaging feature implements it.
    """

    def handle_events(self, records: Sequence[EventRecord]) -> None: ...


# -- campaigns, templates and the send ledger (messaging engine) -----------------------

from clarion.domain.campaign_run import CapCount, LedgerOutcome  # noqa: E402
from clarion.domain.templates import MessageTemplate, TemplateType  # noqa: E402


class TemplateRepository(Protocol):
    """Message templates, keyed by (TemplateType, TemplateName), each stored whole with
    all its versions (``MessageTemplate.to_record()``)."""

    def save_template(self, template: MessageTemplate) -> None:
        """Create or replace the template."""
        ...

    def get_template(self, template_type: TemplateType, name: str) -> MessageTemplate:
        """Raises ``NotFoundError``."""
        ...

    def list_templates(self) -> list[MessageTemplate]:
        """Every template, ordered by name then type."""
        ...

    def delete_template(self, template_type: TemplateType, name: str) -> None:
        """Remove the template and all its versions. Raises ``NotFoundError``."""
        ...


class CampaignRepository(Protocol):
    """Campaign versions (CampaignResponse JSON) and campaign run records.

    A run record is JSON with at least ``RunId``, ``CampaignId`` and ``State``; the
    engine keeps its summary counts (``Counts``) in it.
    """

    def save_campaign(self, campaign: Mapping[str, Any]) -> None:
        """Store one version (``Id`` and ``Version`` identify it); it becomes the latest
        unless a higher version is stored."""
        ...

    def get_campaign(self, campaign_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_campaigns(self) -> list[dict[str, Any]]:
        """The latest version of every campaign, ordered by id."""
        ...

    def save_run(self, run: Mapping[str, Any]) -> None:
        """Create or replace a run record."""
        ...

    def get_run(self, run_id: str) -> dict[str, Any]:
        """Raises ``NotFoundError``."""
        ...

    def list_runs(self, campaign_id: str) -> list[dict[str, Any]]:
        """The campaign's runs, oldest first (by ``StartTime``, then ``RunId``)."""
        ...


class SendLedger(Protocol):
    """Idempotency and caps for sends: one record per (run, endpoint), and per
    (campaign, endpoint) counts of successful sends.

    A batch claims the endpoints it is about to deliver to *before* delivering; a
    retried batch gets back only endpoints nobody claimed, so it never sends twice.
    """

    def claim(self, run_id: str, endpoint_ids: Sequence[str]) -> set[str]:
        """Atomically mark each endpoint claimed for the run; returns the ids this call
        claimed (those not claimed before). Unclaimed records (deferrals, skips) can be
        claimed."""
        ...

    def record_outcomes(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> None:
        """Record each endpoint's outcome. An outcome of a claimed endpoint must come
        from the claimer (``SENT``/``FAILED``); any other outcome never replaces the
        record of a claimed endpoint, so a retry cannot overwrite a send."""
        ...

    def outcomes(self, run_id: str, endpoint_ids: Sequence[str]) -> dict[str, LedgerOutcome]:
        """The recorded outcomes of these endpoints (claimed ones show ``CLAIMED``
        until their outcome is recorded)."""
        ...

    def outcome_counts(self, run_id: str) -> dict[str, int]:
        """Endpoints per outcome reason for the run."""
        ...

    def deferred(self, run_id: str, due_by_ms: int) -> list[str]:
        """Endpoints deferred in the run whose deferral ends at or before ``due_by_ms``."""
        ...

    def cap_counts(
        self, campaign_id: str, endpoint_ids: Sequence[str], day: str
    ) -> dict[str, CapCount]:
        """Successful sends of the campaign per endpoint on ``day`` and in total
        (endpoints with none may be left out)."""
        ...

    def add_sends(self, campaign_id: str, endpoint_ids: Sequence[str], day: str) -> None:
        """Count one successful send to each endpoint, on ``day`` and in total."""
        ...


class CampaignRunStarter(Protocol):
    """Starts a planned campaign run somewhere else (the Step Functions state machine
    on AWS). Without one, the campaign service runs it in process."""

    def start_run(self, run: Mapping[str, Any]) -> str:
        """Start the run; returns an execution reference (an execution ARN)."""
        ...


from clarion.domain.campaign import CampaignResponse  # noqa: E402


class CampaignScheduler(Protocol):
    """Keeps one campaign's schedule: EventBridge Scheduler schedules on AWS (they start
    the campaign state machine), rows in DuckDB locally (``clarion campaigns tick`` runs
    what is due). Only a Schedule at a future StartTime or recurring has one; EVENT and
    IMMEDIATE campaigns have none."""

    def put_schedule(self, campaign: CampaignResponse) -> str | None:
        """Create or update the campaign's schedule(s) (disabled while it IsPaused);
        returns the schedule's name or ARN, or None when it needs none (an earlier
        version's is removed)."""
        ...

    def delete_schedule(self, campaign_id: str) -> None:
        """Remove the campaign's schedule(s), if any."""
        ...


# -- social sentiment triggers -----------------------------------------------------------

from clarion.domain.social import (  # noqa: E402
    AuthorActivity,
    PostText,
    Prospect,
    SentimentResult,
    SocialPost,
)


class SentimentAnalyzer(Protocol):
    """Scores texts: Comprehend on AWS, a lexicon analyser (VADER) locally.

    One result per text, in the order given, each with Comprehend's labels and scores.
    A text in a language the analyser does not support comes back NEUTRAL with a
    ``note`` (never dropped, never raised). Adapters batch as their service allows.
    """

    def analyze(self, texts: Sequence[PostText]) -> list[SentimentResult]: ...


class HandleLookup(Protocol):
    """Finds endpoints by a social handle held in a user attribute
    (``User.UserAttributes.<attribute>``), compared without ``@`` and case-insensitively."""

    def endpoint_ids_by_handle(
        self, attribute: str, handles: Sequence[str]
    ) -> dict[str, list[str]]:
        """Endpoint ids per normalised handle; handles nobody has are left out."""
        ...


class PostDedupeStore(Protocol):
    """Remembers which posts (by dedupe key) were processed, so a post delivered twice
    (an API retry, a Kinesis replay) is processed once.

    A claim is a lease: a post claimed but never completed (the process died) can be
    claimed again once the lease has run out.
    """

    def claim(self, keys: Sequence[str], now_ms: int, lease_ms: int) -> set[str]:
        """Claim each key not completed and not under a live lease; returns those claimed."""
        ...

    def complete(self, keys: Sequence[str], now_ms: int) -> None:
        """Mark claimed keys done for good."""
        ...

    def release(self, keys: Sequence[str]) -> None:
        """Give up claims that were not completed (processing failed), so a retry can
        claim them at once."""
        ...


class SocialAuthorStore(Protocol):
    """What is kept about post authors: every author's recent negative posts (for
    repeated-negative rules and the churn flag) and the prospects (authors matched to
    no endpoint), with their follower counts and pending outreach."""

    def record(self, activity: Sequence[AuthorActivity]) -> None:
        """Fold scored posts in (idempotent per post key: a replay counts once)."""
        ...

    def negative_posts(
        self, author_keys: Sequence[str], since_ms: int
    ) -> dict[str, dict[str, int]]:
        """Each author's negative posts at or after ``since_ms``: post key → epoch ms."""
        ...

    def prospects(self, *, min_followers: int = 0, limit: int = 100) -> list[Prospect]:
        """Prospects, most followed first."""
        ...


class PostQueue(Protocol):
    """Where accepted posts wait to be scored: the posts Kinesis stream on AWS."""

    def put_posts(self, posts: Sequence[SocialPost]) -> None:
        """Queue the posts (the partition key is the dedupe key). Raises when some
        could not be queued after the adapter's retries."""
        ...


# -- predictive churn (models, learning, SageMaker jobs, pipeline files) ---------------

from clarion.domain.churn import ModelRecord  # noqa: E402


class ChurnModelStore(Protocol):
    """Churn model artifacts (``model.tar.gz`` holding one ``xgboost-model``), their
    metadata, the promoted pointer, and small JSON documents of the pipeline.

    Locally: files under ``CLARION_HOME/models/churn/``. On AWS: S3 objects under
    ``models/churn/`` in the data bucket.
    """

    def save_model(self, record: ModelRecord, archive: bytes) -> str:
        """Store the artifact and its record; returns where (path or ``s3://`` URL)."""
        ...

    def load_model(self, model_id: str) -> tuple[ModelRecord, bytes]:
        """The record and artifact. Raises ``NotFoundError``."""
        ...

    def promoted(self) -> ModelRecord | None:
        """The model scoring uses now, or None before the first promotion."""
        ...

    def promote(self, record: ModelRecord) -> None:
        """Make ``record`` the promoted model (the previous pointer is kept as history)."""
        ...

    def put_document(self, name: str, document: Mapping[str, Any]) -> str:
        """Store a JSON document (evaluation, report, simulation); returns where."""
        ...

    def get_document(self, name: str) -> dict[str, Any] | None: ...


class ChurnLearner(Protocol):
    """Fits and applies models in process: XGBoost (the same version as the SageMaker
    container) and the logistic-regression baseline. Rows are dicts with the columns of
    ``clarion/sql/churn/features.sql``."""

    def fit(self, rows: Sequence[Mapping[str, Any]], hyperparameters: Mapping[str, str]) -> bytes:
        """Train on labelled rows; returns a SageMaker-compatible ``model.tar.gz``."""
        ...

    def predict(self, archive: bytes, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        """Churn probability of each row, in order."""
        ...

    def baseline(
        self, train: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        """Scores of ``rows`` by a logistic regression fitted on ``train``."""
        ...


class ChurnJobs(Protocol):
    """SageMaker training and batch-transform jobs (AWS only), started with the
    built-in XGBoost container whose image URI is given in configuration."""

    def start_training(
        self, job_name: str, train_uri: str, output_uri: str, hyperparameters: Mapping[str, str]
    ) -> str:
        """Start a training job on label-first CSV; returns the job name."""
        ...

    def training_artifact(self, job_name: str) -> str:
        """The ``s3://`` URL of a completed job's ``model.tar.gz``."""
        ...

    def start_transform(
        self, job_name: str, model_uri: str, input_uri: str, output_uri: str
    ) -> str:
        """Create a model from ``model_uri`` and a batch transform job over ``input_uri``
        (CSV: id then features); returns the job name."""
        ...

    def transform_status(self, job_name: str) -> str:
        """``InProgress``, ``Completed``, ``Failed`` or ``Stopped``."""
        ...


class ChurnFiles(Protocol):
    """Text files of the pipeline (datasets, transform inputs and outputs), addressed
    by key. Locally under ``CLARION_HOME/churn/``; on AWS in the data bucket (keys are
    object keys; ``s3://`` URLs are accepted too)."""

    def put_text(self, key: str, text: str) -> str:
        """Write; returns the full location (path or ``s3://`` URL)."""
        ...

    def get_text(self, key: str) -> str:
        """Read. Raises ``NotFoundError``."""
        ...

    def list_keys(self, prefix: str) -> list[str]: ...


# -- churn: columnar capabilities (optional: the local adapters have them) ---------------


class ColumnarAnalytics(Protocol):
    """An analytics adapter that can also return a result as Arrow columns (the local
    one: ``clarion.adapters.local.churn.DuckDBChurnData``)."""

    def arrow(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any: ...


class ColumnarEventSink(Protocol):
    """An event store that takes simulated events as columns (local)."""

    def put_event_columns(
        self,
        customer: Any,
        timestamp_ms: Any,
        code: Any,
        price: Any,
        *,
        event_types: Sequence[str],
        endpoint_ids: Any,
        app_id: str,
        id_prefix: str,
        first_index: int = 0,
    ) -> int: ...


class ColumnarChurnLearner(Protocol):
    """A learner on feature matrices (rows in ``clarion.domain.churn.FEATURE_COLUMNS``
    order) rather than row dicts (the local ``XGBoostChurnLearner``)."""

    def fit_arrays(
        self, features: Any, labels: Any, hyperparameters: Mapping[str, str]
    ) -> tuple[bytes, dict[str, str]]: ...

    def predict_arrays(self, archive: bytes, features: Any) -> Any: ...

    def baseline_arrays(self, train: Any, labels: Any, features: Any) -> Any: ...
