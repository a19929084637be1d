"""The journey tick: the state machine from ``infra/statemachines/journey_tick.asl.json``,
started by an EventBridge Scheduler schedule every few minutes, with its failure topic
(and, when configured, its e-mail subscriber), execution logs and alarms.

Plan (which starts the first pending run's Athena audience query and returns only its
id: a segment's SQL may be up to 200,000 bytes, and no execution state carries it) →
for each pending segment run: the query polled, a Distributed Map of admit batches over
its CSV, entered (which starts the next run's query) → a Distributed Map over every
shard of every active or cancelled journey, each child advancing its shard page by
page → finish. Any
failure publishes to the failure topic and fails the execution; an alarm covers what no
catch sees (the execution's timeout, aborts) and the events consumer's dead letters.
docs/journeys.md ("On AWS") describes it and its cost.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog
from infra.constructs.campaign_pipeline import grant_audience_query
from infra.constructs.data_lake import Prefixes
from infra.constructs.encryption import pipeline_key
from infra.constructs.journey_functions import JourneyFunctions, grant_invoke
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.constructs.state_machines import logged_state_machine, scheduler_role
from infra.grants import grant_objects, nag_notation
from infra.nag import acknowledge
from infra.paths import PROJECT_ROOT

ASL_FILE = PROJECT_ROOT / "infra" / "statemachines" / "journey_tick.asl.json"
# EventBridge Scheduler's schedule of the tick (UTC); a wait is at most this late.
DEFAULT_TICK_SCHEDULE = "rate(5 minutes)"


def tick_substitutions(
    functions: JourneyFunctions,
    *,
    bucket_name: str,
    failure_topic_arn: str,
) -> dict[str, str]:
    """The ``${Name}`` values of the ASL file. No workgroup nor database: the plan and
    entered functions start the audience queries (the SQL never enters the execution
    state)."""
    return {
        "PlanFunctionArn": functions.plan.function.function_arn,
        "EnterFunctionArn": functions.enter.function.function_arn,
        "EnteredFunctionArn": functions.entered.function.function_arn,
        "AdvanceFunctionArn": functions.advance.function.function_arn,
        "FinishFunctionArn": functions.finish.function.function_arn,
        "DataBucket": bucket_name,
        "AthenaResultsPrefix": Prefixes.ATHENA_RESULTS,
        "FailureTopicArn": failure_topic_arn,
    }


class JourneyTick(Construct):
    """The tick's state machine, role, key, log group, failure topic, alarms, schedule
    group, schedule and scheduler role.

    Parameters
    ----------
    failure_email
        An address subscribed to the failure topic (empty: subscribe someone later).
    schedule
        The tick's schedule expression (``rate(...)`` or ``cron(...)``, UTC).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        functions: JourneyFunctions,
        data_key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        log_retention: logs.RetentionDays,
        failure_email: str = "",
        schedule: str = DEFAULT_TICK_SCHEDULE,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.state_machine_name = f"{resource_prefix}-journey-tick"
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.key = pipeline_key(
            self, "Key", description="Clarion: encrypts the journey tick's logs and failure topic"
        )
        self.failure_topic = sns.Topic(
            self,
            "Failures",
            display_name="Clarion: failed journey ticks",
            master_key=self.key,
            enforce_ssl=True,
        )
        if failure_email:
            self.failure_topic.add_subscription(subscriptions.EmailSubscription(failure_email))
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Clarion journey tick state machine",
        )
        self._grant(functions, data_key, bucket_name, catalog, workgroup)
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            state_machine_name=self.state_machine_name,
            definition=ASL_FILE.read_text(encoding="utf-8"),
            substitutions=tick_substitutions(
                functions,
                bucket_name=bucket_name,
                failure_topic_arn=self.failure_topic.topic_arn,
            ),
            role=self.role,
            log_group=self.log_group,
            key=data_key,
        )
        self._alarms(functions)
        self._schedule(resource_prefix, schedule)

    def _grant(
        self,
        functions: JourneyFunctions,
        data_key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
    ) -> None:
        role = self.role
        stack = Stack.of(self)
        grant_invoke(role, functions.tick)
        # The audience query: plan and entered start it (its SQL never enters the
        # execution state); Athena reads the catalog and the lake with the starter's
        # permissions and writes the CSV result. The state machine polls the query and
        # the Map reads the CSV.
        for starter in (functions.plan, functions.entered):
            grant_audience_query(
                starter.role,
                workgroup=workgroup,
                catalog=catalog,
                bucket_name=bucket_name,
                key=data_key,
                results_reason="Athena writes the run's members CSV under athena-results/.",
            )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["athena:GetQueryExecution"], resources=[workgroup.arn])
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=data_key,
            read=True,
            reason="The Map reads the run's members CSV under athena-results/.",
        )
        # The Distributed Maps run their items as child executions of this state machine.
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
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.failure_topic.topic_arn])
        )
        self.key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")

    def _alarms(self, functions: JourneyFunctions) -> None:
        action = cloudwatch_actions.SnsAction(self.failure_topic)
        # What the ASL's catches cannot see: the execution's own timeout, aborts.
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "TicksFailed",
            alarm_description="A journey tick failed, timed out or aborted",
            metric=cloudwatch.MathExpression(
                expression="failed + timedout + aborted",
                using_metrics={
                    "failed": self.state_machine.metric_failed(statistic="Sum"),
                    "timedout": self.state_machine.metric_timed_out(statistic="Sum"),
                    "aborted": self.state_machine.metric_aborted(statistic="Sum"),
                },
                period=Duration.minutes(5),
                label="failed ticks",
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_alarm.add_alarm_action(action)
        # The journeys' consumer failing: its batches are retried, then kept in S3.
        self.dead_letters_alarm = cloudwatch.Alarm(
            self,
            "EventsConsumerErrors",
            alarm_description="The journeys' events consumer failed (failed batches go to S3)",
            metric=functions.events.function.metric_errors(
                period=Duration.minutes(5), statistic="Sum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letters_alarm.add_alarm_action(action)

    def _schedule(self, resource_prefix: str, expression: str) -> None:
        group_name = f"{resource_prefix}-journeys"
        self.schedule_group = scheduler.CfnScheduleGroup(self, "Group", name=group_name)
        self.scheduler_role = scheduler_role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler: starts the Clarion journey tick",
            group_name=group_name,
            state_machine_arns=[self.state_machine.state_machine_arn],
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            name=f"{resource_prefix}-journey-tick",
            group_name=group_name,
            description="The journey tick: due entries and moves",
            schedule_expression=expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.state_machine.state_machine_arn,
                role_arn=self.scheduler_role.role_arn,
                input="{}",
                # A missed tick is made up by the next one: no point retrying for long.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=300, maximum_retry_attempts=2
                ),
            ),
        )
        self.schedule.add_resource_dependency(self.schedule_group)
