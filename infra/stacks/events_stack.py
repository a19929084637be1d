"""Engagement events: the stream, ingestion, the consumer, the lake and its analytics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.dashboard import EventsDashboard
from infra.constructs.data_lake import data_bucket_name
from infra.constructs.event_analytics import EventAnalytics
from infra.constructs.event_consumer import CONSUMER_SERVICE_NAME, EventConsumer
from infra.constructs.event_ingest import INGEST_SERVICE_NAME, EventIngest
from infra.constructs.event_lake import EventLake
from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import ClarionEnvironment, LambdaRuntime, log_retention
from infra.constructs.messaging_config_sets import MessagingConfigurationSets
from infra.stacks.data_stack import DataStack


@dataclass(frozen=True, slots=True)
class EventsStackProps:
    config: ClarionConfig
    data: DataStack
    runtime_deps_dir: Path


class EventsStack(Stack):
    """Kinesis ``<prefix>-events``; the ingest function behind the PutEvents API and the
    SES/SMS configuration sets' destinations; the consumer applying real-time effects;
    Firehose to Parquet with the Glue table ``events``; the Athena views and saved
    queries; the dashboard and alarms.

    As in the audience stack, the shared bucket and tables are reached by their fixed
    names; the key, the catalog and the workgroup come from the data stack.
    ``ses_configuration_set_name`` and ``sms_configuration_set_name`` are what the
    messaging stack sets as ``CLARION_SES_CONFIGURATION_SET`` and
    ``CLARION_SMS_CONFIGURATION_SET``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: EventsStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config, data = props.config, props.data
        self.add_stack_dependency(data)
        bucket_name = data_bucket_name(self, config.resource_prefix)
        retention = log_retention(config.log_retention_days)
        self.runtime = LambdaRuntime(
            self,
            "Runtime",
            powertools_layer_version=config.powertools_layer_version,
            runtime_deps_dir=props.runtime_deps_dir,
            log_retention_days=config.log_retention_days,
            environment=ClarionEnvironment(
                endpoints_table=config.endpoints_table_name,
                definitions_table=config.definitions_table_name,
                data_bucket=bucket_name,
                glue_database=config.glue_database,
                athena_workgroup=config.athena_workgroup_name,
            ),
        )
        self.stream = EventStream(
            self, "Stream", stream_name=config.events_stream_name, key=data.key
        )
        self.config_sets = MessagingConfigurationSets(
            self,
            "ConfigurationSets",
            key=data.key,
            ses_configuration_set_name=config.ses_configuration_set_name,
            sms_configuration_set_name=config.sms_configuration_set_name,
        )
        self.ses_configuration_set_name = config.ses_configuration_set_name
        self.sms_configuration_set_name = config.sms_configuration_set_name
        self.ingest = EventIngest(
            self,
            "Ingest",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            stream=self.stream,
            config_sets=self.config_sets,
            app_id=config.app_id,
            api_name=f"{config.resource_prefix}-events",
            rate_limit=config.events_api_rate_limit,
            burst_limit=config.events_api_burst_limit,
        )
        self.consumer = EventConsumer(
            self,
            "Consumer",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            stream=self.stream,
            endpoints_table_name=config.endpoints_table_name,
            app_id=config.app_id,
        )
        self.lake = EventLake(
            self,
            "Lake",
            stream=self.stream,
            key=data.key,
            bucket_name=bucket_name,
            catalog=data.catalog,
            delivery_stream_name=config.events_delivery_stream_name,
            log_retention=retention,
        )
        self.analytics = EventAnalytics(
            self,
            "Analytics",
            catalog=data.catalog,
            workgroup=data.workgroup,
            events_table=self.lake.table,
        )
        self.dashboard = EventsDashboard(
            self,
            "Dashboard",
            dashboard_name=f"{config.resource_prefix}-events",
            consumer=self.consumer.function,
            consumer_service=CONSUMER_SERVICE_NAME,
            ingest=self.ingest.function,
            ingest_service=INGEST_SERVICE_NAME,
            stream=self.stream,
            delivery_stream_name=config.events_delivery_stream_name,
            dead_letter_queues={
                "Consumer": self.consumer.dead_letter_queue.queue,
                "Ingest": self.ingest.dead_letter_queue.queue,
            },
            iterator_age_alarm=Duration.minutes(config.events_iterator_age_alarm_minutes),
        )
        # What the CLI and the messaging stack need (as CLARION_* variables).
        outputs = {
            "EventsStream": self.stream.stream.stream_name,
            "SesConfigurationSet": self.ses_configuration_set_name,
            "SmsConfigurationSet": self.sms_configuration_set_name,
            "SmsEventsTopic": self.config_sets.sms_events_topic.topic_arn,
            "InboundSmsTopic": self.config_sets.inbound_sms_topic.topic_arn,
            "EventsApiUrl": self.ingest.api.url_for_path(self.ingest.put_events_path),
            "AppId": config.app_id,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
