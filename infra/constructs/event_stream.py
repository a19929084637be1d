"""The engagement-events Kinesis data stream every event passes through."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.nag import acknowledge


class EventStream(Construct):
    """An on-demand Kinesis data stream encrypted with the customer-managed ``key``.

    Writers: the ingest function (PutEvents, SES and SMS event destinations) and the
    campaign engine. Readers: the consumer function (real-time effects) and Firehose
    (the Parquet lake). On-demand capacity follows the traffic of campaign sends, which
    comes in bursts.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_name: str,
        key: kms.IKey,
        retention: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=stream_name,
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=key,
            retention_period=retention or Duration.hours(24),
        )
        self.key = key
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "Encrypted with Clarion's customer-managed key (rotating, one key policy for "
            "all data) rather than the AWS-managed aws/kinesis key.",
        )

    def grant_put(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` put records (and nothing else) on the stream."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kinesis:PutRecords", "kinesis:PutRecord"],
                resources=[self.stream.stream_arn],
            )
        )
        # Kinesis server-side encryption asks for a data key under the writer's identity.
        self.key.grant(grantee, "kms:GenerateDataKey")

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` read the stream as a Firehose source does."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ],
                resources=[self.stream.stream_arn],
            )
        )
        self.key.grant(grantee, "kms:Decrypt")
