"""The campaign-run functions: start, send batch, summarise, resume.

Each has its own role with only what its handler touches (docs/campaign-pipeline.md has
the table). The settings ``clarion.bootstrap.settings`` reads come from the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.data_lake import Prefixes
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    SENDS_READ,
    SENDS_WRITE,
    grant_objects,
    grant_table_data,
)

START_HANDLER = "lambdas.campaign_start.handler.handler"
SEND_BATCH_HANDLER = "lambdas.campaign_send_batch.handler.handler"
SUMMARISE_HANDLER = "lambdas.campaign_summarise.handler.handler"
RESUME_HANDLER = "lambdas.campaign_resume.handler.handler"
CAMPAIGN_SERVICE_NAME = "clarion-campaigns"
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?"
)
# Where the resume passes write their batches (lambdas/campaign_resume/handler.py).
CAMPAIGN_AUDIENCES_PREFIX = "campaign-audiences/"


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """What the send-batch function delivers with (``CLARION_*`` delivery settings).

    ``ses_identity`` is the verified SES identity (domain or address) mail is sent from;
    ``sms_origination_identity`` a phone number, sender id or pool (its ARN scopes the
    grant; a bare number or id is granted on the account's phone numbers, sender ids
    and pools); ``pinpoint_app_id`` is set only when push is enabled;
    ``webhook_allowed_hosts`` the hosts webhooks may name (``CLARION_WEBHOOK_ALLOWED_HOSTS``);
    ``custom_lambda_arns`` the functions custom channels may invoke (the only
    ``lambda:InvokeFunction`` grant).
    """

    app_id: str
    events_stream_name: str
    sends_table_name: str
    ses_configuration_set_name: str
    sms_configuration_set_name: str
    from_address: str = ""
    ses_identity: str = ""
    sms_origination_identity: str = ""
    pinpoint_app_id: str = ""
    webhook_secret_arn: str = ""
    webhook_allowed_hosts: str = ""
    custom_lambda_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for arn in self.custom_lambda_arns:
            # A function ARN, optionally with a version or alias: never a wildcard,
            # which would let a custom target invoke any function of the account.
            if not _FUNCTION_ARN.fullmatch(arn):
                raise ValueError(
                    "messaging_custom_lambda_arns must list Lambda function ARNs "
                    f"(arn:aws:lambda:<region>:<account>:function:<name>), not {arn!r}"
                )

    def as_variables(self) -> dict[str, str]:
        variables = {
            variable("app_id"): self.app_id,
            variable("events_stream"): self.events_stream_name,
            variable("sends_table"): self.sends_table_name,
            variable("ses_configuration_set"): self.ses_configuration_set_name,
            variable("sms_configuration_set"): self.sms_configuration_set_name,
            variable("from_address"): self.from_address,
            variable("sms_origination_identity"): self.sms_origination_identity,
            variable("pinpoint_app_id"): self.pinpoint_app_id,
            variable("webhook_secret_arn"): self.webhook_secret_arn,
            variable("webhook_allowed_hosts"): self.webhook_allowed_hosts,
        }
        return {name: value for name, value in variables.items() if value}


class CampaignFunctions(Construct):
    """The four handlers of the campaign-run state machine, least privilege each."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        endpoints_table_name: str,
        definitions_table_name: str,
        delivery: DeliverySettings,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        # The four share their service name and settings.
        function = partial(
            ClarionFunction,
            self,
            runtime=runtime,
            service_name=CAMPAIGN_SERVICE_NAME,
            extra_environment=delivery.as_variables(),
        )
        self.start = function(
            "Start",
            handler=START_HANDLER,
            description="Campaign run: plans the run and starts its batched audience query",
            # Where the state machine reads the audience CSV (athena-results/<id>.csv).
            extra_environment={
                **delivery.as_variables(),
                variable("athena_output"): f"s3://{bucket_name}/{Prefixes.ATHENA_RESULTS}",
            },
            memory_size=512,
            timeout=Duration.minutes(1),
        )
        self.send_batch = function(
            "SendBatch",
            handler=SEND_BATCH_HANDLER,
            description="Campaign run: decides, claims, renders, delivers and records a batch",
            memory_size=1024,
            # A batch of 500 at 1 message a second takes 500 s (clarion.domain.campaigns.send_rate).
            timeout=Duration.minutes(15),
        )
        self.summarise = function(
            "Summarise",
            handler=SUMMARISE_HANDLER,
            description="Campaign run: counts outcomes and says when deferred endpoints are due",
            memory_size=512,
            timeout=Duration.minutes(5),
        )
        self.resume = function(
            "Resume",
            handler=RESUME_HANDLER,
            description="Campaign run: writes the due deferred endpoints as the next batches",
            memory_size=512,
            timeout=Duration.minutes(5),
        )
        sends = delivery.sends_table_name
        # start: reads segments, templates and campaigns; writes the run record.
        grant_table_data(
            self.start.role,
            table_name=definitions_table_name,
            key=key,
            actions=DEFINITIONS_READ + DEFINITIONS_WRITE,
        )
        # send batch: definitions (run, campaign, templates), endpoints, the ledger.
        role = self.send_batch.role
        grant_table_data(role, table_name=definitions_table_name, key=key, actions=DEFINITIONS_READ)
        grant_table_data(role, table_name=endpoints_table_name, key=key, actions=ENDPOINTS_READ)
        grant_table_data(role, table_name=sends, key=key, actions=SENDS_READ + SENDS_WRITE)
        grant_delivery(role, key, delivery)
        # summarise: the run record (and the campaign's state); the ledger, read.
        grant_table_data(
            self.summarise.role,
            table_name=definitions_table_name,
            key=key,
            actions=DEFINITIONS_READ + DEFINITIONS_WRITE,
        )
        grant_table_data(self.summarise.role, table_name=sends, key=key, actions=SENDS_READ)
        # resume: the ledger, read; the batches object, written.
        grant_table_data(self.resume.role, table_name=sends, key=key, actions=SENDS_READ)
        grant_objects(
            self.resume.role,
            bucket_name=bucket_name,
            prefix=CAMPAIGN_AUDIENCES_PREFIX,
            key=key,
            write=True,
            reason="Writes each resume pass's batches under campaign-audiences/<run id>/.",
        )

    @property
    def all(self) -> list[ClarionFunction]:
        return [self.start, self.send_batch, self.summarise, self.resume]


def grant_delivery(
    role: iam.IRole,
    key: kms.IKey,
    delivery: DeliverySettings,
    *,
    stream_actions: tuple[str, ...] = (
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:DescribeStreamSummary",
    ),
) -> None:
    """What delivering messages needs: SES, End User Messaging, Pinpoint push (when
    enabled), the webhook secret, and ``stream_actions`` on the events stream for the
    ``_campaign.send`` records."""
    stack = Stack.of(role)

    def arn(service: str, resource: str, name: str) -> str:
        return stack.format_arn(service=service, resource=resource, resource_name=name)

    # _campaign.send records to the events stream (encrypted with the key).
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(stream_actions),
            resources=[arn("kinesis", "stream", delivery.events_stream_name)],
        )
    )
    key.grant(role, "kms:GenerateDataKey")
    # Email: SES v2 SendEmail authorizes against the identity and the configuration set;
    # IAM cannot require the configuration set, so the grant names the one identity and
    # conditions the From address on it. No identity configured: no email grant at all
    # (IAM cannot tell "through the configuration set" from "from any identity").
    if delivery.ses_identity:
        identity = delivery.ses_identity
        from_condition = (
            {"StringEquals": {"ses:FromAddress": identity.lower()}}
            if "@" in identity
            else {"StringLike": {"ses:FromAddress": [f"*@{identity}", f"*@*.{identity}"]}}
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[
                    arn("ses", "identity", identity),
                    arn("ses", "configuration-set", delivery.ses_configuration_set_name),
                ],
                conditions=from_condition,
            )
        )
    else:
        Annotations.of(role).add_warning_v2(
            "clarion:no-ses-identity",
            "No SES identity is configured (messaging_email_identity): this function "
            "may not send email.",
        )
    # SMS and voice: End User Messaging authorizes against the configuration set and the
    # origination identity, which IAM can only name by its ARN.
    origination = delivery.sms_origination_identity
    if origination and not origination.startswith("arn:"):
        raise ValueError(
            "messaging_sms_origination_identity must be the ARN of the phone number, "
            f"sender id or pool (IAM scopes sends by ARN), not {origination!r}"
        )
    if origination:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage"],
                resources=[
                    arn("sms-voice", "configuration-set", delivery.sms_configuration_set_name),
                    origination,
                ],
            )
        )
    else:
        Annotations.of(role).add_warning_v2(
            "clarion:no-sms-origination-identity",
            "No SMS origination identity ARN is configured "
            "(messaging_sms_origination_identity): this function may not send SMS or "
            "voice messages.",
        )
    if delivery.pinpoint_app_id:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["mobiletargeting:SendMessages"],
                resources=[
                    stack.format_arn(
                        service="mobiletargeting",
                        resource="apps",
                        resource_name=f"{delivery.pinpoint_app_id}/messages",
                    )
                ],
            )
        )
    if delivery.webhook_secret_arn:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"],
                resources=[delivery.webhook_secret_arn],
            )
        )
    # Custom channels' Lambda targets: exactly the configured functions, none otherwise
    # (a target not listed fails with AccessDenied, a TEMPORARY_FAILURE until listed).
    if delivery.custom_lambda_arns:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=sorted(set(delivery.custom_lambda_arns)),
            )
        )
