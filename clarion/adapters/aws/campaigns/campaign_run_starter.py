"""The AWS CampaignRunStarter: a run of the campaign state machine per campaign run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class StepFunctionsRunStarter:
    """Starts the campaign-run state machine for a planned run.

    The execution input is ``{"RunId": ..., "CampaignId": ...}``; the execution name is
    the run id, so starting the same run twice is refused by Step Functions rather than
    run twice.
    """

    def __init__(
        self, stepfunctions_client: Any, state_machine_arn: str, *, app_id: str | None = None
    ) -> None:
        # The project of the runs this starts (it travels with the run to every step).
        self._app_id = app_id
        if not state_machine_arn:
            raise ValueError(
                "the campaign state machine ARN is not set (CLARION_CAMPAIGN_STATE_MACHINE_ARN)"
            )
        self._sfn = stepfunctions_client
        self._arn = state_machine_arn

    def start_run(self, run: Mapping[str, Any]) -> str:
        response = self._sfn.start_execution(
            stateMachineArn=self._arn,
            name=str(run["RunId"])[:80],
            input=json.dumps(
                {
                    "RunId": run["RunId"],
                    "CampaignId": run["CampaignId"],
                    **({"ApplicationId": self._app_id} if self._app_id else {}),
                }
            ),
        )
        return str(response["executionArn"])
