"""What the AWS adapters share: boto3 clients with standard retries, DynamoDB and Kinesis
helpers."""

from clarion.adapters.aws.common.clients import RETRY_CONFIG, make_client
from clarion.adapters.aws.common.dynamo import (
    VersionedDocuments,
    conditional_check_failed,
    dumps,
    pk_sk_table_spec,
)
from clarion.adapters.aws.common.kinesis import chunks, put_records
from clarion.adapters.aws.common.retry import backoff_delay

__all__ = [
    "RETRY_CONFIG",
    "VersionedDocuments",
    "backoff_delay",
    "chunks",
    "conditional_check_failed",
    "dumps",
    "make_client",
    "pk_sk_table_spec",
    "put_records",
]
