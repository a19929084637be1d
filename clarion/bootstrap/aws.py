"""The AWS backend's adapters (boto3 with standard retries), each made on first use,
on clients made on first use: a Lambda function that needs one service pays only for
that service's client and adapters (and never imports duckdb)."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from clarion.bootstrap.settings import Settings

if TYPE_CHECKING:
    from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore
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
        ChurnModelStore,
        ChurnQueryStarter,
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


class AwsAdapters:
    """Adapters of a deployed stack, on the resources ``settings.aws`` names.

    Parameters
    ----------
    settings
        The process settings (``settings.aws`` names the deployed resources).
    **clients
        Pre-built boto3 clients keyed by service name (tests pass moto-backed ones);
        any other client is made on first use.

    A project other than the default one (``for_project``) shares the tables, bucket and
    clients, and keys everything it owns with its prefix (``app#<id>#``): endpoints,
    segments and campaigns; its segments read only its endpoints of the lake. Templates
    and the project registry are account-wide.
    """

    import_batch_size = 1000
    # A journey batch within one Lambda invocation's time (sends included).
    journey_batch_size = 500
    # Imports run as jobs of batch workers (Step Functions), row by row in each piece.
    columnar_endpoint_import = None
    columnar_event_ingest = None  # every record goes onto the events stream
    applies_event_effects_inline = False  # the events stream's consumer applies them
    reports_folder = None
    churn_learner = None  # SageMaker trains and scores
    churn_columnar_data = None
    churn_event_sink = None
    churn_simulator = None  # simulated history is demo data of the local backend

    def __init__(
        self, settings: Settings, *, root: AwsAdapters | None = None, **clients: Any
    ) -> None:
        self.settings = settings
        self._root = root
        self._clients: dict[str, Any] = root._clients if root is not None else dict(clients)

    @property
    def root(self) -> AwsAdapters:
        return self._root or self

    @property
    def key_prefix(self) -> str:
        """The prefix of this project's keys ("" for the default project)."""
        if self._root is None:
            return ""
        from clarion.adapters.aws.audience.profile_store import project_key_prefix

        return project_key_prefix(self.settings.app_id)

    @property
    def upload_prefix(self) -> str | None:
        """Uploaded import files: under ``uploads/`` of the data bucket, per project."""
        bucket = self.settings.aws.data_bucket
        if not bucket:
            return None
        return f"s3://{bucket}/uploads/{self.settings.app_id}"

    @property
    def export_prefix(self) -> str | None:
        """Exports asked without a location: under ``exports/`` of the data bucket."""
        bucket = self.settings.aws.data_bucket
        return f"s3://{bucket}/exports/{self.settings.app_id}" if bucket else None

    def for_project(self, app_id: str) -> AwsAdapters:
        """The adapters of project ``app_id`` (module docstring)."""
        root = self.root
        if app_id == root.settings.app_id:
            return root
        return AwsAdapters(replace(root.settings, app_id=app_id), root=root)

    @cached_property
    def project_store(self) -> ProjectStore:
        """The project registry and per-project documents (the definitions table)."""
        if self._root is not None:
            return self._root.project_store
        from clarion.adapters.aws.common.project_store import DynamoDBProjectStore

        return DynamoDBProjectStore(self.client("dynamodb"), self.settings.aws.definitions_table)

    def client(self, service: str) -> Any:
        """A boto3 client with standard retries (or the one given for ``service``)."""
        if service not in self._clients:
            from clarion.adapters.aws.common.clients import make_client

            self._clients[service] = make_client(service, self.settings.aws.region)
        return self._clients[service]

    # -- audience, segments, templates ------------------------------------------------

    @cached_property
    def _dynamodb_profiles(self) -> DynamoDBProfileStore:
        from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore

        return DynamoDBProfileStore(
            self.client("dynamodb"), self.settings.aws.endpoints_table, key_prefix=self.key_prefix
        )

    @property
    def profile_store(self) -> ProfileStore:
        return self._dynamodb_profiles

    @property
    def endpoint_locator(self) -> EndpointLocator:
        """The endpoints table's AddressIndex."""
        return self._dynamodb_profiles

    @cached_property
    def personal_data_eraser(self) -> PersonalDataEraser:
        """The data bucket's text datasets, and the Parquet lake through its erase
        workflow where it is deployed (found and reported otherwise)."""
        from clarion.adapters.aws.audience.personal_data_eraser import S3PersonalDataEraser

        arn = self.settings.aws.erase_state_machine_arn
        return S3PersonalDataEraser(
            self.client("s3"),
            self.settings.aws.data_bucket,
            stepfunctions=self.client("stepfunctions") if arn else None,
            erase_state_machine_arn=arn,
            key_prefix=self.key_prefix,
        )

    @cached_property
    def lake_rewriter(self) -> LakeRewriter | None:
        """The erase workflow's S3 and Athena-results steps."""
        from clarion.adapters.aws.audience.lake_rewriter import S3LakeRewriter

        return S3LakeRewriter(
            self.client("s3"), self.client("athena"), self.settings.aws.data_bucket
        )

    @cached_property
    def segment_repository(self) -> SegmentRepository:
        from clarion.adapters.aws.segments.segment_repository import DynamoDBSegmentRepository

        aws = self.settings.aws
        return DynamoDBSegmentRepository(
            self.client("dynamodb"),
            aws.definitions_table,
            self.client("s3"),
            aws.data_bucket,
            key_prefix=self.key_prefix,
        )

    @cached_property
    def audience_query(self) -> AudienceQuery:
        from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery

        aws = self.settings.aws
        return AthenaAudienceQuery(
            self.client("athena"),
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
            project_prefix=self.key_prefix or None,
        )

    @cached_property
    def job_files(self) -> JobFiles:
        """Import and export job files: s3:// URLs."""
        from clarion.adapters.aws.audience.job_files import S3JobFiles

        return S3JobFiles(self.client("s3"))

    @cached_property
    def import_job_starter(self) -> ImportJobStarter | None:
        """The import-job state machine (None where it is not deployed: jobs then run
        within the call)."""
        arn = self.settings.aws.import_job_state_machine_arn
        if not arn:
            return None
        from clarion.adapters.aws.audience.import_job_starter import (
            StepFunctionsImportJobStarter,
        )

        return StepFunctionsImportJobStarter(self.client("stepfunctions"), arn)

    @cached_property
    def template_repository(self) -> TemplateRepository:
        """Account-wide (templates have no project in Pinpoint's API)."""
        if self._root is not None:
            return self._root.template_repository
        from clarion.adapters.aws.templates.template_repository import (
            DynamoDBTemplateRepository,
        )

        return DynamoDBTemplateRepository(
            self.client("dynamodb"), self.settings.aws.definitions_table
        )

    @cached_property
    def import_file_store(self) -> ImportFileStore:
        """Any bucket an S3 event names (the data bucket's ``imports/``)."""
        from clarion.adapters.aws.audience.import_file_store import S3ImportFileStore

        return S3ImportFileStore(self.client("s3"))

    @cached_property
    def endpoint_change_feed(self) -> EndpointChangeFeed:
        from clarion.adapters.aws.audience.endpoint_change_feed import (
            FirehoseEndpointChangeFeed,
        )

        return FirehoseEndpointChangeFeed(
            self.client("firehose"), self.settings.aws.endpoint_changes_stream
        )

    @cached_property
    def endpoint_compactor(self) -> EndpointCompactor:
        from clarion.adapters.aws.audience.endpoint_compactor import AthenaEndpointCompactor

        aws = self.settings.aws
        return AthenaEndpointCompactor(
            self.client("athena"),
            aws.compaction_sql,
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
            s3=self.client("s3"),
            bucket=aws.data_bucket,
        )

    # -- messaging and campaigns ------------------------------------------------------

    @cached_property
    def delivery_channel(self) -> DeliveryChannel:
        from clarion.adapters.aws.messaging.delivery_channel import AwsDeliveryChannel

        return AwsDeliveryChannel(
            self.client("sesv2"),
            self.client("pinpoint-sms-voice-v2"),
            self.client("pinpoint"),
            self.client("lambda"),
            self.client("secretsmanager"),
            self.settings.aws,
            max_workers=self.settings.aws.delivery_threads,
        )

    @cached_property
    def send_ledger(self) -> SendLedger:
        from clarion.adapters.aws.messaging.send_ledger import DynamoDBSendLedger

        return DynamoDBSendLedger(self.client("dynamodb"), self.settings.aws.sends_table)

    @cached_property
    def message_counts(self) -> MessageCounts:
        """The message governor's counts (the sends table)."""
        from clarion.adapters.aws.messaging.message_counts import DynamoDBMessageCounts

        return DynamoDBMessageCounts(self.client("dynamodb"), self.settings.aws.sends_table)

    @cached_property
    def campaign_hooks(self) -> CampaignHookInvoker:
        """CampaignHooks: Lambda invoked synchronously, or a webhook."""
        from clarion.adapters.aws.campaigns.campaign_hook import LambdaCampaignHook

        return LambdaCampaignHook(self.client("lambda"))

    @cached_property
    def campaign_repository(self) -> CampaignRepository:
        from clarion.adapters.aws.campaigns.campaign_repository import (
            DynamoDBCampaignRepository,
        )

        return DynamoDBCampaignRepository(
            self.client("dynamodb"), self.settings.aws.definitions_table, key_prefix=self.key_prefix
        )

    @cached_property
    def campaign_run_starter(self) -> CampaignRunStarter:
        from clarion.adapters.aws.campaigns.campaign_run_starter import StepFunctionsRunStarter

        return StepFunctionsRunStarter(
            self.client("stepfunctions"),
            self.settings.aws.campaign_state_machine_arn,
            # Another project's runs name it; the default project's inputs stay as they were.
            app_id=self.settings.app_id if self._root is not None else None,
        )

    @cached_property
    def campaign_scheduler(self) -> CampaignScheduler:
        """EventBridge Scheduler schedules that start the campaign state machine."""
        from clarion.adapters.aws.campaigns.campaign_scheduler import (
            EventBridgeCampaignScheduler,
        )

        aws = self.settings.aws
        return EventBridgeCampaignScheduler(
            self.client("scheduler"),
            group_name=aws.campaign_schedule_group,
            role_arn=aws.campaign_scheduler_role_arn,
            state_machine_arn=aws.campaign_state_machine_arn,
            app_id=self.settings.app_id if self._root is not None else None,
        )

    @cached_property
    def campaign_audience_query(self) -> CampaignAudienceQuery:
        from clarion.adapters.aws.campaigns.campaign_audience_query import (
            AthenaCampaignAudienceQuery,
        )

        aws = self.settings.aws
        return AthenaCampaignAudienceQuery(
            self.client("athena"),
            aws.athena_workgroup,
            aws.glue_database,
            aws.athena_output or None,
        )

    @cached_property
    def campaign_batch_store(self) -> CampaignBatchStore:
        from clarion.adapters.aws.campaigns.campaign_batch_store import S3CampaignBatchStore

        return S3CampaignBatchStore(self.client("s3"), self.settings.aws.data_bucket)

    # -- journeys -----------------------------------------------------------------------

    @cached_property
    def journey_repository(self) -> JourneyRepository:
        from clarion.adapters.aws.journeys.journey_repository import DynamoDBJourneyRepository

        return DynamoDBJourneyRepository(
            self.client("dynamodb"), self.settings.aws.definitions_table, key_prefix=self.key_prefix
        )

    @cached_property
    def participant_store(self) -> ParticipantStore:
        from clarion.adapters.aws.journeys.participant_store import DynamoDBParticipantStore

        return DynamoDBParticipantStore(self.client("dynamodb"), self.settings.aws.journeys_table)

    # -- events and analytics ---------------------------------------------------------

    @cached_property
    def event_sink(self) -> EventSink:
        from clarion.adapters.aws.events.event_sink import KinesisEventSink

        return KinesisEventSink(self.client("kinesis"), self.settings.aws.events_stream)

    @cached_property
    def event_forwarder(self) -> EventForwarder:
        """Projects' own Kinesis or Firehose streams, with their roles assumed."""
        from clarion.adapters.aws.common.clients import make_client_with_credentials
        from clarion.adapters.aws.events.event_forwarder import AwsEventForwarder

        return AwsEventForwarder(self.client("sts"), make_client_with_credentials)

    @cached_property
    def dead_letter_sink(self) -> DeadLetterSink:
        from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink

        return S3DeadLetterSink(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def analytics_query(self) -> AnalyticsQuery:
        from clarion.adapters.aws.analytics.analytics_query import AthenaAnalyticsQuery

        aws = self.settings.aws
        return AthenaAnalyticsQuery(
            self.client("athena"),
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
        )

    @cached_property
    def conversion_goal_store(self) -> ConversionGoalStore:
        from clarion.adapters.aws.analytics.goal_store import DynamoDBConversionGoalStore

        return DynamoDBConversionGoalStore(
            self.client("dynamodb"), self.settings.aws.definitions_table
        )

    # -- sentiment ----------------------------------------------------------------------

    @cached_property
    def sentiment_analyzer(self) -> SentimentAnalyzer:
        from clarion.adapters.aws.sentiment.sentiment_analyzer import (
            ComprehendSentimentAnalyzer,
        )

        return ComprehendSentimentAnalyzer(
            self.client("comprehend"), detect_entities=self.settings.aws.comprehend_entities
        )

    @cached_property
    def handle_lookup(self) -> HandleLookup:
        from clarion.adapters.aws.sentiment.social_store import DynamoDBHandleLookup

        aws = self.settings.aws
        return DynamoDBHandleLookup(
            self.client("dynamodb"), aws.endpoints_table, aws.social_handle_index
        )

    @cached_property
    def post_dedupe_store(self) -> PostDedupeStore:
        from clarion.adapters.aws.sentiment.social_store import DynamoDBPostDedupeStore

        return DynamoDBPostDedupeStore(self.client("dynamodb"), self.settings.aws.social_table)

    @cached_property
    def social_author_store(self) -> SocialAuthorStore:
        from clarion.adapters.aws.sentiment.social_store import DynamoDBSocialAuthorStore

        return DynamoDBSocialAuthorStore(self.client("dynamodb"), self.settings.aws.social_table)

    @cached_property
    def post_queue(self) -> PostQueue:
        from clarion.adapters.aws.sentiment.post_queue import KinesisPostQueue

        return KinesisPostQueue(self.client("kinesis"), self.settings.aws.posts_stream)

    # -- churn ----------------------------------------------------------------------------

    @cached_property
    def churn_model_store(self) -> ChurnModelStore:
        from clarion.adapters.aws.churn.model_store import S3ChurnModelStore

        return S3ChurnModelStore(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def churn_files(self) -> ChurnFiles:
        from clarion.adapters.aws.churn.files import S3ChurnFiles

        return S3ChurnFiles(self.client("s3"), self.settings.aws.data_bucket)

    @cached_property
    def churn_jobs(self) -> ChurnJobs:
        from clarion.adapters.aws.churn.jobs import SageMakerChurnJobs

        aws = self.settings.aws
        return SageMakerChurnJobs(
            self.client("sagemaker"),
            image_uri=aws.churn_image_uri,
            role_arn=aws.sagemaker_role_arn,
            instance_type=aws.churn_instance_type,
            kms_key=aws.sagemaker_kms_key,
        )

    @cached_property
    def churn_queries(self) -> ChurnQueryStarter:
        from clarion.adapters.aws.churn.query_starter import AthenaQueryStarter

        aws = self.settings.aws
        return AthenaQueryStarter(
            self.client("athena"),
            aws.athena_workgroup,
            aws.glue_database,
            aws.athena_output or None,
        )
