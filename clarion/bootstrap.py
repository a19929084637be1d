"""Wires services to the ``local`` or ``aws`` adapters, lazily.

Nothing is imported or connected until first asked for, so a Lambda handler that needs
one service pays only for that service's adapters (no duckdb on AWS, no boto3 locally
unless asked).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from clarion.settings import Settings

if TYPE_CHECKING:
    from clarion.adapters.local.database import LocalDatabase
    from clarion.ports import (
        AnalyticsQuery,
        AudienceQuery,
        CampaignTrigger,
        DeadLetterSink,
        EndpointLocator,
        EventSink,
        ProfileStore,
        SegmentRepository,
    )
    from clarion.services.analytics import AnalyticsService
    from clarion.services.events import EventIngestService
    from clarion.services.imports import EndpointImportService
    from clarion.services.reports import ReportService
    from clarion.services.segments import SegmentService

# messaging engine (templates, campaigns, transactional sends)
if TYPE_CHECKING:
    from clarion.ports import (
        CampaignRepository,
        CampaignRunStarter,
        CampaignScheduler,
        DeliveryChannel,
        SendLedger,
        TemplateRepository,
    )
    from clarion.services.campaign_runner import CampaignRunner
    from clarion.services.campaigns import CampaignService, EventCampaignTrigger
    from clarion.services.messages import MessageService
    from clarion.services.templates import TemplateService

# predictive churn
if TYPE_CHECKING:
    from clarion.adapters.aws.churn import AthenaQueryStarter
    from clarion.ports import (
        ChurnFiles,
        ChurnJobs,
        ChurnLearner,
        ChurnModelStore,
        ColumnarAnalytics,
    )
    from clarion.services.churn import ChurnService

# social sentiment triggers
if TYPE_CHECKING:
    from clarion.domain.social import RuleSet
    from clarion.ports import (
        HandleLookup,
        PostDedupeStore,
        PostQueue,
        SentimentAnalyzer,
        SocialAuthorStore,
    )
    from clarion.services.sentiment import SentimentService


class Bootstrap:
    """The composition root: one per process (CLI invocation or Lambda container)."""

    def __init__(self, settings: Settings | None = None, **clients: Any) -> None:
        self.settings = settings or Settings.from_env()
        # Pre-built boto3 clients (tests pass moto-backed ones); keyed by service name.
        self._clients = clients

    # -- shared infrastructure -------------------------------------------------------

    @cached_property
    def local_database(self) -> LocalDatabase:
        from clarion.adapters.local.database import LocalDatabase

        return LocalDatabase(self.settings.home)

    def client(self, service: str) -> Any:
        """A boto3 client with standard retries (or the one injected for ``service``)."""
        if service not in self._clients:
            from clarion.adapters.aws.clients import make_client

            self._clients[service] = make_client(service, self.settings.aws.region)
        return self._clients[service]

    @property
    def is_local(self) -> bool:
        return self.settings.backend == "local"

    # -- ports -------------------------------------------------------------------------

    @cached_property
    def profile_store(self) -> ProfileStore:
        if self.is_local:
            from clarion.adapters.local.profiles import DuckDBProfileStore

            return DuckDBProfileStore(self.local_database)
        from clarion.adapters.aws.profiles import DynamoDBProfileStore

        return DynamoDBProfileStore(self.client("dynamodb"), self.settings.aws.endpoints_table)

    @cached_property
    def segment_repository(self) -> SegmentRepository:
        if self.is_local:
            from clarion.adapters.local.segments import DuckDBSegmentRepository

            return DuckDBSegmentRepository(self.local_database)
        from clarion.adapters.aws.segments import DynamoDBSegmentRepository

        return DynamoDBSegmentRepository(
            self.client("dynamodb"),
            self.settings.aws.definitions_table,
            self.client("s3"),
            self.settings.aws.data_bucket,
        )

    @cached_property
    def audience_query(self) -> AudienceQuery:
        if self.is_local:
            from clarion.adapters.local.audience import DuckDBAudienceQuery

            return DuckDBAudienceQuery(self.local_database)
        from clarion.adapters.aws.audience import AthenaAudienceQuery

        aws = self.settings.aws
        return AthenaAudienceQuery(
            self.client("athena"),
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
        )

    # -- services ----------------------------------------------------------------------

    @cached_property
    def import_service(self) -> EndpointImportService:
        from clarion.services.imports import EndpointImportService

        # Locally, every store read of a batch scans the endpoints table, and every write
        # is one DuckDB transaction: larger batches make far fewer of both.
        batch_size = 10_000 if self.is_local else 1000
        return EndpointImportService(
            self.profile_store, self.segment_service, batch_size=batch_size
        )

    @cached_property
    def segment_service(self) -> SegmentService:
        from clarion.services.segments import SegmentService

        return SegmentService(self.segment_repository, self.audience_query)

    # -- engagement events ---------------------------------------------------------------

    @property
    def events_stream(self) -> str:
        return self.settings.aws.events_stream

    @property
    def app_id(self) -> str:
        return self.settings.app_id

    @cached_property
    def event_sink(self) -> EventSink:
        if self.is_local:
            from clarion.adapters.local.events import DuckDBEventStore

            return DuckDBEventStore(self.local_database)
        from clarion.adapters.aws.events import KinesisEventSink

        return KinesisEventSink(self.client("kinesis"), self.events_stream)

    @cached_property
    def dead_letter_sink(self) -> DeadLetterSink:
        if self.is_local:
            from clarion.adapters.local.dead_letters import FileDeadLetterSink

            return FileDeadLetterSink(self.settings.home)
        from clarion.adapters.aws.events import S3DeadLetterSink

        return S3DeadLetterSink(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def analytics_query(self) -> AnalyticsQuery:
        if self.is_local:
            from clarion.adapters.local.events import DuckDBAnalyticsQuery

            return DuckDBAnalyticsQuery(self.local_database)
        from clarion.adapters.aws.analytics import AthenaAnalyticsQuery

        aws = self.settings.aws
        return AthenaAnalyticsQuery(
            self.client("athena"),
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
        )

    @cached_property
    def endpoint_locator(self) -> EndpointLocator | None:
        """Endpoints by address (for delivery events that carry no endpoint id): a query
        locally, the table's AddressIndex on AWS."""
        if self.is_local:
            from clarion.adapters.local.events import DuckDBEndpointLocator

            return DuckDBEndpointLocator(self.local_database)
        from clarion.adapters.aws.profiles import DynamoDBProfileStore

        return DynamoDBProfileStore(self.client("dynamodb"), self.settings.aws.endpoints_table)

    @cached_property
    def campaign_trigger(self) -> CampaignTrigger:
        """EVENT campaigns: the consumer hands every new record to the campaign engine."""
        return self.event_campaign_trigger

    @cached_property
    def event_ingest_service(self) -> EventIngestService:
        """Ingestion from files and APIs. Locally it stores and applies effects at once;
        on AWS it forwards to the stream, whose consumer applies the effects."""
        from clarion.services.events import EventIngestService

        return EventIngestService(
            self.profile_store,
            self.dead_letter_sink,
            self.campaign_trigger,
            sink=self.event_sink,
            locator=self.endpoint_locator,
            app_id=self.app_id,
            apply_effects=self.is_local,
        )

    @cached_property
    def event_consumer_service(self) -> EventIngestService:
        """The stream consumer: effects and campaign triggers for records on the stream."""
        from clarion.services.events import EventIngestService

        return EventIngestService(
            self.profile_store,
            self.dead_letter_sink,
            self.campaign_trigger,
            sink=None,
            locator=self.endpoint_locator,
            app_id=self.app_id,
        )

    @cached_property
    def analytics_service(self) -> AnalyticsService:
        from clarion.services.analytics import AnalyticsService

        return AnalyticsService(self.analytics_query)

    @cached_property
    def report_service(self) -> ReportService:
        from clarion.services.reports import ReportService

        return ReportService(self.analytics_service, self.settings.home / "reports")

    # -- messaging engine: templates, campaigns, transactional sends ---------------------

    @property
    def sends_table(self) -> str:
        return self.settings.aws.sends_table

    @property
    def campaign_state_machine_arn(self) -> str:
        return self.settings.aws.campaign_state_machine_arn

    @cached_property
    def delivery_channel(self) -> DeliveryChannel:
        if self.is_local:
            from clarion.adapters.local.outbox import OutboxChannel

            return OutboxChannel(self.settings.home)
        from clarion.adapters.aws.channels import AwsDeliveryChannel

        return AwsDeliveryChannel(
            self.client("sesv2"),
            self.client("pinpoint-sms-voice-v2"),
            self.client("pinpoint"),
            self.client("lambda"),
            self.client("secretsmanager"),
            self.settings.aws,
        )

    @cached_property
    def template_repository(self) -> TemplateRepository:
        if self.is_local:
            from clarion.adapters.local.templates import DuckDBTemplateRepository

            return DuckDBTemplateRepository(self.local_database)
        from clarion.adapters.aws.templates import DynamoDBTemplateRepository

        return DynamoDBTemplateRepository(
            self.client("dynamodb"), self.settings.aws.definitions_table
        )

    @cached_property
    def campaign_repository(self) -> CampaignRepository:
        if self.is_local:
            from clarion.adapters.local.campaigns import DuckDBCampaignRepository

            return DuckDBCampaignRepository(self.local_database)
        from clarion.adapters.aws.campaigns import DynamoDBCampaignRepository

        return DynamoDBCampaignRepository(
            self.client("dynamodb"), self.settings.aws.definitions_table
        )

    @cached_property
    def send_ledger(self) -> SendLedger:
        if self.is_local:
            from clarion.adapters.local.ledger import DuckDBSendLedger

            return DuckDBSendLedger(self.local_database)
        from clarion.adapters.aws.ledger import DynamoDBSendLedger

        return DynamoDBSendLedger(self.client("dynamodb"), self.sends_table)

    @cached_property
    def campaign_run_starter(self) -> CampaignRunStarter | None:
        """None locally (runs execute in process); the state machine on AWS."""
        if self.is_local:
            return None
        from clarion.adapters.aws.campaigns import StepFunctionsRunStarter

        return StepFunctionsRunStarter(
            self.client("stepfunctions"), self.campaign_state_machine_arn
        )

    @cached_property
    def campaign_scheduler(self) -> CampaignScheduler:
        """Per-campaign schedules: DuckDB rows locally (``clarion campaigns tick`` runs
        what is due), EventBridge Scheduler schedules on AWS."""
        if self.is_local:
            from clarion.adapters.local.scheduler import DuckDBCampaignScheduler

            return DuckDBCampaignScheduler(self.local_database)
        from clarion.adapters.aws.scheduler import EventBridgeCampaignScheduler

        aws = self.settings.aws
        return EventBridgeCampaignScheduler(
            self.client("scheduler"),
            group_name=aws.campaign_schedule_group,
            role_arn=aws.campaign_scheduler_role_arn,
            state_machine_arn=self.campaign_state_machine_arn,
        )

    @cached_property
    def campaign_runner(self) -> CampaignRunner:
        from clarion.services.campaign_runner import CampaignRunner

        return CampaignRunner(
            self.campaign_repository,
            self.template_repository,
            self.profile_store,
            self.send_ledger,
            self.delivery_channel,
            self.event_sink,
            self.segment_service,
            app_id=self.app_id,
        )

    @cached_property
    def template_service(self) -> TemplateService:
        from clarion.services.templates import TemplateService

        return TemplateService(self.template_repository, self.profile_store)

    @cached_property
    def campaign_service(self) -> CampaignService:
        from clarion.services.campaigns import CampaignService

        return CampaignService(
            self.campaign_repository,
            self.campaign_runner,
            self.template_repository,
            self.segment_repository,
            # Both made on first use: a Lambda that only finishes runs needs neither.
            starter=None if self.is_local else (lambda: self.campaign_run_starter),
            scheduler=lambda: self.campaign_scheduler,
            app_id=self.app_id,
        )

    @cached_property
    def event_campaign_trigger(self) -> EventCampaignTrigger:
        """The CampaignTrigger for EVENT campaigns (``campaign_trigger`` should return
        this)."""
        from clarion.services.campaigns import EventCampaignTrigger

        return EventCampaignTrigger(self.campaign_repository, self.campaign_runner)

    @cached_property
    def message_service(self) -> MessageService:
        from clarion.services.messages import MessageService

        return MessageService(
            self.profile_store,
            self.template_repository,
            self.delivery_channel,
            self.send_ledger,
            app_id=self.app_id,
        )

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
    def sentiment_analyzer(self) -> SentimentAnalyzer:
        if self.is_local:
            from clarion.adapters.local.sentiment import VaderSentimentAnalyzer

            return VaderSentimentAnalyzer()
        from clarion.adapters.aws.sentiment import ComprehendSentimentAnalyzer

        return ComprehendSentimentAnalyzer(
            self.client("comprehend"), detect_entities=self.settings.aws.comprehend_entities
        )

    @cached_property
    def handle_lookup(self) -> HandleLookup:
        if self.is_local:
            from clarion.adapters.local.social_store import DuckDBHandleLookup

            return DuckDBHandleLookup(self.local_database)
        from clarion.adapters.aws.social_store import DynamoDBHandleLookup

        return DynamoDBHandleLookup(
            self.client("dynamodb"),
            self.settings.aws.endpoints_table,
            self.settings.aws.social_handle_index,
        )

    @cached_property
    def post_dedupe_store(self) -> PostDedupeStore:
        if self.is_local:
            from clarion.adapters.local.social_store import DuckDBPostDedupeStore

            return DuckDBPostDedupeStore(self.local_database)
        from clarion.adapters.aws.social_store import DynamoDBPostDedupeStore

        return DynamoDBPostDedupeStore(self.client("dynamodb"), self.settings.aws.social_table)

    @cached_property
    def social_author_store(self) -> SocialAuthorStore:
        if self.is_local:
            from clarion.adapters.local.social_store import DuckDBSocialAuthorStore

            return DuckDBSocialAuthorStore(self.local_database)
        from clarion.adapters.aws.social_store import DynamoDBSocialAuthorStore

        return DynamoDBSocialAuthorStore(self.client("dynamodb"), self.settings.aws.social_table)

    @cached_property
    def post_queue(self) -> PostQueue:
        """The posts stream (AWS only: locally posts are processed as they are read)."""
        from clarion.adapters.aws.social_store import KinesisPostQueue

        return KinesisPostQueue(self.client("kinesis"), self.settings.aws.posts_stream)

    @cached_property
    def sentiment_service(self) -> SentimentService:
        from clarion.services.sentiment import SentimentService

        return SentimentService(
            self.sentiment_analyzer,
            self.handle_lookup,
            self.profile_store,
            self.post_dedupe_store,
            self.social_author_store,
            self.event_sink,
            self.message_service,
            self.send_ledger,
            self.sentiment_rules,
            analytics=self.analytics_query,
            dead_letters=self.dead_letter_sink,
            app_id=self.app_id,
        )

    # -- predictive churn ------------------------------------------------------------------
    # On AWS: CLARION_CHURN_IMAGE_URI (the SageMaker XGBoost image, resolved at deploy
    # time), CLARION_SAGEMAKER_ROLE_ARN, CLARION_CHURN_INSTANCE_TYPE, read here until
    # Settings carries them.

    @cached_property
    def churn_model_store(self) -> ChurnModelStore:
        if self.is_local:
            from clarion.adapters.local.churn import FileChurnModelStore

            return FileChurnModelStore(self.settings.home)
        from clarion.adapters.aws.churn import S3ChurnModelStore

        return S3ChurnModelStore(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def churn_files(self) -> ChurnFiles:
        if self.is_local:
            from clarion.adapters.local.churn import LocalChurnFiles

            return LocalChurnFiles(self.settings.home)
        from clarion.adapters.aws.churn import S3ChurnFiles

        return S3ChurnFiles(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def churn_learner(self) -> ChurnLearner | None:
        """XGBoost in process locally; None on AWS (SageMaker trains and scores)."""
        if self.is_local:
            from clarion.adapters.local.churn import XGBoostChurnLearner

            return XGBoostChurnLearner()
        return None

    @cached_property
    def churn_jobs(self) -> ChurnJobs:
        from clarion.adapters.aws.churn import SageMakerChurnJobs

        aws = self.settings.aws
        return SageMakerChurnJobs(
            self.client("sagemaker"),
            image_uri=aws.churn_image_uri,
            role_arn=aws.sagemaker_role_arn,
            instance_type=aws.churn_instance_type,
        )

    @cached_property
    def churn_queries(self) -> AthenaQueryStarter:
        """Starts the features query on Athena without waiting (AWS only)."""
        from clarion.adapters.aws.churn import AthenaQueryStarter

        aws = self.settings.aws
        return AthenaQueryStarter(
            self.client("athena"),
            aws.athena_workgroup,
            aws.glue_database,
            aws.athena_output or None,
        )

    @cached_property
    def churn_columnar_data(self) -> ColumnarAnalytics | None:
        """Features as Arrow columns, and simulated events written as columns (local)."""
        if not self.is_local:
            return None
        from clarion.adapters.local.churn import DuckDBChurnData

        return DuckDBChurnData(self.local_database)

    @cached_property
    def churn_service(self) -> ChurnService:
        from dataclasses import replace

        from clarion.domain.churn import ChurnConfig
        from clarion.services.churn import ChurnService, EngineLauncher

        config = ChurnConfig()
        if self.settings.churn_threshold is not None:
            config = replace(config, threshold=self.settings.churn_threshold)
        if self.settings.churn_holdout_percent is not None:
            config = replace(config, holdout_percent=self.settings.churn_holdout_percent)
        return ChurnService(
            self.profile_store,
            self.analytics_query,
            self.churn_model_store,
            self.segment_service,
            learner=self.churn_learner,
            events=self.event_sink if self.is_local else None,
            launcher=EngineLauncher(lambda: self.campaign_service, lambda: self.template_service),
            reports=self.settings.home / "reports" if self.is_local else None,
            app_id=self.app_id,
            config=config,
            columnar=self.churn_columnar_data,
        )
