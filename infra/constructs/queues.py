"""Dead-letter queues: encrypted, TLS-only, kept long enough to investigate."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge


class DeadLetterQueue(Construct):
    """An SQS queue for what a function or rule could not process (14 days)."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue; messages end here.",
        )
