"""Import jobs: the import-job state machine (``infra/statemachines/import_job.asl.json``)
with its piece worker and finishing functions, its failure topic and alarms.

One execution reads one file of a job: a Distributed Map whose S3 ItemReader reads the
file under ``imports/`` (CSV with its header row, or JSON lines), ItemBatcher hands
batches of rows to the piece worker (DynamoDB writes with unprocessed-item retries),
the Map's results go to ``import-job-results/``, and the finishing function gathers the
job's counts. CreateImportJob (the API function) and the drop folder (the import
function) start the executions.
"""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.dashboard import METRICS_CONTRACT, clarion_metric
from infra.constructs.data_lake import Prefixes
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.profile_tables import USER_ID_INDEX
from infra.constructs.state_machines import logged_state_machine
from infra.grants import (
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    grant_objects,
    grant_table_data,
    nag_notation,
)
from infra.nag import acknowledge
from infra.paths import PROJECT_ROOT

ASL_FILE = PROJECT_ROOT / "infra" / "statemachines" / "import_job.asl.json"
PIECE_HANDLER = "lambdas.import_job_piece.handler.handler"
FINISH_HANDLER = "lambdas.import_job_finish.handler.handler"
RESULTS_PREFIX = "import-job-results/"  # the Map's ResultWriter (no row data)
# The piece worker's budget: one ItemBatcher batch (at most 1,000 rows, 240 KB) a call.
PIECE_MEMORY_MB = 1024
PIECE_TIMEOUT_SECONDS = 300
PIECES_FAILED_METRIC: str = json.loads(METRICS_CONTRACT.read_text(encoding="utf-8"))["functions"][
    "import_job_piece"
]["counts"]["pieces_failed"]


def import_job_state_machine_arn(scope: Construct, state_machine_name: str) -> str:
    """The state machine's ARN from its fixed name (for stacks that start it)."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class ImportJobs(Construct):
    """The import-job state machine, its two functions, failure topic and alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        state_machine_name: str,
        endpoints_table_name: str,
        definitions_table_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        stack = Stack.of(self)
        self.state_machine_name = state_machine_name
        self.state_machine_arn = import_job_state_machine_arn(self, state_machine_name)
        self.piece = ClarionFunction(
            self,
            "Piece",
            runtime=runtime,
            handler=PIECE_HANDLER,
            service_name="import_job_piece",
            description="Imports one batch of an import job's rows",
            memory_size=PIECE_MEMORY_MB,
            timeout=Duration.seconds(PIECE_TIMEOUT_SECONDS),
        )
        self.finish = ClarionFunction(
            self,
            "Finish",
            runtime=runtime,
            handler=FINISH_HANDLER,
            service_name="import_job_finish",
            description="Gathers an import job's counts when a file has been read",
            timeout=Duration.minutes(2),
        )
        for function in (self.piece, self.finish):
            grant_table_data(
                function.role,
                table_name=definitions_table_name,
                key=key,
                actions=DEFINITIONS_READ + DEFINITIONS_WRITE,
            )
        grant_table_data(
            self.piece.role,
            table_name=endpoints_table_name,
            key=key,
            index_names=[USER_ID_INDEX],
            actions=ENDPOINTS_READ + ENDPOINTS_WRITE,
        )
        grant_objects(
            self.piece.role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTED_SEGMENTS,
            key=key,
            write=True,
            reason="Writes member files of imported segments, one folder per segment id.",
        )

        self.failure_topic = sns.Topic(
            self,
            "Failures",
            display_name="Clarion: failed import jobs",
            master_key=key,
            enforce_ssl=True,
        )
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
            description="Clarion import-job state machine",
        )
        role = self.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.piece.function.function_arn, self.finish.function.function_arn],
            )
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTS,
            key=key,
            read=True,
            reason="The Map's ItemReader reads any endpoint file put under imports/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=RESULTS_PREFIX,
            key=key,
            write=True,
            reason="The Map's ResultWriter writes its run's result files under one prefix.",
        )
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{state_machine_name}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[self.state_machine_arn]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[executions],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_notation(role, executions)}]",
            "The Distributed Map's child executions have generated names.",
        )
        key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            definition=ASL_FILE.read_text(encoding="utf-8"),
            substitutions={
                "PieceFunctionArn": self.piece.function.function_arn,
                "FinishFunctionArn": self.finish.function.function_arn,
                "DataBucket": bucket_name,
            },
            role=role,
            log_group=self.log_group,
            key=key,
        )
        self._alarms()

    def _alarms(self) -> None:
        """A failed, timed-out or aborted execution, and a piece that failed after its
        retries (its rows are not imported), each notify the failure topic."""
        action = cloudwatch_actions.SnsAction(self.failure_topic)
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "ExecutionsFailed",
            alarm_description=f"A {self.state_machine_name} execution failed, timed out or aborted",
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
        self.failed_alarm.add_alarm_action(action)
        self.piece_errors_alarm = cloudwatch.Alarm(
            self,
            "PiecesFailed",
            alarm_description="An import-job piece failed after its retries",
            # Published by the piece worker when it records a piece as failed (after the
            # Map's retries), not on each transient error a retry absorbs.
            metric=clarion_metric(PIECES_FAILED_METRIC, "import_job_piece"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.piece_errors_alarm.add_alarm_action(action)

    def grant_start(self, role: iam.IRole) -> None:
        """Let ``role`` start executions (one per file of a job)."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[self.state_machine_arn]
            )
        )
