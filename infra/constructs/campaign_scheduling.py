"""EventBridge Scheduler for campaign runs: a schedule group and the role schedules use
to start the campaign-run state machine.

Per-campaign schedules are created at run time (``CreateSchedule`` in this group, with
``scheduler_role_arn`` and the state machine as target, input ``{"CampaignId": ...}``),
not by the stack: campaigns are data, not infrastructure.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.constructs.state_machines import scheduler_role


class CampaignScheduling(Construct):
    """The schedule group ``group_name`` and the role its schedules assume."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group_name: str,
        state_machine_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.group_name = group_name
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=group_name)
        self.group_arn = stack.format_arn(
            service="scheduler", resource="schedule-group", resource_name=group_name
        )
        self.role = scheduler_role(
            self,
            "Role",
            description="EventBridge Scheduler: starts Clarion campaign runs",
            group_name=group_name,
            state_machine_arns=[state_machine_arn],
        )
