"""The Parquet lake's erase workflow: the state machine
(``infra/statemachines/erase_lake.asl.json``), its steps function, log group and alarm.

An erase (DeleteEndpoint, DeleteUserEndpoints, ``clarion endpoints/users erase``) starts
one execution with SHA-256 digests of the person's values. For the event lake, the
endpoint change feed and the snapshots, an Athena query finds the objects holding the
person; each object is UNLOADed without them to ``erase-staging/``, and the steps
function copies the result over the object and deletes the staging files and the
object's earlier versions. Athena reads and writes S3 with the state machine role's
permissions, so that role reads the three datasets and writes only the staging prefix;
only the steps function replaces and deletes objects.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, TableNames
from infra.constructs.data_lake import Prefixes
from infra.constructs.event_lake import EVENTS_TABLE
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.constructs.state_machines import logged_state_machine
from infra.grants import bucket_arn, grant_objects, nag_notation
from infra.nag import acknowledge
from infra.paths import PROJECT_ROOT

ASL_FILE = PROJECT_ROOT / "infra" / "statemachines" / "erase_lake.asl.json"
STEPS_HANDLER = "lambdas.erase_lake.handler.handler"
# The datasets the workflow rewrites (clarion.domain.audience.lake_erasure.LAKE_DATASETS).
LAKE_PREFIXES = (Prefixes.EVENTS, Prefixes.ENDPOINT_CHANGES, Prefixes.ENDPOINT_SNAPSHOT)
LAKE_TABLES = (EVENTS_TABLE, TableNames.ENDPOINT_CHANGES, TableNames.ENDPOINT_SNAPSHOT)


def erase_state_machine_arn(scope: Construct, state_machine_name: str) -> str:
    """The workflow's ARN from its fixed name (for the stacks whose functions erase)."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class LakeErasure(Construct):
    """The erase workflow, its steps function, log group and failure alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        state_machine_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.state_machine_name = state_machine_name
        self.state_machine_arn = erase_state_machine_arn(self, state_machine_name)
        self.steps = ClarionFunction(
            self,
            "Steps",
            runtime=runtime,
            handler=STEPS_HANDLER,
            service_name="erase_lake",
            description="Erase workflow: plans the find queries, lists and replaces objects",
            memory_size=512,
            timeout=Duration.minutes(5),
        )
        self._grant_steps(self.steps.role, bucket_name, workgroup, key)
        key.grant(self.steps.role, "kms:Decrypt", "kms:GenerateDataKey")

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Clarion lake erase workflow",
        )
        role = self.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.steps.function.function_arn]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["athena:StartQueryExecution", "athena:GetQueryExecution"],
                resources=[workgroup.arn],
            )
        )
        catalog.grant_read(role, *LAKE_TABLES)
        # Athena reads the datasets and writes the UNLOADs with this role's permissions.
        for prefix in LAKE_PREFIXES:
            grant_objects(
                role,
                bucket_name=bucket_name,
                prefix=prefix,
                key=key,
                read=True,
                reason=f"The find and UNLOAD queries read any object under {prefix}.",
            )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ERASE_STAGING,
            key=key,
            write=True,
            reason="UNLOAD writes each rewritten object under erase-staging/<execution>/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=key,
            read=True,
            write=True,
            reason="Athena writes query results and manifests under athena-results/.",
        )
        key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            definition=ASL_FILE.read_text(encoding="utf-8"),
            substitutions={
                "StepsFunctionArn": self.steps.function.function_arn,
                "AthenaWorkgroup": workgroup.name,
            },
            role=role,
            log_group=self.log_group,
            key=key,
        )
        # The stack's operator alerts act on every alarm of the stack.
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "ExecutionsFailed",
            alarm_description=(
                f"A {state_machine_name} execution failed, timed out or aborted: a person's "
                "lake records may remain (run the erase again)"
            ),
            metric=cloudwatch.MathExpression(
                expression="failed + timedout + aborted",
                using_metrics={
                    "failed": self.state_machine.metric_failed(statistic="Sum"),
                    "timedout": self.state_machine.metric_timed_out(statistic="Sum"),
                    "aborted": self.state_machine.metric_aborted(statistic="Sum"),
                },
                period=Duration.minutes(5),
                label="failed executions",
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _grant_steps(
        self, role: iam.IRole, bucket_name: str, workgroup: QueryWorkgroup, key: kms.IKey
    ) -> None:
        """The steps function: the find queries' results; the datasets' objects replaced
        (copied over from staging, earlier versions deleted); the staging files deleted."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["athena:GetQueryResults"], resources=[workgroup.arn])
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=key,
            read=True,
            reason="GetQueryResults reads the find queries' result files under athena-results/.",
        )
        bucket = bucket_arn(role, bucket_name)
        prefixes = (*LAKE_PREFIXES, Prefixes.ERASE_STAGING)
        objects = [f"{bucket}/{prefix}*" for prefix in prefixes]
        # CopyObject reads the staged file and writes the object; the object's earlier
        # versions and the staged files (all their versions) are deleted.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
                resources=objects,
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[bucket],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )
        for resource in objects:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_notation(role, resource)}]",
                "The erase replaces whichever objects of the lake hold the person, and "
                "cleans its own staging files; object names are Firehose's and Athena's.",
            )
