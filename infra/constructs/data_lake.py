"""The S3 data lake: one KMS-encrypted bucket with a prefix per dataset."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge, skip_checkov


class Prefixes:
    """Key prefixes of the datasets in the data bucket (with their trailing slash)."""

    IMPORTS = "imports/"
    IMPORT_RESULTS = "import-results/"
    ENDPOINT_CHANGES = "endpoint-changes/"
    ENDPOINT_CHANGE_ERRORS = "endpoint-changes-errors/"
    ENDPOINT_SNAPSHOT = "endpoint-snapshot/"
    IMPORTED_SEGMENTS = "imported-segments/"
    ATHENA_RESULTS = "athena-results/"
    EVENTS = "events/"
    EVENT_ERRORS = "events-errors/"
    DEAD_LETTERS = "dead-letters/"
    EXPORTS = "exports/"
    CHURN = "churn/"
    CAMPAIGN_AUDIENCES = "campaign-audiences/"
    # The erase workflow's rewritten objects before they replace the originals.
    ERASE_STAGING = "erase-staging/"
    # Lambda's own layout for stream batches it gave up on (on-failure destination).
    STREAM_FAILURES = "aws/lambda/"


@dataclass(frozen=True, slots=True)
class DataLakeRetention:
    """How long each dataset is kept, in days."""

    endpoint_changes_days: int
    infrequent_access_after_days: int
    athena_results_days: int = 30
    noncurrent_versions_days: int = 30
    incomplete_uploads_days: int = 7
    imports_days: int = 30
    events_days: int = 395
    dead_letters_days: int = 30
    exports_days: int = 7
    churn_days: int = 90
    campaign_audiences_days: int = 14
    # 0: kept while the segment exists (deleting the segment removes its members).
    imported_segments_days: int = 0

    def expiring_prefixes(self) -> dict[str, int]:
        """Every prefix holding personal data with its expiry in days (0: never)."""
        return {
            Prefixes.IMPORTS: self.imports_days,
            Prefixes.IMPORT_RESULTS: self.imports_days,
            Prefixes.EVENTS: self.events_days,
            Prefixes.EVENT_ERRORS: self.events_days,
            Prefixes.DEAD_LETTERS: self.dead_letters_days,
            Prefixes.STREAM_FAILURES: self.dead_letters_days,
            Prefixes.EXPORTS: self.exports_days,
            Prefixes.CHURN: self.churn_days,
            Prefixes.CAMPAIGN_AUDIENCES: self.campaign_audiences_days,
            Prefixes.IMPORTED_SEGMENTS: self.imported_segments_days,
        }


def data_bucket_name(scope: Construct, resource_prefix: str) -> str:
    """The data bucket's name: fixed per account and region, so that every stack can
    name it (and its ARN) without a cross-stack reference."""
    stack = Stack.of(scope)
    return f"{resource_prefix}-data-{stack.account}-{stack.region}"


class DataLake(Construct):
    """The data bucket and the bucket its server access logs go to.

    The data bucket is KMS-encrypted with ``key``, TLS-only, private, versioned, logged,
    and sends its events to EventBridge (the import path listens for new objects under
    ``imports/``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        bucket_name: str,
        retention: DataLakeRetention,
    ) -> None:
        super().__init__(scope, construct_id)
        # S3 server access logging can only deliver to SSE-S3 buckets, not SSE-KMS.
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))
            ],
        )
        acknowledge(
            self.access_logs_bucket,
            "AwsSolutions-S1",
            "This bucket is the server access log destination; logging it would loop.",
        )
        skip_checkov(
            self.access_logs_bucket,
            "CKV_AWS_18",
            "This bucket is the server access log destination; logging it would loop.",
        )
        skip_checkov(
            self.access_logs_bucket,
            "CKV_AWS_21",
            "Log objects are written once by the logging service and expire after 365 "
            "days; versions would only keep deleted logs longer.",
        )
        self.bucket = s3.Bucket(
            self,
            "Data",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="data-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=self._lifecycle_rules(retention),
        )
        # Set on the CloudFormation resource directly: the L2 option deploys a custom
        # resource (an extra Lambda function) for what CloudFormation supports natively.
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )

    @staticmethod
    def _lifecycle_rules(retention: DataLakeRetention) -> list[s3.LifecycleRule]:
        infrequent_access = s3.Transition(
            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
            transition_after=Duration.days(retention.infrequent_access_after_days),
        )
        return [
            s3.LifecycleRule(
                id="abort-incomplete-uploads-and-old-versions",
                abort_incomplete_multipart_upload_after=Duration.days(
                    retention.incomplete_uploads_days
                ),
                noncurrent_version_expiration=Duration.days(retention.noncurrent_versions_days),
            ),
            # No rule expires endpoint-changes/: the compaction deletes change objects
            # itself, after a snapshot absorbed them (EndpointCompaction). A lifecycle
            # rule would expire them during a long compaction failure, silently dropping
            # their endpoints from every segment.
            s3.LifecycleRule(
                id="expire-endpoint-change-errors",
                prefix=Prefixes.ENDPOINT_CHANGE_ERRORS,
                expiration=Duration.days(retention.endpoint_changes_days),
            ),
            # Snapshots are not expired by a rule either: the compaction deletes old ones
            # and never the newest, which the view needs however old it is.
            s3.LifecycleRule(
                id="archive-endpoint-snapshots",
                prefix=Prefixes.ENDPOINT_SNAPSHOT,
                transitions=[infrequent_access],
            ),
            s3.LifecycleRule(
                id="expire-athena-results",
                prefix=Prefixes.ATHENA_RESULTS,
                expiration=Duration.days(retention.athena_results_days),
            ),
            # An erase workflow that stopped half way leaves its staged copies (which
            # hold everyone but the erased person): gone within two days.
            s3.LifecycleRule(
                id="expire-erase-staging",
                prefix=Prefixes.ERASE_STAGING,
                expiration=Duration.days(2),
                noncurrent_version_expiration=Duration.days(1),
            ),
        ] + [
            s3.LifecycleRule(
                id=f"expire-{prefix.rstrip('/')}",
                prefix=prefix,
                expiration=Duration.days(days) if days else None,
                transitions=(
                    [infrequent_access]
                    if not days or days > retention.infrequent_access_after_days
                    else None
                ),
            )
            for prefix, days in retention.expiring_prefixes().items()
        ]
