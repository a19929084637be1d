"""Engagement events: the stream, ingestion, the consumer, the lake and its analytics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from constructs import Construct

from infra.constructs.dashboard import EventsDashboard
from infra.constructs.event_analytics import EventAnalytics
from infra.constructs.event_consumer import CONSUMER_SERVICE_NAME, EventConsumer
from infra.constructs.event_ingest import INGEST_SERVICE_NAME, EventIngest
from infra.constructs.event_lake import EventLake
from infra.constructs.event_stream import EventStream
from infra.constructs.messaging_config_sets import MessagingConfigurationSets
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps


@dataclass(frozen=True, slots=True)
class EventsStackProps(FeatureStackProps):
    """The events stack takes only what every feature stack does."""


class EventsStack(FeatureStack):
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
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data = self.config, self.data
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
            stream=self.stream,
            endpoints_table_name=config.endpoints_table_name,
            app_id=config.app_id,
        )
        self.lake = EventLake(
            self,
            "Lake",
            stream=self.stream,
            key=data.key,
            bucket_name=self.bucket_name,
            catalog=data.catalog,
            delivery_stream_name=config.events_delivery_stream_name,
            log_retention=self.log_retention,
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
        self.add_outputs(outputs)
