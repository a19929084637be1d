"""Journeys on AWS: the participants table, the journey functions, the tick state
machine with its schedule, failure topic and alarms, and the journeys' consumer of the
events stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from infra.constructs.journey_functions import DUE_INDEX, JourneyFunctions
from infra.constructs.journey_tick import DEFAULT_TICK_SCHEDULE, JourneyTick
from infra.constructs.messaging_channels import sends_table_name
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps, options_from_context
from infra.stacks.messaging_stack import MessagingOptions


@dataclass(frozen=True, slots=True)
class JourneyOptions:
    """Journey choices of a deployment (CDK context keys in brackets).

    Attributes
    ----------
    tick_schedule
        EventBridge Scheduler expression of the tick, UTC [``journeys_tick_schedule``]:
        every 5 minutes, so a wait ends at most 5 minutes late.
    failure_email
        Address subscribed to the tick's failure topic [``journeys_failure_email``]
        (empty: subscribe someone to the ``JourneyFailureTopic`` output).
    """

    tick_schedule: str = DEFAULT_TICK_SCHEDULE
    failure_email: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> JourneyOptions:
        return options_from_context(cls, scope, "journeys")


@dataclass(frozen=True, slots=True)
class JourneysStackProps(FeatureStackProps):
    """``depends_on``: the events stack (events stream, configuration sets) and the
    messaging stack (sends table)."""

    messaging: MessagingOptions = field(default_factory=MessagingOptions)
    journeys: JourneyOptions = field(default_factory=JourneyOptions)
    pinpoint_app_id: str = ""


class JourneysStack(FeatureStack):
    """The participants table, the journey functions and the tick.

    Shared resources are reached by name (bucket, tables, events stream, configuration
    sets) or come from the data stack as typed props (key, catalog, workgroup).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: JourneysStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data, options = self.config, self.data, props.journeys
        prefix = config.resource_prefix
        # Participants (one item per journey and endpoint) and their counters; the
        # sparse due index holds only participants waiting for a time, by shard.
        # clarion.adapters.aws.journeys.participant_store.journeys_table_spec is the same.
        self.table = dynamodb.Table(
            self,
            "Participants",
            table_name=config.journeys_table_name,
            partition_key=dynamodb.Attribute(name="Pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="Sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=data.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.deletion_protection,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table.add_global_secondary_index(
            index_name=DUE_INDEX,
            partition_key=dynamodb.Attribute(name="DueShard", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="DueAt", type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        events_stream = kinesis.Stream.from_stream_attributes(
            self,
            "EventsStream",
            stream_arn=self.format_arn(
                service="kinesis", resource="stream", resource_name=config.events_stream_name
            ),
            encryption_key=data.key,
        )
        self.functions = JourneyFunctions(
            self,
            "Functions",
            runtime=self.runtime,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            journeys_table_name=config.journeys_table_name,
            delivery=props.messaging.delivery_settings(
                config,
                sends_table_name=sends_table_name(prefix),
                pinpoint_app_id=props.pinpoint_app_id,
            ),
            events_stream=events_stream,
        )
        self.tick = JourneyTick(
            self,
            "Tick",
            resource_prefix=prefix,
            functions=self.functions,
            data_key=data.key,
            bucket_name=self.bucket_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            log_retention=self.log_retention,
            failure_email=options.failure_email,
            schedule=options.tick_schedule,
        )
        # What the CLI needs (as CLARION_* variables), and where failures are announced.
        self.add_outputs(
            {
                "JourneysTable": self.table.table_name,
                "JourneyTickStateMachineArn": self.tick.state_machine.state_machine_arn,
                "JourneyFailureTopic": self.tick.failure_topic.topic_arn,
            }
        )
