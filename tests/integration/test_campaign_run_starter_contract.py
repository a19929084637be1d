"""The CampaignRunStarter contract: a planned campaign run is started elsewhere, and the
reference to that execution comes back.

There is one adapter, on AWS (the campaign state machine, on moto's Step Functions):
locally the campaign service runs the run in process, so nothing starts it elsewhere.
The execution is named after the run and its input names the run and its campaign, so
starting one run twice never makes two executions.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from clarion.adapters.aws.campaigns.campaign_run_starter import StepFunctionsRunStarter

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/clarion-campaign-run"
DEFINITION = {"StartAt": "Run", "States": {"Run": {"Type": "Pass", "End": True}}}


@pytest.fixture
def stepfunctions(mocked_aws: None) -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


@pytest.fixture
def state_machine_arn(stepfunctions: Any) -> str:
    created = stepfunctions.create_state_machine(
        name="clarion-campaign-run", definition=json.dumps(DEFINITION), roleArn=ROLE_ARN
    )
    return str(created["stateMachineArn"])


@pytest.fixture
def starter(stepfunctions: Any, state_machine_arn: str) -> StepFunctionsRunStarter:
    return StepFunctionsRunStarter(stepfunctions, state_machine_arn)


def _run(run_id: str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", **fields: Any) -> dict[str, Any]:
    return {
        "RunId": run_id,
        "CampaignId": "c0ffee",
        "CampaignVersion": 3,
        "SegmentId": "s1",
        "State": "EXECUTING",
        "StartTime": "2025-03-12T14:00:00.000Z",
        **fields,
    }


def _executions(stepfunctions: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = stepfunctions.list_executions(stateMachineArn=state_machine_arn)[
        "executions"
    ]
    return listed


def test_start_returns_the_execution_of_the_run(
    starter: StepFunctionsRunStarter, stepfunctions: Any, state_machine_arn: str
) -> None:
    run = _run()

    reference = starter.start_run(run)

    execution = stepfunctions.describe_execution(executionArn=reference)
    assert execution["stateMachineArn"] == state_machine_arn
    assert execution["name"] == run["RunId"]
    # The state machine reads the run record itself: the input only names it.
    assert json.loads(execution["input"]) == {"RunId": run["RunId"], "CampaignId": "c0ffee"}


def test_each_run_is_its_own_execution(
    starter: StepFunctionsRunStarter, stepfunctions: Any, state_machine_arn: str
) -> None:
    first = starter.start_run(_run("run-1"))
    second = starter.start_run(_run("run-2"))

    assert first != second
    assert sorted(e["name"] for e in _executions(stepfunctions, state_machine_arn)) == [
        "run-1",
        "run-2",
    ]


def test_starting_a_run_again_makes_no_second_execution(
    starter: StepFunctionsRunStarter, stepfunctions: Any, state_machine_arn: str
) -> None:
    reference = starter.start_run(_run())

    # While it runs, the same start is the same execution (a retried Lambda, a double click).
    assert starter.start_run(_run(State="RETRIED")) == reference
    stepfunctions.stop_execution(executionArn=reference)
    # Once it has ended, the name is taken: Step Functions refuses.
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        starter.start_run(_run())
    assert len(_executions(stepfunctions, state_machine_arn)) == 1


def test_the_longest_run_ids_fit_an_execution_name(
    starter: StepFunctionsRunStarter, stepfunctions: Any
) -> None:
    run_id = "evt-" + "a" * 96

    reference = starter.start_run(_run(run_id))

    execution = stepfunctions.describe_execution(executionArn=reference)
    assert execution["name"] == run_id[:80]  # Step Functions' limit
    assert json.loads(execution["input"])["RunId"] == run_id


def test_a_starter_needs_the_state_machine(stepfunctions: Any) -> None:
    with pytest.raises(ValueError, match="CLARION_CAMPAIGN_STATE_MACHINE_ARN"):
        StepFunctionsRunStarter(stepfunctions, "")


def test_a_missing_state_machine_is_an_error(stepfunctions: Any) -> None:
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:not-deployed"

    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        StepFunctionsRunStarter(stepfunctions, missing).start_run(_run())
