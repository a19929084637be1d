"""Messaging resources of campaign runs: the SES sending identity, the sends table (send
ledger: idempotency records and caps) and, only when push is enabled, the Pinpoint app
with its APNs and FCM channels.

The SES and SMS configuration sets belong to the events stack
(``infra/constructs/messaging_config_sets.py``): they are reused here by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_pinpoint as pinpoint
from aws_cdk import aws_ses as ses
from constructs import Construct

# The send ledger's TTL attribute (clarion.adapters.aws.messaging.send_ledger, epoch seconds).
SENDS_TTL_ATTRIBUTE = "ExpiresAt"


def sends_table_name(resource_prefix: str) -> str:
    """The sends table's fixed name (``CLARION_SENDS_TABLE``)."""
    return f"{resource_prefix}-sends"


@dataclass(frozen=True, slots=True)
class PushCredentials:
    """Where the push channels' credentials live: Secrets Manager secret names, read by
    CloudFormation dynamic references at deploy time (never in the template).

    ``apns_secret`` holds JSON ``{"TokenKey", "TokenKeyId", "TeamId", "BundleId"}`` (token
    authentication); ``fcm_secret`` holds JSON ``{"ServiceJson"}`` (the FCM service
    account file, token authentication). An empty name leaves that channel out.
    """

    apns_secret: str = ""
    fcm_secret: str = ""
    apns_sandbox: bool = False


class MessagingChannels(Construct):
    """SES identity, sends table, optional Pinpoint app (module docstring).

    Parameters
    ----------
    email_identity
        A domain (``example.com``) or an address (``news@example.com``) to verify in
        SES; empty to manage identities outside the stack.
    ses_configuration_set_name
        The events stack's configuration set, made the identity's default.
    push
        Push channel credentials, or None for no Pinpoint app at all.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        resource_prefix: str,
        email_identity: str,
        ses_configuration_set_name: str,
        deletion_protection: bool,
        push: PushCredentials | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.email_identity_name = email_identity
        self.sends_table = dynamodb.Table(
            self,
            "Sends",
            table_name=sends_table_name(resource_prefix),
            partition_key=dynamodb.Attribute(name="Pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="Sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=SENDS_TTL_ATTRIBUTE,
            deletion_protection=deletion_protection,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.email_identity: ses.EmailIdentity | None = None
        if email_identity:
            identity = (
                ses.Identity.email(email_identity)
                if "@" in email_identity
                else ses.Identity.domain(email_identity)
            )
            self.email_identity = ses.EmailIdentity(
                self,
                "EmailIdentity",
                identity=identity,
                configuration_set=ses.ConfigurationSet.from_configuration_set_name(
                    self, "ConfigurationSet", ses_configuration_set_name
                ),
            )

        self.pinpoint_app: pinpoint.CfnApp | None = None
        if push is not None:
            self.pinpoint_app = pinpoint.CfnApp(self, "PushApp", name=f"{resource_prefix}-push")
            app_id = self.pinpoint_app.ref
            if push.apns_secret:
                apns = _secret_field(push.apns_secret)
                apns_channel = (
                    pinpoint.CfnAPNSSandboxChannel if push.apns_sandbox else pinpoint.CfnAPNSChannel
                )
                apns_channel(
                    self,
                    "ApnsSandbox" if push.apns_sandbox else "Apns",
                    application_id=app_id,
                    enabled=True,
                    default_authentication_method="TOKEN",
                    token_key=apns("TokenKey"),
                    token_key_id=apns("TokenKeyId"),
                    team_id=apns("TeamId"),
                    bundle_id=apns("BundleId"),
                )
            if push.fcm_secret:
                fcm = _secret_field(push.fcm_secret)
                pinpoint.CfnGCMChannel(
                    self,
                    "Fcm",
                    application_id=app_id,
                    enabled=True,
                    default_authentication_method="TOKEN",
                    service_json=fcm("ServiceJson"),
                )

    @property
    def pinpoint_app_id(self) -> str:
        return self.pinpoint_app.ref if self.pinpoint_app is not None else ""

    def identity_arn(self) -> str | None:
        if not self.email_identity_name:
            return None
        return Stack.of(self).format_arn(
            service="ses", resource="identity", resource_name=self.email_identity_name
        )


def _secret_field(secret_name: str) -> Callable[[str], str]:
    """A reader of JSON fields of a secret as CloudFormation dynamic references
    (``{{resolve:secretsmanager:<name>:SecretString:<field>::}}``): CloudFormation reads
    the value at deploy time; the template holds only the reference."""

    def field(name: str) -> str:
        return SecretValue.secrets_manager(secret_name, json_field=name).unsafe_unwrap()

    return field
