"""What the campaign and churn pipelines share: a state machine from an ASL file with
its execution logs and tracing, and the role EventBridge Scheduler starts it with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.nag import acknowledge


def logged_state_machine(
    scope: Construct,
    construct_id: str,
    *,
    state_machine_name: str,
    definition: str,
    substitutions: Mapping[str, str],
    role: iam.IRole,
    log_group: logs.ILogGroup,
    key: kms.IKey,
) -> sfn.StateMachine:
    """A standard state machine running ``definition`` (ASL text) as ``role``: X-Ray
    tracing, every state's events (without execution data) logged to ``log_group``,
    execution data (inputs, outputs, the history) encrypted with the project's ``key``."""
    state_machine = sfn.StateMachine(
        scope,
        construct_id,
        state_machine_name=state_machine_name,
        state_machine_type=sfn.StateMachineType.STANDARD,
        definition_body=sfn.DefinitionBody.from_string(definition),
        definition_substitutions=dict(substitutions),
        role=role,
        tracing_enabled=True,
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        logs=sfn.LogOptions(
            destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False
        ),
    )
    # Log delivery and X-Ray actions take no resource-level permissions.
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery and X-Ray actions do not support resource-level permissions.",
    )
    return state_machine


def scheduler_role(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    group_name: str,
    state_machine_arns: Sequence[str],
) -> iam.Role:
    """The role the schedules of the group ``group_name`` (and only they, of this
    account) assume to start executions of the state machines."""
    stack = Stack.of(scope)
    role = iam.Role(
        scope,
        construct_id,
        description=description,
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="scheduler",
                        resource="schedule",
                        resource_name=f"{group_name}/*",
                    )
                },
            },
        ),
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["states:StartExecution"], resources=list(state_machine_arns))
    )
    return role
