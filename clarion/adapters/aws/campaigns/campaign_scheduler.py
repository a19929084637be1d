"""Per-campaign EventBridge Scheduler schedules: the ``aws`` CampaignScheduler.

A campaign whose Schedule is at a future moment or recurring gets the schedule
``campaign-<id>`` in the stack's group (``CLARION_CAMPAIGN_SCHEDULE_GROUP``): target the
campaign-run state machine, ``RoleArn`` the scheduler role
(``CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN``), input ``{"CampaignId": ...}`` (the start
Lambda plans a run when no RunId is given), FlexibleTimeWindow OFF, State DISABLED
while the campaign IsPaused. EVENT campaigns and ``IMMEDIATE`` or past ONCE campaigns
get none (an earlier version's is deleted). The expressions, time zones and local-time
lead are in :mod:`clarion.domain.campaigns.schedule_expressions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from clarion.domain.campaigns.model import CampaignResponse
from clarion.domain.campaigns.schedule_expressions import (
    FEBRUARY_SUFFIX,
    ScheduleSpec,
    schedule_name,
    schedule_specs,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class SchedulerNotConfiguredError(ValueError):
    """A campaign needs a schedule but the group, role or state machine is not set."""


class EventBridgeCampaignScheduler:
    """CampaignScheduler on EventBridge Scheduler (module docstring).

    Parameters
    ----------
    scheduler_client
        A boto3 ``scheduler`` client.
    group_name, role_arn, state_machine_arn
        The stack's outputs ``CampaignScheduleGroup``, ``CampaignSchedulerRoleArn``,
        ``CampaignStateMachineArn``; checked only when a schedule is written.
    """

    def __init__(
        self,
        scheduler_client: Any,
        *,
        group_name: str,
        role_arn: str,
        state_machine_arn: str,
        clock: Callable[[], datetime] = _utc_now,
        app_id: str | None = None,
    ) -> None:
        # The project of the campaigns scheduled (in the execution input, for its steps).
        self._app_id = app_id
        self._scheduler = scheduler_client
        self._group = group_name
        self._role_arn = role_arn
        self._state_machine_arn = state_machine_arn
        self._clock = clock

    def put_schedule(self, campaign: CampaignResponse) -> str | None:
        specs = schedule_specs(campaign.schedule, self._clock()) if campaign.schedule else []
        if not specs:
            self.delete_schedule(campaign.id)
            return None
        self._check_configured()
        arns = [self._upsert(campaign, spec) for spec in specs]
        if all(spec.suffix != FEBRUARY_SUFFIX for spec in specs):
            self._delete(schedule_name(campaign.id, FEBRUARY_SUFFIX))
        return arns[0]

    def delete_schedule(self, campaign_id: str) -> None:
        if not self._group:
            return  # nothing can have been scheduled without a group
        for suffix in ("", FEBRUARY_SUFFIX):
            self._delete(schedule_name(campaign_id, suffix))

    def _check_configured(self) -> None:
        missing = [
            variable
            for variable, value in (
                ("CLARION_CAMPAIGN_SCHEDULE_GROUP", self._group),
                ("CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN", self._role_arn),
                ("CLARION_CAMPAIGN_STATE_MACHINE_ARN", self._state_machine_arn),
            )
            if not value
        ]
        if missing:
            raise SchedulerNotConfiguredError(
                "the campaign needs an EventBridge Scheduler schedule; set "
                + ", ".join(missing)
                + " (the messaging stack's outputs, docs/campaign-pipeline.md)"
            )

    def _upsert(self, campaign: CampaignResponse, spec: ScheduleSpec) -> str:
        arguments: dict[str, Any] = {
            "Name": schedule_name(campaign.id, spec.suffix),
            "GroupName": self._group,
            "Description": f"Clarion campaign {campaign.id} version {campaign.version}"[:512],
            "ScheduleExpression": spec.expression,
            "ScheduleExpressionTimezone": spec.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self._state_machine_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(
                    {
                        "CampaignId": campaign.id,
                        **({"ApplicationId": self._app_id} if self._app_id else {}),
                    }
                ),
            },
            "State": "DISABLED" if campaign.is_paused else "ENABLED",
            "ActionAfterCompletion": "DELETE" if spec.one_time else "NONE",
        }
        if spec.start_date is not None:
            arguments["StartDate"] = spec.start_date
        if spec.end_date is not None:
            arguments["EndDate"] = spec.end_date
        try:
            response = self._scheduler.create_schedule(**arguments)
        except ClientError as exc:
            if _code(exc) != "ConflictException":
                raise
            response = self._scheduler.update_schedule(**arguments)
        return str(response["ScheduleArn"])

    def _delete(self, name: str) -> None:
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
