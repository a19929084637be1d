"""Campaign runs on AWS: functions, state machine, scheduling and messaging resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.campaign_functions import CampaignFunctions, DeliverySettings
from infra.constructs.campaign_pipeline import CampaignPipeline
from infra.constructs.campaign_scheduling import CampaignScheduling
from infra.constructs.data_lake import data_bucket_name
from infra.constructs.lambda_runtime import ClarionEnvironment, LambdaRuntime, log_retention
from infra.constructs.messaging_channels import MessagingChannels, PushCredentials
from infra.stacks.data_stack import DataStack


@dataclass(frozen=True, slots=True)
class MessagingOptions:
    """Messaging choices of a deployment (CDK context keys in brackets).

    Attributes
    ----------
    email_identity
        SES identity to create and send from: a domain or an address
        [``messaging_email_identity``]. Empty: identities are managed outside the stack
        (the send grant then covers every identity of the account, acknowledged).
    from_address
        Default sender (``CLARION_FROM_ADDRESS``) [``messaging_from_address``].
    sms_origination_identity
        Phone number, sender id, pool or its ARN [``messaging_sms_origination_identity``].
    push_enabled
        Create the Pinpoint app and push channels [``messaging_push_enabled``].
    apns_secret, fcm_secret
        Secrets Manager names of the push credentials (``PushCredentials``)
        [``messaging_apns_secret``, ``messaging_fcm_secret``].
    webhook_secret_arn
        Secret signing custom-channel webhooks [``messaging_webhook_secret_arn``].
    """

    email_identity: str = ""
    from_address: str = ""
    sms_origination_identity: str = ""
    push_enabled: bool = False
    apns_secret: str = ""
    fcm_secret: str = ""
    webhook_secret_arn: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> MessagingOptions:
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            raw = scope.node.try_get_context(f"messaging_{name}")
            if raw is None:
                continue
            if name == "push_enabled":
                values[name] = raw if isinstance(raw, bool) else str(raw).lower() == "true"
            else:
                values[name] = str(raw)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class MessagingStackProps:
    config: ClarionConfig
    data: DataStack
    runtime_deps_dir: Path
    messaging: MessagingOptions = field(default_factory=MessagingOptions)
    # Stacks to deploy first (the events stack owns the configuration sets and stream).
    depends_on: tuple[Stack, ...] = ()


class MessagingStack(Stack):
    """The campaign-run state machine and its functions, the schedule group and role,
    the sends table, the SES identity and, with push enabled, the Pinpoint app.

    Shared resources are reached by name (bucket, tables, events stream, configuration
    sets) or come from the data stack as typed props (key, catalog, workgroup).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: MessagingStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config, data, options = props.config, props.data, props.messaging
        self.add_stack_dependency(data)
        for stack in props.depends_on:
            self.add_stack_dependency(stack)
        prefix = config.resource_prefix
        bucket_name = data_bucket_name(self, prefix)
        self.channels = MessagingChannels(
            self,
            "Channels",
            key=data.key,
            resource_prefix=prefix,
            email_identity=options.email_identity,
            ses_configuration_set_name=config.ses_configuration_set_name,
            deletion_protection=config.deletion_protection,
            push=(
                PushCredentials(apns_secret=options.apns_secret, fcm_secret=options.fcm_secret)
                if options.push_enabled
                else None
            ),
        )
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
        self.functions = CampaignFunctions(
            self,
            "Functions",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            delivery=DeliverySettings(
                app_id=config.app_id,
                events_stream_name=config.events_stream_name,
                sends_table_name=self.channels.sends_table.table_name,
                ses_configuration_set_name=config.ses_configuration_set_name,
                sms_configuration_set_name=config.sms_configuration_set_name,
                from_address=options.from_address,
                ses_identity=options.email_identity,
                sms_origination_identity=options.sms_origination_identity,
                pinpoint_app_id=self.channels.pinpoint_app_id,
                webhook_secret_arn=options.webhook_secret_arn,
            ),
        )
        self.pipeline = CampaignPipeline(
            self,
            "Pipeline",
            state_machine_name=f"{prefix}-campaign-run",
            functions=self.functions,
            key=data.key,
            bucket_name=bucket_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            log_retention=log_retention(config.log_retention_days),
        )
        self.scheduling = CampaignScheduling(
            self,
            "Scheduling",
            group_name=f"{prefix}-campaigns",
            state_machine_arn=self.pipeline.state_machine_arn,
        )
        # What the CLI needs (as CLARION_* variables) to launch and schedule runs.
        outputs = {
            "SendsTable": self.channels.sends_table.table_name,
            "CampaignStateMachineArn": self.pipeline.state_machine.state_machine_arn,
            "CampaignScheduleGroup": self.scheduling.group_name,
            "CampaignSchedulerRoleArn": self.scheduling.role.role_arn,
            "CampaignFailureTopic": self.pipeline.failure_topic.topic_arn,
        }
        if options.push_enabled:
            outputs["PinpointAppId"] = self.channels.pinpoint_app_id
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
