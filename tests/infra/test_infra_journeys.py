"""The journeys stack: the participants table, the journey functions, the tick state
machine with its schedule, failure topic (and subscriber) and alarms, and the journeys'
consumer of the events stream.

Built in its own test app (data stack + journeys stack, as the stage composes them),
synthesized once, with the AwsSolutions checks registered: unacknowledged findings
fail the build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_helpers import (
    TRACING_AND_LOG_DELIVERY_ACTIONS,
    Built,
    assert_starts_audience_queries,
    build_feature_stack,
    cfn_lint,
    function_with_id,
    listed,
    resources,
    statements_of_role,
)

from clarion.adapters.aws.journeys import journeys_table_spec
from infra.stacks.journeys_stack import JourneyOptions, JourneysStack, JourneysStackProps
from infra.stacks.messaging_stack import MessagingOptions

HANDLERS = {
    "lambdas.journey_plan.handler.handler",
    "lambdas.journey_enter.handler.handler",
    "lambdas.journey_entered.handler.handler",
    "lambdas.journey_advance.handler.handler",
    "lambdas.journey_finish.handler.handler",
    "lambdas.journey_events.handler.handler",
}
ADVANCE = "lambdas.journey_advance.handler.handler"
PLAN = "lambdas.journey_plan.handler.handler"
ENTERED = "lambdas.journey_entered.handler.handler"
ENTER = "lambdas.journey_enter.handler.handler"
FINISH = "lambdas.journey_finish.handler.handler"
EVENTS = "lambdas.journey_events.handler.handler"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield build_feature_stack(
        tmp_path_factory.mktemp("journeys"),
        lambda app, config, data, layer, env: JourneysStack(
            app,
            "Journeys",
            props=JourneysStackProps(
                config=config,
                data=data,
                runtime_deps_dir=layer,
                journeys=JourneyOptions(failure_email="ops@example.com"),
                # Sends are granted only from configured identities.
                messaging=MessagingOptions(
                    email_identity="example.com", from_address="Clarion <news@example.com>"
                ),
            ),
        ),
    )


def _machine(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    return machine


def _definition(template: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_machine(template)["DefinitionString"])
    return loaded


def _tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        if state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"])


def _role_actions(template: dict[str, Any], handler: str) -> set[str]:
    properties = function_with_id(template, handler)[1]
    statements = statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])
    return {a for s in statements for a in listed(s["Action"])}


def test_the_participants_table_matches_the_adapters_spec(built: Built) -> None:
    (table,) = resources(built.template, "AWS::DynamoDB::Table").values()
    spec = journeys_table_spec("clarion-journeys")

    assert table["TableName"] == "clarion-journeys"
    assert table["KeySchema"] == spec["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        spec["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    (index,) = table["GlobalSecondaryIndexes"]
    (expected,) = spec["GlobalSecondaryIndexes"]
    assert index["IndexName"] == expected["IndexName"]
    assert index["KeySchema"] == expected["KeySchema"]
    assert index["Projection"] == expected["Projection"]
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_the_tick_is_a_distributed_map_over_shards_and_entry_batches(built: Built) -> None:
    states = _definition(built.template)["States"]

    assert states["AdvanceShards"]["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert states["AdvanceShards"]["ItemsPath"] == "$.Plan.Shards"
    admit = states["AdmitBatches"]
    assert admit["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert admit["ItemReader"]["ReaderConfig"]["InputType"] == "CSV"
    assert not any(".sync" in s.get("Resource", "") for _, s in _tasks(states))


def test_no_state_carries_the_audience_sql(built: Built) -> None:
    definition = _machine(built.template)["DefinitionString"]
    states = _definition(built.template)["States"]

    # Plan and Entered start the audience query: the state machine only polls it.
    assert "AudienceSql" not in definition.replace("AudienceSqlBytes", "")
    assert "QueryString" not in definition
    assert "StartAudienceQuery" not in states
    assert not any(s.get("Resource", "").endswith("startQueryExecution") for _, s in _tasks(states))
    assert states["EntryPending?"]["Choices"][0]["Next"] == "AudienceQueryStarted"
    assert states["AudienceQueryStarted"]["Parameters"] == {
        "QueryExecutionId.$": "$.Plan.Entry.AudienceQueryExecutionId"
    }
    assert states["GetAudienceQuery"]["Resource"].endswith("aws-sdk:athena:getQueryExecution")
    # The execution's name makes the query's idempotency token (a retry's same query).
    assert states["Plan"]["Parameters"]["Payload"]["ExecutionName.$"] == "$$.Execution.Name"
    entered = states["Entered"]["Parameters"]["Payload"]
    assert entered["ExecutionName.$"] == "$$.Execution.Name"


def test_every_step_after_the_plan_is_handed_its_project(built: Built) -> None:
    states = _definition(built.template)["States"]

    assert states["Plan"]["ResultSelector"]["Projects.$"] == "$.Payload.Projects"
    assert states["NextEntry"]["Parameters"]["Projects.$"] == "$.Plan.Projects"
    assert states["AdmitBatches"]["ItemSelector"]["ApplicationId.$"] == (
        "$.Plan.Entry.ApplicationId"
    )
    entered = states["Entered"]["Parameters"]["Payload"]
    assert entered["ApplicationId.$"] == "$.Plan.Entry.ApplicationId"
    assert entered["Projects.$"] == "$.Plan.Projects"
    advance = states["AdvanceShards"]["ItemProcessor"]["States"]["Advance"]
    assert advance["Parameters"]["Payload"]["ApplicationId.$"] == "$.ApplicationId"
    assert states["Finish"]["Parameters"]["Payload"]["Projects.$"] == "$.Plan.Projects"


def test_every_task_retries_and_is_caught(built: Built) -> None:
    states = _definition(built.template)["States"]

    for name, state in states.items():
        if state["Type"] in {"Task", "Map"}:
            assert any("States.ALL" in c["ErrorEquals"] for c in state["Catch"]), name
            if state["Type"] == "Task":
                assert state["Retry"], name
    for name, state in _tasks(states):
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
            assert "Lambda.TooManyRequestsException" in retried, name


def test_every_placeholder_is_substituted(built: Built) -> None:
    machine = _machine(built.template)
    placeholders = set(re.findall(r"\$\{(\w+)\}", machine["DefinitionString"]))

    assert placeholders == set(machine["DefinitionSubstitutions"])
    assert not {"AthenaWorkgroup", "GlueDatabase"} & placeholders
    assert machine["StateMachineName"] == "clarion-journey-tick"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"


def test_the_tick_is_scheduled_and_its_failures_reach_a_subscriber(built: Built) -> None:
    (schedule,) = resources(built.template, "AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["Target"]["Input"] == "{}"
    # The tick's failure topic and the stack's operator alerts, both encrypted.
    topics = resources(built.template, "AWS::SNS::Topic")
    assert len(topics) == 2
    assert all("KmsMasterKeyId" in topic for topic in topics.values())
    subscriptions = resources(built.template, "AWS::SNS::Subscription").values()
    assert any(
        s["Protocol"] == "email" and s["Endpoint"] == "ops@example.com" for s in subscriptions
    )
    alarms = resources(built.template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 2
    for alarm in alarms.values():
        assert alarm["AlarmActions"], alarm


def test_the_state_machine_role_is_scoped(built: Built) -> None:
    role_id = _machine(built.template)["RoleArn"]["Fn::GetAtt"][0]
    statements = statements_of_role(built.template, role_id)
    actions = {a for s in statements for a in listed(s["Action"])}

    assert {
        "lambda:InvokeFunction",
        "athena:GetQueryExecution",
        "s3:GetObject",
        "states:StartExecution",
        "sns:Publish",
    } <= actions
    # It polls the audience query and reads its CSV; plan and entered start it.
    assert not {"athena:StartQueryExecution", "glue:GetTable", "s3:PutObject"} & actions
    text = json.dumps(statements)
    assert "athena-results/*" in text
    assert "endpoint-snapshot/*" not in text and "imported-segments/*" not in text
    for statement in statements:
        if "*" in listed(statement["Resource"]):
            assert set(listed(statement["Action"])) <= TRACING_AND_LOG_DELIVERY_ACTIONS


@pytest.mark.parametrize("handler", [PLAN, ENTERED])
def test_plan_and_entered_start_the_audience_query_on_the_lake(built: Built, handler: str) -> None:
    properties = function_with_id(built.template, handler)[1]
    statements = statements_of_role(built.template, properties["Role"]["Fn::GetAtt"][0])

    assert_starts_audience_queries(built.template, properties)
    assert "kms:Decrypt" in {a for s in statements for a in listed(s["Action"])}


@pytest.mark.parametrize("handler", [ENTER, ADVANCE, FINISH, EVENTS])
def test_the_other_functions_start_no_query(built: Built, handler: str) -> None:
    actions = _role_actions(built.template, handler)

    assert not any(a.startswith(("athena:", "glue:")) for a in actions)


def test_functions_least_privilege(built: Built) -> None:
    functions = resources(built.template, "AWS::Lambda::Function")
    assert {f["Handler"] for f in functions.values()} == HANDLERS
    for properties in functions.values():
        variables = properties["Environment"]["Variables"]
        assert variables["CLARION_JOURNEYS_TABLE"] == "clarion-journeys"
        assert variables["CLARION_BACKEND"] == "aws"
        assert properties["TracingConfig"] == {"Mode": "Active"}

    assert "ses:SendEmail" in _role_actions(built.template, ADVANCE)
    assert "ses:SendEmail" in _role_actions(built.template, EVENTS)
    plan = _role_actions(built.template, PLAN)
    assert not any(a.startswith(("ses:", "sms-voice:", "kinesis:")) for a in plan)


def test_the_events_consumer_keeps_failed_batches_in_s3(built: Built) -> None:
    (mapping,) = resources(built.template, "AWS::Lambda::EventSourceMapping").values()

    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    # The records themselves, not shard pointers in a queue.
    destination = json.dumps(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert "arn:" in destination and ":s3:::" in destination
    assert not resources(built.template, "AWS::SQS::Queue")


def test_cfn_lint_finds_no_errors(built: Built) -> None:
    result = cfn_lint(Path(built.template_path))
    assert result.returncode & 3 == 0, result.stdout + result.stderr
    assert result.returncode & 4 == 0, result.stdout
