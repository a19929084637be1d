"""The local backend's adapters (DuckDB and files under ``CLARION_HOME``), each made on
first use. Nothing here imports boto3: a local run never builds an AWS client."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from clarion.bootstrap.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.ports import (
        AnalyticsQuery,
        AudienceQuery,
        CampaignHookInvoker,
        CampaignRepository,
        CampaignScheduler,
        ChurnFiles,
        ChurnLearner,
        ChurnModelStore,
        ChurnSimulator,
        ColumnarAnalytics,
        ColumnarEndpointImport,
        ColumnarEventIngest,
        ConversionGoalStore,
        DeadLetterSink,
        DeliveryChannel,
        EndpointLocator,
        EventForwarder,
        EventSink,
        HandleLookup,
        JobFiles,
        JourneyRepository,
        MessageCounts,
        ParticipantStore,
        PersonalDataEraser,
        PostDedupeStore,
        ProfileStore,
        ProjectStore,
        SegmentRepository,
        SendLedger,
        SentimentAnalyzer,
        SocialAuthorStore,
        TemplateRepository,
    )


class LocalAdapters:
    """Adapters of the embedded default: one DuckDB database, the outbox and files.

    A project other than the default one has its own (``for_project``): a database,
    outbox and files under ``projects/<id>/`` of the home, so two projects never see
    each other's data. Templates and the project registry are account-wide, in Pinpoint
    as here: every project's adapters read them from the root's database.
    """

    # Every store read of an import batch scans the endpoints table, and every write is
    # one DuckDB transaction: larger batches make far fewer of both.
    import_batch_size = 10_000
    # One DuckDB transaction per journey batch: larger batches, far fewer commits.
    journey_batch_size = 10_000
    applies_event_effects_inline = True
    # Runs execute in process, posts are scored as they are read, and SageMaker and
    # Athena have no local stand-in that the services need.
    campaign_run_starter = None
    import_job_starter = None  # import jobs run within the call
    lake_rewriter = None  # the eraser rewrites the local files itself
    post_queue = None
    churn_jobs = None
    churn_queries = None
    # Files are imported by path, the endpoints table is queried directly (no change
    # feed, no lake to compact), and runs resume in process.
    import_file_store = None
    endpoint_change_feed = None
    endpoint_compactor = None
    campaign_audience_query = None
    campaign_batch_store = None

    def __init__(self, settings: Settings, *, root: LocalAdapters | None = None) -> None:
        self.settings = settings
        self._root = root
        # The outbox's time (its Date headers and Send records): the Bootstrap sets it to
        # its services' clock, so a run at ``--now`` sends its messages at that time.
        self.clock: Callable[[], datetime] | None = None

    @property
    def root(self) -> LocalAdapters:
        """The adapters of the default project (account-wide stores live there)."""
        return self._root or self

    def for_project(self, app_id: str) -> LocalAdapters:
        """The adapters of project ``app_id`` (its own database and files)."""
        from clarion.adapters.local.common.project_store import project_home

        root = self.root
        if app_id == root.settings.app_id:
            return root
        home = project_home(root.settings.home, app_id)
        return LocalAdapters(replace(root.settings, app_id=app_id, home=home), root=root)

    @property
    def upload_prefix(self) -> str:
        return (self.settings.home / "uploads").resolve().as_uri()

    @property
    def export_prefix(self) -> str:
        return (self.settings.home / "exports").resolve().as_uri()

    @property
    def reports_folder(self) -> Path:
        return self.settings.home / "reports"

    @cached_property
    def project_store(self) -> ProjectStore:
        """The project registry and per-project documents, in the root's database."""
        root = self.root
        if root is not self:
            return root.project_store
        from clarion.adapters.local.common.project_store import DuckDBProjectStore

        return DuckDBProjectStore(self.database, self.settings.home)

    @cached_property
    def database(self) -> LocalDatabase:
        from clarion.adapters.local.common.database import LocalDatabase

        return LocalDatabase(self.settings.home)

    # -- audience, segments, templates ------------------------------------------------

    @cached_property
    def profile_store(self) -> ProfileStore:
        from clarion.adapters.local.audience.profile_store import DuckDBProfileStore

        return DuckDBProfileStore(self.database)

    @cached_property
    def columnar_endpoint_import(self) -> ColumnarEndpointImport:
        from clarion.adapters.local.audience.columnar_endpoint_import import (
            DuckDBColumnarEndpointImport,
        )
        from clarion.adapters.local.audience.profile_store import DuckDBProfileStore

        profiles = self.profile_store
        return DuckDBColumnarEndpointImport(
            self.database,
            profiles=profiles if isinstance(profiles, DuckDBProfileStore) else None,
        )

    @cached_property
    def columnar_event_ingest(self) -> ColumnarEventIngest:
        from clarion.adapters.local.events.columnar_ingest import DuckDBColumnarEventIngest

        return DuckDBColumnarEventIngest(self.database)

    @cached_property
    def endpoint_locator(self) -> EndpointLocator:
        from clarion.adapters.local.audience.endpoint_locator import DuckDBEndpointLocator

        return DuckDBEndpointLocator(self.database)

    @cached_property
    def personal_data_eraser(self) -> PersonalDataEraser:
        """This project's database and every file under its home (the default
        project's home holds the other projects' homes: they are not its to erase)."""
        from clarion.adapters.local.audience.personal_data_eraser import (
            LocalPersonalDataEraser,
        )

        skip = ("projects",) if self._root is None else ()
        return LocalPersonalDataEraser(self.database, self.settings.home, skip=skip)

    @cached_property
    def segment_repository(self) -> SegmentRepository:
        from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository

        return DuckDBSegmentRepository(self.database)

    @cached_property
    def audience_query(self) -> AudienceQuery:
        from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery

        return DuckDBAudienceQuery(self.database)

    @cached_property
    def job_files(self) -> JobFiles:
        """Import and export job files: file:// URLs and paths."""
        from clarion.adapters.local.audience.job_files import LocalJobFiles

        return LocalJobFiles()

    @cached_property
    def template_repository(self) -> TemplateRepository:
        """Account-wide (templates have no project in Pinpoint's API)."""
        if self._root is not None:
            return self._root.template_repository
        from clarion.adapters.local.templates.template_repository import (
            DuckDBTemplateRepository,
        )

        return DuckDBTemplateRepository(self.database)

    # -- messaging and campaigns ------------------------------------------------------

    @cached_property
    def delivery_channel(self) -> DeliveryChannel:
        from clarion.adapters.local.messaging.delivery_channel import OutboxChannel

        # The outbox records the send events SES and End User Messaging would publish.
        return OutboxChannel(
            self.settings.home,
            events=self.event_sink,
            app_id=self.settings.app_id,
            clock=self.clock,
        )

    @cached_property
    def send_ledger(self) -> SendLedger:
        from clarion.adapters.local.messaging.send_ledger import DuckDBSendLedger

        return DuckDBSendLedger(self.database)

    @cached_property
    def message_counts(self) -> MessageCounts:
        """The message governor's counts (this project's database)."""
        from clarion.adapters.local.messaging.message_counts import DuckDBMessageCounts

        return DuckDBMessageCounts(self.database)

    @cached_property
    def campaign_hooks(self) -> CampaignHookInvoker:
        """CampaignHooks by webhook (a Lambda hook runs on AWS only)."""
        from clarion.adapters.local.campaigns.campaign_hook import WebhookCampaignHook

        return WebhookCampaignHook()

    @cached_property
    def campaign_repository(self) -> CampaignRepository:
        from clarion.adapters.local.campaigns.campaign_repository import (
            DuckDBCampaignRepository,
        )

        return DuckDBCampaignRepository(self.database)

    @cached_property
    def campaign_scheduler(self) -> CampaignScheduler:
        """DuckDB rows; ``clarion campaigns tick`` runs what is due."""
        from clarion.adapters.local.campaigns.campaign_scheduler import DuckDBCampaignScheduler

        return DuckDBCampaignScheduler(self.database)

    # -- journeys -----------------------------------------------------------------------

    @cached_property
    def journey_repository(self) -> JourneyRepository:
        from clarion.adapters.local.journeys.journey_repository import DuckDBJourneyRepository

        return DuckDBJourneyRepository(self.database)

    @cached_property
    def participant_store(self) -> ParticipantStore:
        from clarion.adapters.local.journeys.participant_store import DuckDBParticipantStore

        return DuckDBParticipantStore(self.database)

    # -- events and analytics ---------------------------------------------------------

    @cached_property
    def event_sink(self) -> EventSink:
        from clarion.adapters.local.events.event_sink import DuckDBEventStore

        return DuckDBEventStore(self.database)

    @property
    def churn_event_sink(self) -> EventSink:
        return self.event_sink

    @cached_property
    def event_forwarder(self) -> EventForwarder:
        """What would go to each project's event stream, as files under the root home."""
        from clarion.adapters.local.events.event_forwarder import FileEventForwarder

        return FileEventForwarder(self.root.settings.home)

    @cached_property
    def dead_letter_sink(self) -> DeadLetterSink:
        from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink

        return FileDeadLetterSink(self.settings.home)

    @cached_property
    def analytics_query(self) -> AnalyticsQuery:
        from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery

        return DuckDBAnalyticsQuery(self.database)

    @cached_property
    def conversion_goal_store(self) -> ConversionGoalStore:
        from clarion.adapters.local.analytics.goal_store import DuckDBConversionGoalStore

        return DuckDBConversionGoalStore(self.database)

    # -- sentiment ----------------------------------------------------------------------

    @cached_property
    def sentiment_analyzer(self) -> SentimentAnalyzer:
        from clarion.adapters.local.sentiment.sentiment_analyzer import VaderSentimentAnalyzer

        return VaderSentimentAnalyzer()

    @cached_property
    def handle_lookup(self) -> HandleLookup:
        from clarion.adapters.local.sentiment.social_store import DuckDBHandleLookup

        return DuckDBHandleLookup(self.database)

    @cached_property
    def post_dedupe_store(self) -> PostDedupeStore:
        from clarion.adapters.local.sentiment.social_store import DuckDBPostDedupeStore

        return DuckDBPostDedupeStore(self.database)

    @cached_property
    def social_author_store(self) -> SocialAuthorStore:
        from clarion.adapters.local.sentiment.social_store import DuckDBSocialAuthorStore

        return DuckDBSocialAuthorStore(self.database)

    # -- churn ----------------------------------------------------------------------------

    @cached_property
    def churn_model_store(self) -> ChurnModelStore:
        from clarion.adapters.local.churn.model_store import FileChurnModelStore

        return FileChurnModelStore(self.settings.home)

    @cached_property
    def churn_files(self) -> ChurnFiles:
        from clarion.adapters.local.churn.files import LocalChurnFiles

        return LocalChurnFiles(self.settings.home)

    @cached_property
    def churn_learner(self) -> ChurnLearner:
        from clarion.adapters.local.churn.learner import XGBoostChurnLearner

        return XGBoostChurnLearner()

    @cached_property
    def churn_columnar_data(self) -> ColumnarAnalytics:
        from clarion.adapters.local.churn.columnar import DuckDBChurnData

        return DuckDBChurnData(self.database)

    @cached_property
    def churn_simulator(self) -> ChurnSimulator:
        """The development kit's behaviour simulator, imported on first use: only demos
        and benchmarks simulate, and the kit is never part of a deployed runtime."""
        from clarion_devkit.samples.churn_simulator import SeededChurnSimulator

        return SeededChurnSimulator()
