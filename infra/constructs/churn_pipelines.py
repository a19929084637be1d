"""The churn scoring and training state machines, from
``infra/statemachines/churn_scoring.asl.json`` and ``churn_training.asl.json``, their
failure topic and alarms, and the EventBridge Scheduler schedules that start them.

Every task of the ASL files retries with backoff, catches to ``NotifyFailure`` (SNS) and
has a timeout; each file sets the execution's ``TimeoutSeconds`` (6 hours scoring, 12
hours training), which this construct checks at synth time. docs/churn.md describes
the steps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.churn_functions import ChurnFunctions
from infra.constructs.churn_sagemaker import SCORING_JOB_PREFIX, TRAINING_JOB_PREFIX
from infra.constructs.encryption import pipeline_key
from infra.constructs.lambda_runtime import ClarionFunction
from infra.constructs.state_machines import logged_state_machine, scheduler_role
from infra.grants import nag_notation
from infra.nag import acknowledge
from infra.paths import PROJECT_ROOT

STATE_MACHINES = PROJECT_ROOT / "infra" / "statemachines"
SCORING_ASL = STATE_MACHINES / "churn_scoring.asl.json"
TRAINING_ASL = STATE_MACHINES / "churn_training.asl.json"
SCORING_TIMEOUT = Duration.hours(6)
TRAINING_TIMEOUT = Duration.hours(12)


@dataclass(frozen=True, slots=True)
class ChurnSchedules:
    """When the pipelines run (EventBridge Scheduler expressions, UTC), and whether
    the daily scoring launches the retention campaign."""

    scoring: str = "cron(0 5 * * ? *)"
    training: str = "cron(0 1 ? * SUN *)"
    launch_campaign: bool = False

    @property
    def scoring_input(self) -> str:
        return json.dumps({"launch_campaign": True} if self.launch_campaign else {})

    @property
    def training_input(self) -> str:
        return json.dumps({})


def read_definition(path: Path, timeout: Duration) -> str:
    """The ASL text, after checking it bounds the execution by ``timeout``."""
    text = path.read_text(encoding="utf-8")
    found = json.loads(text).get("TimeoutSeconds")
    if found != timeout.to_seconds():
        raise ValueError(f"{path.name}: TimeoutSeconds is {found}, not {timeout.to_seconds()}")
    return text


class ChurnStateMachine(Construct):
    """One pipeline: the state machine, its encrypted log group, its role and an alarm
    on failed executions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        definition_file: Path,
        timeout: Duration,
        substitutions: Mapping[str, str],
        functions: Sequence[ClarionFunction],
        key: kms.IKey,
        failure_topic: sns.ITopic,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machine_name = state_machine_name
        self.state_machine_arn = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
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
            description=f"Clarion {state_machine_name} state machine",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[f.function.function_arn for f in functions],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[failure_topic.topic_arn])
        )
        key.grant(self.role, "kms:GenerateDataKey", "kms:Decrypt")
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            definition=read_definition(definition_file, timeout),
            substitutions=substitutions,
            role=self.role,
            log_group=self.log_group,
            key=key,
        )
        # Also covers what the ASL's catches cannot: the execution's own timeout, aborts.
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "ExecutionsFailed",
            alarm_description=f"A {state_machine_name} execution failed, timed out or aborted",
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
        self.failed_alarm.add_alarm_action(cloudwatch_actions.SnsAction(failure_topic))

    def grant_describe(self, action: str, resource: str, job_prefix: str) -> None:
        """Let the poll loop describe the pipeline's SageMaker jobs (``job_prefix*``)."""
        arn = Stack.of(self).format_arn(
            service="sagemaker",
            resource=resource,
            resource_name=f"{job_prefix}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=[f"sagemaker:{action}"], resources=[arn])
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{nag_notation(self.role, arn)}]",
            "Job names carry the execution's generated name after a fixed churn prefix.",
        )


class ChurnPipelines(Construct):
    """Both state machines, their key (logs and failure topic), the failure topic, the
    schedule group, the schedules and the role they start executions with.

    Failures reach the topic twice over: the ASL's ``NotifyFailure`` publishes the
    failed state, and each state machine's alarm (failed, timed-out or aborted
    executions, which no catch sees) notifies it too.

    Parameters
    ----------
    resource_prefix
        Names: ``<prefix>-churn-scoring``, ``<prefix>-churn-training`` (state machines),
        ``<prefix>-churn`` (schedule group).
    workgroup_arn
        The Athena workgroup the features query runs in (the poll reads its status).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        functions: ChurnFunctions,
        workgroup_arn: str,
        log_retention: logs.RetentionDays,
        schedules: ChurnSchedules,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # The pipelines' own key: CloudWatch Logs (execution logs) and CloudWatch alarms
        # (notifications to the encrypted topic) must be allowed by the key policy, and
        # the shared data key's policy allows neither.
        self.key = pipeline_key(
            self,
            "Key",
            description="Clarion: encrypts the churn pipelines' execution logs and failure topic",
        )
        self.failure_topic = sns.Topic(
            self,
            "Failures",
            display_name="Clarion: failed churn pipeline runs",
            master_key=self.key,
            enforce_ssl=True,
        )
        topic_arn = self.failure_topic.topic_arn
        fn = functions
        self.scoring = ChurnStateMachine(
            self,
            "Scoring",
            state_machine_name=f"{resource_prefix}-churn-scoring",
            definition_file=SCORING_ASL,
            timeout=SCORING_TIMEOUT,
            substitutions={
                "FeaturesFunctionArn": fn.features.function.function_arn,
                "JobsFunctionArn": fn.jobs.function.function_arn,
                "WriteScoresFunctionArn": fn.write_scores.function.function_arn,
                "SegmentFunctionArn": fn.refresh_segment.function.function_arn,
                "FailureTopicArn": topic_arn,
            },
            functions=[fn.features, fn.jobs, fn.write_scores, fn.refresh_segment],
            key=self.key,
            failure_topic=self.failure_topic,
            log_retention=log_retention,
        )
        self.scoring.grant_describe("DescribeTransformJob", "transform-job", SCORING_JOB_PREFIX)
        self.training = ChurnStateMachine(
            self,
            "Training",
            state_machine_name=f"{resource_prefix}-churn-training",
            definition_file=TRAINING_ASL,
            timeout=TRAINING_TIMEOUT,
            substitutions={
                "FeaturesFunctionArn": fn.features.function.function_arn,
                "JobsFunctionArn": fn.jobs.function.function_arn,
                "EvaluateFunctionArn": fn.evaluate.function.function_arn,
                "FailureTopicArn": topic_arn,
            },
            functions=[fn.features, fn.jobs, fn.evaluate],
            key=self.key,
            failure_topic=self.failure_topic,
            log_retention=log_retention,
        )
        self.training.grant_describe("DescribeTrainingJob", "training-job", TRAINING_JOB_PREFIX)
        for machine in (self.scoring, self.training):
            # The feature query's poll loop (athena:getQueryExecution).
            machine.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["athena:GetQueryExecution"], resources=[workgroup_arn])
            )
        self._schedule(stack, resource_prefix, schedules)

    def _schedule(self, stack: Stack, resource_prefix: str, schedules: ChurnSchedules) -> None:
        group_name = f"{resource_prefix}-churn"
        self.schedule_group = scheduler.CfnScheduleGroup(self, "Group", name=group_name)
        self.scheduler_role = scheduler_role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler: starts the Clarion churn pipelines",
            group_name=group_name,
            state_machine_arns=[
                self.scoring.state_machine.state_machine_arn,
                self.training.state_machine.state_machine_arn,
            ],
        )
        self.scoring_schedule = self._cfn_schedule(
            "ScoringSchedule",
            name=f"{resource_prefix}-churn-scoring",
            group_name=group_name,
            expression=schedules.scoring,
            description="Daily churn scoring",
            machine=self.scoring,
            payload=schedules.scoring_input,
        )
        self.training_schedule = self._cfn_schedule(
            "TrainingSchedule",
            name=f"{resource_prefix}-churn-training",
            group_name=group_name,
            expression=schedules.training,
            description="Weekly churn model training, evaluation and promotion",
            machine=self.training,
            payload=schedules.training_input,
        )

    def _cfn_schedule(
        self,
        construct_id: str,
        *,
        name: str,
        group_name: str,
        expression: str,
        description: str,
        machine: ChurnStateMachine,
        payload: str,
    ) -> scheduler.CfnSchedule:
        schedule = scheduler.CfnSchedule(
            self,
            construct_id,
            name=name,
            group_name=group_name,
            description=description,
            schedule_expression=expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=machine.state_machine.state_machine_arn,
                role_arn=self.scheduler_role.role_arn,
                input=payload,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=5
                ),
            ),
        )
        schedule.add_resource_dependency(self.schedule_group)
        return schedule
