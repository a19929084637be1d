"""Campaign runs on AWS: functions, state machine, scheduling and messaging resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.campaign_functions import CampaignFunctions, DeliverySettings
from infra.constructs.campaign_pipeline import CampaignPipeline
from infra.constructs.campaign_scheduling import CampaignScheduling
from infra.constructs.messaging_channels import MessagingChannels, PushCredentials
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps, options_from_context


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
        Secret holding each webhook host's signing secret (a JSON object of host to
        secret) [``messaging_webhook_secret_arn``].
    webhook_allowed_hosts
        The hosts custom-channel webhooks may name, comma-separated (``*.example.com``
        for its subdomains); empty: no webhook is sent [``messaging_webhook_allowed_hosts``].
    custom_lambda_arns
        The Lambda functions custom channels may invoke, comma-separated ARNs; the
        sending functions get ``lambda:InvokeFunction`` on exactly these, and on none
        when empty [``messaging_custom_lambda_arns``].
    """

    email_identity: str = ""
    from_address: str = ""
    sms_origination_identity: str = ""
    push_enabled: bool = False
    apns_secret: str = ""
    fcm_secret: str = ""
    webhook_secret_arn: str = ""
    webhook_allowed_hosts: str = ""
    custom_lambda_arns: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> MessagingOptions:
        return options_from_context(cls, scope, "messaging")

    def delivery_settings(
        self, config: ClarionConfig, *, sends_table_name: str, pinpoint_app_id: str
    ) -> DeliverySettings:
        """What functions that send messages deliver with, for this deployment."""
        return DeliverySettings(
            app_id=config.app_id,
            events_stream_name=config.events_stream_name,
            sends_table_name=sends_table_name,
            ses_configuration_set_name=config.ses_configuration_set_name,
            sms_configuration_set_name=config.sms_configuration_set_name,
            from_address=self.from_address,
            ses_identity=self.email_identity,
            sms_origination_identity=self.sms_origination_identity,
            pinpoint_app_id=pinpoint_app_id,
            webhook_secret_arn=self.webhook_secret_arn,
            webhook_allowed_hosts=self.webhook_allowed_hosts,
            custom_lambda_arns=tuple(
                arn.strip() for arn in self.custom_lambda_arns.split(",") if arn.strip()
            ),
        )


@dataclass(frozen=True, slots=True)
class MessagingStackProps(FeatureStackProps):
    """``depends_on``: the events stack (it owns the configuration sets and stream)."""

    messaging: MessagingOptions = field(default_factory=MessagingOptions)


class MessagingStack(FeatureStack):
    """The campaign-run state machine and its functions, the schedule group and role,
    the sends table, the SES identity and, with push enabled, the Pinpoint app.

    Shared resources are reached by name (bucket, tables, events stream, configuration
    sets) or come from the data stack as typed props (key, catalog, workgroup).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: MessagingStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data, options = self.config, self.data, props.messaging
        prefix = config.resource_prefix
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
        self.functions = CampaignFunctions(
            self,
            "Functions",
            runtime=self.runtime,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            delivery=options.delivery_settings(
                config,
                sends_table_name=self.channels.sends_table.table_name,
                pinpoint_app_id=self.channels.pinpoint_app_id,
            ),
        )
        self.pipeline = CampaignPipeline(
            self,
            "Pipeline",
            state_machine_name=config.campaign_state_machine_name,
            functions=self.functions,
            key=data.key,
            bucket_name=self.bucket_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            log_retention=self.log_retention,
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
        self.add_outputs(outputs)
