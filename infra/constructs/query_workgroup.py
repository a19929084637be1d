"""The Athena workgroup every Clarion query runs in."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.data_lake import Prefixes


class QueryWorkgroup(Construct):
    """An Athena (engine v3) workgroup whose settings clients cannot override.

    Results go to ``athena-results/`` in the data bucket, encrypted with the key; each
    query is cancelled past ``bytes_scanned_cutoff``; metrics go to CloudWatch.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        bucket: s3.IBucket,
        key: kms.IKey,
        bytes_scanned_cutoff: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.results_location = f"s3://{bucket.bucket_name}/{Prefixes.ATHENA_RESULTS}"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description="Clarion: segment, compaction and analytics queries",
            state="ENABLED",
            # Keeps the results (and their location) when the stack is deleted.
            recursive_delete_option=False,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )

    @property
    def arn(self) -> str:
        # Built from the name so that other stacks can reference it without an export.
        return Stack.of(self).format_arn(
            service="athena", resource="workgroup", resource_name=self.name
        )

    def grant_query(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run queries here and read their status and results."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
                resources=[self.arn],
            )
        )
