"""The customer-managed KMS key that encrypts everything Clarion stores."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class EncryptionKey(Construct):
    """A rotating KMS key for tables, buckets, queues, streams and query results.

    Parameters
    ----------
    alias
        Alias of the key, without the ``alias/`` prefix.
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{alias}",
            description="Clarion: encrypts endpoint tables, the data lake, queues and streams",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # EventBridge delivers failed events to encrypted dead-letter queues under its
        # own service identity, so the key policy must let it encrypt for this account.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeDeadLetterQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        # CloudWatch Logs encrypts the log groups given this key (the API's access logs)
        # under its regional service identity, for this account's log groups only.
        stack = Stack.of(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
