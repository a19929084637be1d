"""What the composition root needs from a backend: one adapter per port, and the few
facts in which the backends differ.

``LocalAdapters`` (DuckDB and files) and ``AwsAdapters`` (boto3) both satisfy
:class:`Adapters`; :class:`~clarion.bootstrap.Bootstrap` builds services from either
without asking which one it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from clarion.bootstrap.settings import Settings
    from clarion.ports import (
        AnalyticsQuery,
        AudienceQuery,
        CampaignAudienceQuery,
        CampaignBatchStore,
        CampaignHookInvoker,
        CampaignRepository,
        CampaignRunStarter,
        CampaignScheduler,
        ChurnFiles,
        ChurnJobs,
        ChurnLearner,
        ChurnModelStore,
        ChurnQueryStarter,
        ChurnSimulator,
        ColumnarAnalytics,
        ColumnarEndpointImport,
        ColumnarEventIngest,
        ConversionGoalStore,
        DeadLetterSink,
        DeliveryChannel,
        EndpointChangeFeed,
        EndpointCompactor,
        EndpointLocator,
        EventForwarder,
        EventSink,
        HandleLookup,
        ImportFileStore,
        ImportJobStarter,
        JobFiles,
        JourneyRepository,
        LakeRewriter,
        MessageCounts,
        ParticipantStore,
        PersonalDataEraser,
        PostDedupeStore,
        PostQueue,
        ProfileStore,
        ProjectStore,
        SegmentRepository,
        SendLedger,
        SentimentAnalyzer,
        SocialAuthorStore,
        TemplateRepository,
    )


class Adapters(Protocol):
    """One backend's adapters, each made on first use."""

    settings: Settings
    """The settings of the project these adapters serve (its app id and, locally, home)."""

    # -- projects -----------------------------------------------------------------------
    def for_project(self, app_id: str) -> Adapters:
        """The adapters of project ``app_id`` (itself for the default project)."""
        ...

    @property
    def project_store(self) -> ProjectStore:
        """The project registry (account-wide)."""
        ...

    # -- how the backend differs -----------------------------------------------------
    @property
    def import_batch_size(self) -> int:
        """Endpoints an import reads, validates and writes at a time."""
        ...

    @property
    def journey_batch_size(self) -> int:
        """Participants a journey batch reads, moves and commits at a time."""
        ...

    @property
    def applies_event_effects_inline(self) -> bool:
        """True where ingestion stores records and applies their effects itself
        (locally); False where a stream consumer does it (AWS)."""
        ...

    @property
    def reports_folder(self) -> Path | None:
        """Where report files are written (locally); None where there is none."""
        ...

    # -- audience, segments, templates ------------------------------------------------
    @property
    def profile_store(self) -> ProfileStore: ...
    @property
    def endpoint_locator(self) -> EndpointLocator: ...
    @property
    def personal_data_eraser(self) -> PersonalDataEraser:
        """Every store of a person's data besides the profile store (erase)."""
        ...

    @property
    def segment_repository(self) -> SegmentRepository: ...
    @property
    def audience_query(self) -> AudienceQuery: ...
    @property
    def template_repository(self) -> TemplateRepository: ...
    @property
    def columnar_endpoint_import(self) -> ColumnarEndpointImport | None:
        """CSV imports as columns (locally); None where every row is read by the import
        service (AWS, where imports run as jobs of batch workers)."""
        ...

    @property
    def columnar_event_ingest(self) -> ColumnarEventIngest | None:
        """JSON lines of events stored as columns (locally); None where ingestion
        forwards every record to the events stream (AWS)."""
        ...

    @property
    def lake_rewriter(self) -> LakeRewriter | None:
        """The Parquet lake's erase workflow steps (AWS); None locally, where the
        eraser rewrites the files itself."""
        ...

    @property
    def import_job_starter(self) -> ImportJobStarter | None:
        """The import-job state machine (AWS, when deployed); None where jobs run
        within the call."""
        ...

    @property
    def job_files(self) -> JobFiles:
        """Files of import and export jobs, by URL."""
        ...

    @property
    def upload_prefix(self) -> str | None:
        """Where uploaded import files are kept (a URL job files can write); None where
        uploads are not kept."""
        ...

    @property
    def export_prefix(self) -> str | None:
        """Where exports asked without a location are written; None where there is none."""
        ...

    @property
    def import_file_store(self) -> ImportFileStore | None:
        """Import files dropped in a bucket (AWS); None where files are read by path."""
        ...

    @property
    def endpoint_change_feed(self) -> EndpointChangeFeed | None:
        """The endpoint lake's change feed (AWS); None where the endpoints table is
        queried directly (locally)."""
        ...

    @property
    def endpoint_compactor(self) -> EndpointCompactor | None:
        """Compaction of the endpoint lake (AWS); None where there is no lake."""
        ...

    # -- messaging and campaigns ------------------------------------------------------
    @property
    def delivery_channel(self) -> DeliveryChannel: ...
    @property
    def send_ledger(self) -> SendLedger: ...
    @property
    def message_counts(self) -> MessageCounts:
        """The message governor's per-endpoint counts."""
        ...

    @property
    def campaign_hooks(self) -> CampaignHookInvoker:
        """Calls CampaignHooks (FILTER and DELIVERY modes)."""
        ...

    @property
    def campaign_repository(self) -> CampaignRepository: ...
    @property
    def campaign_run_starter(self) -> CampaignRunStarter | None:
        """None where runs execute in process (locally)."""
        ...

    @property
    def campaign_scheduler(self) -> CampaignScheduler: ...
    @property
    def campaign_audience_query(self) -> CampaignAudienceQuery | None:
        """Starts a campaign run's (or a journey run's) audience query for a state
        machine (AWS); None where runs query their audience in process."""
        ...

    @property
    def campaign_batch_store(self) -> CampaignBatchStore | None:
        """Resume passes for the campaign state machine (AWS); None where runs resume
        in process."""
        ...

    # -- journeys -----------------------------------------------------------------------
    @property
    def journey_repository(self) -> JourneyRepository: ...
    @property
    def participant_store(self) -> ParticipantStore: ...

    # -- events and analytics ---------------------------------------------------------
    @property
    def event_sink(self) -> EventSink: ...
    @property
    def event_forwarder(self) -> EventForwarder:
        """Writes records to projects' own event streams."""
        ...

    @property
    def dead_letter_sink(self) -> DeadLetterSink: ...
    @property
    def analytics_query(self) -> AnalyticsQuery: ...
    @property
    def conversion_goal_store(self) -> ConversionGoalStore: ...

    # -- sentiment ----------------------------------------------------------------------
    @property
    def sentiment_analyzer(self) -> SentimentAnalyzer: ...
    @property
    def handle_lookup(self) -> HandleLookup: ...
    @property
    def post_dedupe_store(self) -> PostDedupeStore: ...
    @property
    def social_author_store(self) -> SocialAuthorStore: ...
    @property
    def post_queue(self) -> PostQueue | None:
        """None where posts are processed as they are read (locally)."""
        ...

    # -- churn ----------------------------------------------------------------------------
    @property
    def churn_model_store(self) -> ChurnModelStore: ...
    @property
    def churn_files(self) -> ChurnFiles: ...
    @property
    def churn_learner(self) -> ChurnLearner | None:
        """XGBoost in process locally; None where SageMaker trains and scores."""
        ...

    @property
    def churn_jobs(self) -> ChurnJobs | None:
        """SageMaker jobs on AWS; None locally."""
        ...

    @property
    def churn_queries(self) -> ChurnQueryStarter | None:
        """Athena queries started without waiting on AWS; None locally."""
        ...

    @property
    def churn_columnar_data(self) -> ColumnarAnalytics | None:
        """Features as Arrow columns and simulated events written as columns (local)."""
        ...

    @property
    def churn_event_sink(self) -> EventSink | None:
        """Where simulated customer events go (locally); None on AWS."""
        ...

    @property
    def churn_simulator(self) -> ChurnSimulator | None:
        """The behaviour simulator of demos and benchmarks (locally, made on first use);
        None on AWS."""
        ...
