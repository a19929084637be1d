"""The composition root: builds services (and only services), lazily.

A :class:`Bootstrap` takes the process settings and one backend's adapters
(:class:`~clarion.bootstrap.local.LocalAdapters` or
:class:`~clarion.bootstrap.aws.AwsAdapters`, chosen by ``settings.backend``) and makes each
service on first use, so a Lambda handler that needs one service pays only for that
service's adapters. Entrypoints (the API, the console, the CLI, the Lambda handlers) ask
it for services and never for adapters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from clarion.bootstrap.adapters import Adapters
from clarion.bootstrap.settings import AwsSettings, Backend, Settings

if TYPE_CHECKING:
    from clarion.domain.sentiment import RuleSet
    from clarion.ports import EventSink
    from clarion.services.analytics import (
        AnalyticsService,
        ConversionService,
        GoalService,
        KpiService,
        ReportService,
    )
    from clarion.services.audience import (
        EndpointChangeFeedService,
        EndpointCompactionService,
        EndpointImportService,
        EndpointService,
        ErasureService,
        ImportJobPieces,
        JobService,
        LakeErasureSteps,
        ObjectImportService,
    )
    from clarion.services.campaigns import (
        CampaignReconciler,
        CampaignRunner,
        CampaignRunSteps,
        CampaignService,
        EventCampaignTrigger,
    )
    from clarion.services.churn import ChurnPipeline, ChurnService
    from clarion.services.common import ProjectService
    from clarion.services.events import (
        AllTriggers,
        EventIngestService,
        EventIntakeService,
        EventStreamConsumer,
        EventStreamService,
    )
    from clarion.services.journeys import (
        JourneyEngine,
        JourneyEventTrigger,
        JourneyMessages,
        JourneyReports,
        JourneyService,
        JourneyTicker,
        JourneyTickSteps,
        ProjectsTickSteps,
    )
    from clarion.services.messaging import ChannelService, MessageGovernor, MessageService
    from clarion.services.segments import SegmentService
    from clarion.services.sentiment import PostIntakeService, PostStreamService, SentimentService
    from clarion.services.templates import TemplateLinter, TemplateService

__all__ = ["Adapters", "AwsSettings", "Backend", "Bootstrap", "Settings", "make_adapters"]

_T = TypeVar("_T")


def _aws_only(adapter: _T | None, what: str) -> _T:
    """``adapter``, which only the aws backend has. Raises RuntimeError naming ``what``
    on a backend without it."""
    if adapter is None:
        raise RuntimeError(f"{what} exists on the aws backend only")
    return adapter


def make_adapters(settings: Settings, **clients: Any) -> Adapters:
    """The adapters of ``settings.backend``; ``clients`` (boto3, keyed by service) are
    used by the ``aws`` backend instead of making its own."""
    if settings.backend == "aws":
        from clarion.bootstrap.aws import AwsAdapters

        return AwsAdapters(settings, **clients)
    from clarion.bootstrap.local import LocalAdapters

    return LocalAdapters(settings)


class Bootstrap:
    """One per process (a CLI invocation, the API server, a Lambda container).

    Parameters
    ----------
    settings
        The settings; read from the environment when not given.
    adapters
        The backend's adapters; made from ``settings.backend`` when not given.
    **clients
        Pre-built boto3 clients for the ``aws`` backend (tests pass moto-backed ones).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        adapters: Adapters | None = None,
        root: Bootstrap | None = None,
        **clients: Any,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.adapters = adapters or make_adapters(self.settings, **clients)
        self._root = root
        self._projects: dict[str, Bootstrap] = {}
        self._projects_lock = threading.Lock()
        # What time the time-driven services (journeys, event triggers) take as now;
        # None is the wall clock. The CLI's --now sets it for dry runs and demos.
        self.clock: Callable[[], datetime] | None = None
        if hasattr(self.adapters, "clock"):  # the local outbox sends at the same time
            self.adapters.clock = self.now

    def now(self) -> datetime:
        """The current time of this process's services (the default project's
        ``clock``, else the wall clock): every project of a process shares one time."""
        clock = self.root.clock
        return clock() if clock is not None else datetime.now(UTC)

    @property
    def app_id(self) -> str:
        """The Pinpoint project (application) id stamped on events and messages."""
        return self.settings.app_id

    # -- projects -----------------------------------------------------------------------

    @property
    def root(self) -> Bootstrap:
        """The default project's Bootstrap (account-wide services live there)."""
        return self._root or self

    def for_project(self, app_id: str) -> Bootstrap:
        """The services of project ``app_id``, on that project's adapters; this
        Bootstrap for the default project. Made once per project and kept. Whether the
        project exists is the caller's question (``project_service.exists``)."""
        root = self.root
        if app_id == root.app_id:
            return root
        with root._projects_lock:
            found = root._projects.get(app_id)
            if found is None:
                from clarion.domain.common.projects import check_app_id

                adapters = root.adapters.for_project(check_app_id(app_id))
                found = Bootstrap(adapters.settings, adapters=adapters, root=root)
                root._projects[app_id] = found
        return found

    def forget_project(self, app_id: str) -> None:
        """Drop the kept services of a deleted project."""
        with self.root._projects_lock:
            self.root._projects.pop(app_id, None)

    @cached_property
    def project_service(self) -> ProjectService:
        """Projects, their settings and tags (account-wide: the same from any project)."""
        if self._root is not None:
            return self._root.project_service
        from clarion.services.common import ProjectService

        return ProjectService(self.adapters.project_store, self.app_id)

    # -- audience and segments --------------------------------------------------------

    @cached_property
    def endpoint_service(self) -> EndpointService:
        from clarion.services.audience import EndpointService

        return EndpointService(
            self.adapters.profile_store,
            self.import_service,
            self.adapters.audience_query,
            locator=self.adapters.endpoint_locator,
        )

    @cached_property
    def erasure_service(self) -> ErasureService:
        """Erase a person everywhere (``endpoints erase``, ``users erase``, the API's
        DeleteEndpoint and DeleteUserEndpoints)."""
        from clarion.services.audience import ErasureService

        return ErasureService(self.adapters.profile_store, self.adapters.personal_data_eraser)

    @cached_property
    def lake_erasure_steps(self) -> LakeErasureSteps:
        """The Parquet lake's erase workflow steps (AWS)."""
        from clarion.services.audience import LakeErasureSteps

        rewriter = _aws_only(self.adapters.lake_rewriter, "the lake's erase workflow")
        return LakeErasureSteps(rewriter, self.settings.aws.glue_database)

    @cached_property
    def import_service(self) -> EndpointImportService:
        from clarion.services.audience import EndpointImportService

        return EndpointImportService(
            self.adapters.profile_store,
            self.segment_service,
            batch_size=self.adapters.import_batch_size,
            columnar=self.adapters.columnar_endpoint_import,
        )

    @cached_property
    def segment_service(self) -> SegmentService:
        from clarion.services.segments import SegmentService

        adapters = self.adapters

        def users_of(segment_id: str) -> list[str]:
            """The campaigns targeting a segment (asked only when one is deleted)."""
            campaigns = adapters.campaign_repository.list_campaigns()
            return [str(c["Id"]) for c in campaigns if c.get("SegmentId") == segment_id]

        return SegmentService(
            self.adapters.segment_repository, self.adapters.audience_query, users_of=users_of
        )

    @cached_property
    def job_service(self) -> JobService:
        """Import and export jobs of this project."""
        from clarion.services.audience import JobService

        a = self.adapters
        return JobService(
            self.app_id,
            a.project_store,
            a.job_files,
            self.import_service,
            self.segment_service,
            a.profile_store,
            starter=a.import_job_starter,
            uploads=a.upload_prefix,
            exports=a.export_prefix,
        )

    @cached_property
    def import_job_pieces(self) -> ImportJobPieces:
        """The piece worker and finishing step of this project's import jobs (AWS)."""
        from clarion.services.audience import ImportJobPieces

        return ImportJobPieces(self.app_id, self.adapters.project_store, self.import_service)

    @cached_property
    def object_import_service(self) -> ObjectImportService:
        """Endpoint files dropped in a bucket (AWS)."""
        from clarion.services.audience import ObjectImportService

        files = _aws_only(self.adapters.import_file_store, "the import file store")
        # Files become Step Functions import jobs where the state machine is deployed.
        jobs = self.job_service if self.adapters.import_job_starter is not None else None
        return ObjectImportService(files, self.import_service, jobs)

    @cached_property
    def endpoint_change_feed_service(self) -> EndpointChangeFeedService:
        """The endpoints table's changes into the endpoint lake (AWS)."""
        from clarion.services.audience import EndpointChangeFeedService

        feed = _aws_only(self.adapters.endpoint_change_feed, "the endpoint change feed")
        return EndpointChangeFeedService(feed)

    @cached_property
    def endpoint_compaction_service(self) -> EndpointCompactionService:
        """The endpoint lake's daily snapshot (AWS)."""
        from clarion.services.audience import EndpointCompactionService

        compactor = _aws_only(self.adapters.endpoint_compactor, "endpoint compaction")
        return EndpointCompactionService(
            compactor,
            retention_days=self.settings.aws.change_retention_days,
            snapshot_retention_days=self.settings.aws.snapshot_retention_days,
        )

    # -- events and analytics ---------------------------------------------------------

    @cached_property
    def event_stream_service(self) -> EventStreamService:
        """Projects' event streams (account-wide: the same from any project)."""
        if self._root is not None:
            return self._root.event_stream_service
        from clarion.services.events import EventStreamService

        return EventStreamService(self.adapters.project_store, self.adapters.event_forwarder)

    @cached_property
    def event_sink(self) -> EventSink:
        """Where services put records: locally the store, forwarding what it newly holds
        to the project's event stream (no stream consumer reads it); on AWS the events
        stream, whose consumer forwards."""
        sink = self.adapters.event_sink
        if not self.adapters.applies_event_effects_inline:
            return sink
        from clarion.services.events import ForwardingEventSink

        return ForwardingEventSink(sink, self.event_stream_service)

    @cached_property
    def event_ingest_service(self) -> EventIngestService:
        """Ingestion from files and APIs. Locally it stores and applies effects at once;
        on AWS it forwards to the stream, whose consumer applies the effects."""
        from clarion.services.events import EventIngestService

        a = self.adapters
        return EventIngestService(
            a.profile_store,
            a.dead_letter_sink,
            self.event_triggers,
            sink=self.event_sink,
            locator=a.endpoint_locator,
            app_id=self.app_id,
            apply_effects=a.applies_event_effects_inline,
            columnar=a.columnar_event_ingest,
            columnar_allowed=self._only_effects_need_event_records,
        )

    def _only_effects_need_event_records(self) -> bool:
        """Whether no event stream (of any project) and no trigger needs every new
        record: the ingestion may then store JSON lines as columns."""
        if not self.event_triggers.acts_on_no_events():
            return False
        streams = self.event_stream_service
        projects = self.adapters.project_store.list_projects()
        app_ids = {self.app_id, *(str(p["Id"]) for p in projects)}
        return all(streams.destination(app_id) is None for app_id in app_ids)

    @cached_property
    def event_consumer_service(self) -> EventIngestService:
        """The stream consumer: effects and campaign triggers for records on the stream.
        (Journeys read the stream with their own consumer, ``journey_stream_consumer``.)"""
        from clarion.services.events import EventIngestService

        a = self.adapters
        return EventIngestService(
            a.profile_store,
            a.dead_letter_sink,
            self.event_campaign_trigger,
            sink=None,
            locator=a.endpoint_locator,
            app_id=self.app_id,
            # Made on first use: a batch of a project without a stream needs no STS.
            forward=lambda records: self.event_stream_service.forward(records),
        )

    @cached_property
    def event_intake_service(self) -> EventIntakeService:
        """PutEvents over HTTP and delivery records, onto the events stream (AWS)."""
        from clarion.services.events import EventIntakeService

        return EventIntakeService(
            self.event_ingest_service, self.adapters.dead_letter_sink, app_id=self.app_id
        )

    @cached_property
    def event_stream_consumer(self) -> EventStreamConsumer:
        """The events stream's records, one at a time, through the consumer service."""
        from clarion.services.events import EventStreamConsumer

        return EventStreamConsumer(self.event_consumer_service, app_id=self.app_id)

    @cached_property
    def analytics_service(self) -> AnalyticsService:
        from clarion.services.analytics import AnalyticsService

        return AnalyticsService(self.adapters.analytics_query, self.conversion_service)

    @cached_property
    def goal_service(self) -> GoalService:
        """Conversion goals per campaign and for the project."""
        from clarion.services.analytics import GoalService

        return GoalService(self.adapters.conversion_goal_store)

    @cached_property
    def conversion_service(self) -> ConversionService:
        """Campaign conversions (the campaigns' runs bound the days read)."""
        from clarion.services.analytics import ConversionService

        a = self.adapters
        return ConversionService(a.analytics_query, self.goal_service, a.campaign_repository)

    @cached_property
    def kpi_service(self) -> KpiService:
        """Pinpoint's GetCampaignDateRangeKpi and GetApplicationDateRangeKpi."""
        from clarion.services.analytics import KpiService, MessageKpis

        a = self.adapters
        return KpiService(
            a.analytics_query,
            self.conversion_service,
            self.goal_service,
            a.campaign_repository,
            messages=MessageKpis(a.analytics_query, self.app_id),
        )

    @cached_property
    def report_service(self) -> ReportService:
        from clarion.services.analytics import ReportService

        return ReportService(self.analytics_service, self.settings.home / "reports")

    # -- templates, messaging and campaigns ---------------------------------------------

    @cached_property
    def template_linter(self) -> TemplateLinter:
        """Templates against the project's attribute names; dry runs of what a campaign
        or journey sends against its segment."""
        from clarion.services.templates import TemplateLinter

        return TemplateLinter(
            self.adapters.profile_store,
            # Made on first dry run: a function that only lints never builds them.
            audience=lambda: self.adapters.audience_query,
            segments=lambda: self.segment_service,
            missing_share=self.settings.missing_value_share,
        )

    @cached_property
    def template_service(self) -> TemplateService:
        from clarion.services.templates import TemplateService

        return TemplateService(
            self.adapters.template_repository, self.adapters.profile_store, self.template_linter
        )

    @cached_property
    def message_governor(self) -> MessageGovernor:
        """The project's caps across campaigns, journeys and social triggers."""
        from clarion.services.messaging import MessageGovernor

        return MessageGovernor(
            self.adapters.message_counts,
            self._project_settings,
            self.app_id,
            governs_transactional=self.settings.govern_transactional,
        )

    def _project_settings(self) -> dict[str, Any]:
        """The project's ApplicationSettingsResource, read when asked."""
        return self.project_service.get_settings(self.app_id)

    @cached_property
    def campaign_runner(self) -> CampaignRunner:
        from clarion.services.campaigns import CampaignRunner

        a = self.adapters
        return CampaignRunner(
            a.campaign_repository,
            a.template_repository,
            a.profile_store,
            a.send_ledger,
            a.delivery_channel,
            self.event_sink,
            self.segment_service,
            app_id=self.app_id,
            governor=self.message_governor,
            hooks=a.campaign_hooks,
            project_settings=self._project_settings,
        )

    @cached_property
    def campaign_reconciler(self) -> CampaignReconciler:
        """Resolves campaign runs' in-doubt messages from the delivery events."""
        from clarion.services.campaigns import CampaignReconciler

        a = self.adapters
        return CampaignReconciler(
            a.campaign_repository,
            a.send_ledger,
            a.analytics_query,
            a.profile_store,
            self.event_sink,
            app_id=self.app_id,
            summarise=self.campaign_runner.summarise_run,
            clock=self.now,
        )

    @cached_property
    def campaign_service(self) -> CampaignService:
        from clarion.services.campaigns import CampaignService

        a = self.adapters
        return CampaignService(
            a.campaign_repository,
            self.campaign_runner,
            a.template_repository,
            a.segment_repository,
            # Both made on first use: a Lambda that only finishes runs needs neither.
            starter=lambda: a.campaign_run_starter,
            scheduler=lambda: a.campaign_scheduler,
            app_id=self.app_id,
            linter=lambda: self.template_linter,
        )

    @cached_property
    def event_campaign_trigger(self) -> EventCampaignTrigger:
        """EVENT campaigns: the events consumer hands every new record to the engine."""
        from clarion.services.campaigns import EventCampaignTrigger

        return EventCampaignTrigger(
            self.adapters.campaign_repository, self.campaign_runner, clock=self.now
        )

    @cached_property
    def event_triggers(self) -> AllTriggers:
        """What new records start or move: EVENT campaigns, then journeys."""
        from clarion.services.events import AllTriggers

        return AllTriggers(self.event_campaign_trigger, self.journey_event_trigger)

    @cached_property
    def campaign_run_steps(self) -> CampaignRunSteps:
        """The campaign state machine's steps (AWS): start, send batch, summarise, resume."""
        from clarion.services.campaigns import CampaignRunSteps

        a = self.adapters
        return CampaignRunSteps(
            self.campaign_runner,
            self.campaign_service,
            a.campaign_repository,
            a.send_ledger,
            # Made on first use: only the resume step writes batches.
            lambda: _aws_only(a.campaign_batch_store, "the campaign batch store"),
            # Made on first use: only the start step starts the audience query.
            audience_query=lambda: _aws_only(
                a.campaign_audience_query, "the campaign audience query"
            ),
        )

    @cached_property
    def channel_service(self) -> ChannelService:
        """Projects' channels (account-wide: the same from any project)."""
        if self._root is not None:
            return self._root.channel_service
        from clarion.services.messaging import ChannelService

        return ChannelService(self.adapters.project_store)

    @cached_property
    def message_service(self) -> MessageService:
        from clarion.services.messaging import MessageService

        a = self.adapters
        return MessageService(
            a.profile_store,
            a.template_repository,
            a.delivery_channel,
            a.send_ledger,
            app_id=self.app_id,
            trace_scope="" if self._root is None else self.app_id,
            governor=self.message_governor,
        )

    # -- journeys ---------------------------------------------------------------------------

    @cached_property
    def journey_messages(self) -> JourneyMessages:
        """The one seam every journey message passes."""
        from clarion.services.journeys import JourneyMessages

        a = self.adapters
        return JourneyMessages(
            a.template_repository,
            a.send_ledger,
            a.delivery_channel,
            self.event_sink,
            app_id=self.app_id,
            governor=self.message_governor,
        )

    @cached_property
    def journey_engine(self) -> JourneyEngine:
        from clarion.services.journeys import JourneyEngine

        a = self.adapters
        return JourneyEngine(
            a.journey_repository,
            a.participant_store,
            a.profile_store,
            self.journey_messages,
            self.segment_service,
            batch_size=a.journey_batch_size,
            clock=self.now,
        )

    @cached_property
    def journey_service(self) -> JourneyService:
        """Journeys in Pinpoint's operations (create, get, update, state, delete, list)."""
        from clarion.services.journeys import JourneyService

        a = self.adapters
        return JourneyService(
            a.journey_repository,
            a.participant_store,
            self.journey_engine,
            self.segment_service,
            app_id=self.app_id,
            clock=self.now,
        )

    @cached_property
    def journey_reports(self) -> JourneyReports:
        """Journey metrics in Pinpoint's operations, and explain."""
        from clarion.services.journeys import JourneyReports

        a = self.adapters
        return JourneyReports(
            a.journey_repository,
            a.participant_store,
            a.profile_store,
            self.segment_service,
            a.analytics_query,
            app_id=self.app_id,
            clock=self.now,
        )

    @cached_property
    def journey_ticker(self) -> JourneyTicker:
        """The journey tick (``clarion journeys tick`` locally)."""
        from clarion.services.journeys import JourneyTicker

        return JourneyTicker(
            self.adapters.journey_repository, self.journey_engine, self.segment_service
        )

    @cached_property
    def journey_tick_steps(self) -> JourneyTickSteps:
        """The journey tick state machine's steps (AWS)."""
        from clarion.services.journeys import JourneyTickSteps

        a = self.adapters
        return JourneyTickSteps(
            self.journey_ticker,
            self.journey_engine,
            # Made on first use: only plan and entered start a run's audience query.
            audience_query=lambda: _aws_only(
                a.campaign_audience_query, "the journey run's audience query"
            ),
        )

    @cached_property
    def projects_tick_steps(self) -> ProjectsTickSteps:
        """The journey tick state machine's steps over every project (account-wide: the
        same from any project); each project's work runs in its own services."""
        if self._root is not None:
            return self._root.projects_tick_steps
        from clarion.services.journeys import ProjectsTickSteps

        return ProjectsTickSteps(
            self.project_service, lambda app_id: self.for_project(app_id).journey_tick_steps
        )

    @cached_property
    def journey_stream_consumer(self) -> EventStreamConsumer:
        """The journeys' consumer of the events stream (AWS): each record to the journey
        trigger only; the events consumer applies the effects."""
        from clarion.services.events import EventIngestService, EventStreamConsumer

        a = self.adapters
        ingest = EventIngestService(
            a.profile_store,
            a.dead_letter_sink,
            self.journey_event_trigger,
            sink=None,
            app_id=self.app_id,
            apply_effects=False,
            run_triggers=True,
        )
        return EventStreamConsumer(ingest, app_id=self.app_id)

    @cached_property
    def journey_event_trigger(self) -> JourneyEventTrigger:
        """Events into journeys: matches for splits, entries for event starts."""
        from clarion.services.journeys import JourneyEventTrigger

        return JourneyEventTrigger(self.adapters.journey_repository, self.journey_engine)

    # -- social sentiment triggers -------------------------------------------------------

    @cached_property
    def sentiment_rules(self) -> RuleSet:
        from pathlib import Path

        from clarion.services.sentiment import default_rules, load_rules

        path = self.settings.sentiment_rules
        if not path:
            return default_rules()
        return load_rules(Path(path).read_text(encoding="utf-8"), name=path)

    @cached_property
    def sentiment_service(self) -> SentimentService:
        from clarion.services.sentiment import SentimentService

        a = self.adapters
        return SentimentService(
            a.sentiment_analyzer,
            a.handle_lookup,
            a.profile_store,
            a.post_dedupe_store,
            a.social_author_store,
            self.event_sink,
            self.message_service,
            a.send_ledger,
            self.sentiment_rules,
            analytics=a.analytics_query,
            dead_letters=a.dead_letter_sink,
            app_id=self.app_id,
            governor=self.message_governor,
        )

    @cached_property
    def post_intake_service(self) -> PostIntakeService:
        """Posts over HTTP: queued on the posts stream on AWS, scored at once locally."""
        from clarion.services.sentiment import PostIntakeService, ScoreOnArrival

        a = self.adapters
        queue = a.post_queue or ScoreOnArrival(self.sentiment_service)
        return PostIntakeService(queue, a.dead_letter_sink)

    @cached_property
    def post_stream_service(self) -> PostStreamService:
        """The posts stream's batches through the sentiment service."""
        from clarion.services.sentiment import PostStreamService

        return PostStreamService(self.sentiment_service)

    # -- predictive churn ------------------------------------------------------------------

    @cached_property
    def churn_service(self) -> ChurnService:
        """The churn flow: simulate (locally), train, score, segment, retain, report."""
        from dataclasses import replace

        from clarion.domain.churn import ChurnConfig
        from clarion.domain.churn.definition import parse_event_list
        from clarion.services.churn import ChurnService, EngineLauncher

        settings = self.settings
        config = ChurnConfig()
        config = config.with_definition(
            config.definition.with_overrides(
                settings.churn_label_days,
                settings.churn_active_days,
                parse_event_list(settings.churn_activity_events) or None,
            )
        )
        if self.settings.churn_threshold is not None:
            config = replace(config, threshold=self.settings.churn_threshold)
        if self.settings.churn_holdout_percent is not None:
            config = replace(config, holdout_percent=self.settings.churn_holdout_percent)
        a = self.adapters
        return ChurnService(
            a.profile_store,
            a.analytics_query,
            a.churn_model_store,
            self.segment_service,
            learner=a.churn_learner,
            events=a.churn_event_sink,
            launcher=EngineLauncher(lambda: self.campaign_service, lambda: self.template_service),
            reports=a.reports_folder,
            app_id=self.app_id,
            config=config,
            columnar=a.churn_columnar_data,
            # Made on first use: only a simulated history needs the simulator.
            simulator=lambda: a.churn_simulator,
        )

    @cached_property
    def churn_pipeline(self) -> ChurnPipeline:
        """The churn state machines' steps (AWS): Athena, SageMaker, scores, evaluation."""
        from clarion.services.churn import ChurnPipeline

        a = self.adapters
        return ChurnPipeline(
            # Each made on first use: a SageMaker step needs neither the churn service
            # nor Athena.
            lambda: self.churn_service,
            a.churn_model_store,
            a.churn_files,
            jobs=lambda: a.churn_jobs,
            queries=lambda: a.churn_queries,
            write_limit=self.settings.aws.churn_write_limit,
        )
