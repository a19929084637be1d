"""The campaign-run state machine, from ``infra/statemachines/campaign_run.asl.json``.

Plan → Athena audience query (poll loop, no ``.sync``) → Distributed Map over the CSV
result, one send-batch invocation per row → summary → (wait for deferred endpoints →
resume pass through the same Map) → done. Any failure publishes to the failure topic
and fails the execution. docs/campaign-pipeline.md describes it.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, TableNames
from infra.constructs.campaign_functions import CAMPAIGN_AUDIENCES_PREFIX, CampaignFunctions
from infra.constructs.data_lake import Prefixes
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.constructs.state_machines import logged_state_machine
from infra.grants import grant_objects, grant_query_objects, nag_notation
from infra.nag import acknowledge
from infra.paths import PROJECT_ROOT

ASL_FILE = PROJECT_ROOT / "infra" / "statemachines" / "campaign_run.asl.json"
# Every table or view a segment's SQL may read (the endpoints view and what it reads).
AUDIENCE_TABLES = (
    TableNames.ENDPOINTS,
    TableNames.ENDPOINT_LATEST,
    TableNames.ENDPOINT_SNAPSHOT,
    TableNames.ENDPOINT_CHANGES,
    TableNames.IMPORTED_SEGMENT_MEMBERS,
)


def grant_audience_query(
    role: iam.IRole,
    *,
    workgroup: QueryWorkgroup,
    catalog: AudienceCatalog,
    bucket_name: str,
    key: kms.IKey,
    results_reason: str,
) -> None:
    """What a function that starts a segment's audience query needs: the query on the
    workgroup, the catalog's audience tables, the lake prefixes segment SQL reads, and
    the results prefix Athena writes the members CSV under."""
    workgroup.grant_query(role)
    catalog.grant_read(role, *AUDIENCE_TABLES)
    grant_query_objects(
        role,
        bucket_name=bucket_name,
        key=key,
        reads={
            Prefixes.ENDPOINT_CHANGES: "Segment SQL reads the endpoints view (changes).",
            Prefixes.ENDPOINT_SNAPSHOT: "Segment SQL reads the endpoints view (snapshot).",
            Prefixes.IMPORTED_SEGMENTS: "Segment SQL reads imported segment members.",
        },
        results_prefix=Prefixes.ATHENA_RESULTS,
        results_reason=results_reason,
    )


def state_machine_substitutions(
    functions: CampaignFunctions,
    *,
    bucket_name: str,
    failure_topic_arn: str,
) -> dict[str, str]:
    """The ``${Name}`` values of the ASL file. No workgroup nor database: the start
    function starts the audience query (the SQL never enters the execution state)."""
    return {
        "StartFunctionArn": functions.start.function.function_arn,
        "SendBatchFunctionArn": functions.send_batch.function.function_arn,
        "SummariseFunctionArn": functions.summarise.function.function_arn,
        "ResumeFunctionArn": functions.resume.function.function_arn,
        "DataBucket": bucket_name,
        "AthenaResultsPrefix": Prefixes.ATHENA_RESULTS,
        "FailureTopicArn": failure_topic_arn,
    }


class CampaignPipeline(Construct):
    """The state machine, its failure topic, its log group and its role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        functions: CampaignFunctions,
        key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.state_machine_name = state_machine_name
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.failure_topic = sns.Topic(
            self,
            "Failures",
            display_name="Clarion: failed campaign runs",
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
            description="Clarion campaign-run state machine",
        )
        self._grant(functions, key, bucket_name, catalog, workgroup)
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            definition=ASL_FILE.read_text(encoding="utf-8"),
            substitutions=state_machine_substitutions(
                functions,
                bucket_name=bucket_name,
                failure_topic_arn=self.failure_topic.topic_arn,
            ),
            role=self.role,
            log_group=self.log_group,
            key=key,
        )

    def _grant(
        self,
        functions: CampaignFunctions,
        key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
    ) -> None:
        role = self.role
        stack = Stack.of(self)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[f.function.function_arn for f in functions.all],
            )
        )
        # The audience query: the start function starts it (its SQL never enters the
        # execution state) and the state machine polls it and reads its CSV. Athena reads
        # the catalog and the lake with the starter's permissions.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["athena:GetQueryExecution"], resources=[workgroup.arn])
        )
        grant_audience_query(
            functions.start.role,
            workgroup=workgroup,
            catalog=catalog,
            bucket_name=bucket_name,
            key=key,
            results_reason="Athena writes the audience CSV under athena-results/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=key,
            read=True,
            reason="The Map reads the audience CSV under athena-results/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CAMPAIGN_AUDIENCES_PREFIX,
            key=key,
            read=True,
            reason="The Map reads each resume pass's batches under campaign-audiences/.",
        )
        # The Distributed Map runs its items as child executions of this state machine.
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine_name}/*",
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
        # Failure notices go to the encrypted topic.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.failure_topic.topic_arn])
        )
        key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
