"""The messaging stack: campaign-run functions, the state machine, scheduling, the sends
table, the SES identity and (only with push enabled) the Pinpoint app.

Built in its own test app (data stack + messaging stack, as the stage composes them),
synthesized once per push setting, with the AwsSolutions checks registered.
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
    nag_findings,
    resources,
    statements_of_role,
)

from infra.stacks.messaging_stack import MessagingOptions, MessagingStack, MessagingStackProps

HANDLERS = {
    "lambdas.campaign_start.handler.handler",
    "lambdas.campaign_send_batch.handler.handler",
    "lambdas.campaign_summarise.handler.handler",
    "lambdas.campaign_resume.handler.handler",
}
SEND_BATCH = "lambdas.campaign_send_batch.handler.handler"
START = "lambdas.campaign_start.handler.handler"
# Actions AWS offers no resource-level permissions for.
ACTIONS_WITHOUT_RESOURCES = TRACING_AND_LOG_DELIVERY_ACTIONS
SMS_POOL = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-0123456789abcdef"
CUSTOM_TARGETS = (
    "arn:aws:lambda:us-east-1:123456789012:function:crm-sync",
    "arn:aws:lambda:us-east-1:123456789012:function:loyalty:live",
)
WEBHOOK_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:clarion/webhooks-AbCdEf"
PUSH_OPTIONS = MessagingOptions(
    email_identity="example.com",
    from_address="Clarion <news@example.com>",
    sms_origination_identity=SMS_POOL,
    push_enabled=True,
    apns_secret="clarion/apns",
    fcm_secret="clarion/fcm",
    webhook_secret_arn=WEBHOOK_SECRET,
    webhook_allowed_hosts="hooks.example.com,*.crm.example.org",
    custom_lambda_arns=" , ".join(CUSTOM_TARGETS),
)


def _build(tmp: Path, options: MessagingOptions) -> Built:
    return build_feature_stack(
        tmp,
        lambda app, config, data, layer, env: MessagingStack(
            app,
            "Messaging",
            props=MessagingStackProps(
                config=config, data=data, runtime_deps_dir=layer, messaging=options
            ),
        ),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield _build(tmp_path_factory.mktemp("messaging"), MessagingOptions())


@pytest.fixture(scope="module")
def built_with_push(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield _build(tmp_path_factory.mktemp("messaging-push"), PUSH_OPTIONS)


def function(template: dict[str, Any], handler: str) -> dict[str, Any]:
    return function_with_id(template, handler)[1]


def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    return machine


def definition(template: dict[str, Any]) -> dict[str, Any]:
    """The state machine's ASL as deployed (``${Name}`` placeholders, which
    CloudFormation fills from DefinitionSubstitutions)."""
    loaded: dict[str, Any] = json.loads(state_machine(template)["DefinitionString"])
    return loaded


def tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        if state["Type"] == "Map":
            yield from tasks(state["ItemProcessor"]["States"])


# -- the state machine -------------------------------------------------------------------


def test_the_state_machine_reads_the_audience_with_a_distributed_map(built: Built) -> None:
    states = definition(built.template)["States"]

    send = states["SendBatches"]
    assert send["Type"] == "Map"
    assert send["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert send["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert send["ItemReader"]["ReaderConfig"] == {
        "InputType": "CSV",
        "CSVHeaderLocation": "FIRST_ROW",
    }
    assert send["MaxConcurrencyPath"] == "$.Run.MaxConcurrency"
    # Batches come from the query (one CSV row per batch of BatchSize endpoints).
    assert send["ItemSelector"]["Batch.$"] == "$$.Map.Item.Value"
    # The start function starts the audience query: no state carries the SQL.
    assert states["PlanRun"]["Next"] == "AudienceQueryStarted"
    assert "AudienceSql.$" not in states["PlanRun"]["ResultSelector"]
    assert not any("QueryString" in json.dumps(s) for _, s in tasks(states))
    assert states["GetAudienceQuery"]["Resource"].endswith("aws-sdk:athena:getQueryExecution")
    assert states["WaitForDeferred"]["TimestampPath"] == "$.Summary.ResumeAt"
    assert not any(".sync" in s.get("Resource", "") for _, s in tasks(states))


def test_every_placeholder_of_the_asl_file_is_substituted(built: Built) -> None:
    machine = state_machine(built.template)
    placeholders = set(re.findall(r"\$\{(\w+)\}", machine["DefinitionString"]))
    substitutions = machine["DefinitionSubstitutions"]

    assert placeholders == set(substitutions)
    assert substitutions["AthenaResultsPrefix"] == "athena-results/"
    assert "AthenaWorkgroup" not in substitutions


def test_every_task_is_caught_and_lambda_tasks_retry(built: Built) -> None:
    states = definition(built.template)["States"]

    for name, state in states.items():
        if state["Type"] in {"Task", "Map"}:
            assert any("States.ALL" in c["ErrorEquals"] for c in state["Catch"]), name
    for name, state in tasks(states):
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
            assert "Lambda.TooManyRequestsException" in retried, name
    batch = states["SendBatches"]["ItemProcessor"]["States"]["SendBatch"]
    assert any(r["ErrorEquals"] == ["States.ALL"] for r in batch["Retry"])


def test_the_state_machine_is_logged_and_traced(built: Built) -> None:
    (machine,) = resources(built.template, "AWS::StepFunctions::StateMachine").values()

    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["StateMachineName"] == "clarion-campaign-run"


def test_the_state_machine_role_is_scoped(built: Built) -> None:
    (machine,) = resources(built.template, "AWS::StepFunctions::StateMachine").values()
    role_id = machine["RoleArn"]["Fn::GetAtt"][0]
    statements = statements_of_role(built.template, role_id)
    actions = {a for s in statements for a in listed(s["Action"])}

    assert {
        "lambda:InvokeFunction",
        "athena:GetQueryExecution",
        "s3:GetObject",
        "states:StartExecution",
        "sns:Publish",
    } <= actions
    # It polls the audience query; the start function starts it and reads the lake.
    assert not {"athena:StartQueryExecution", "glue:GetTable"} & actions
    for statement in statements:
        if "*" in listed(statement["Resource"]):
            assert set(listed(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


# -- functions ---------------------------------------------------------------------------


def test_functions_have_handlers_settings_and_tracing(built: Built) -> None:
    functions = resources(built.template, "AWS::Lambda::Function")

    assert {f["Handler"] for f in functions.values()} == HANDLERS
    for properties in functions.values():
        variables = properties["Environment"]["Variables"]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert variables["CLARION_BACKEND"] == "aws"
        assert variables["CLARION_EVENTS_STREAM"] == "clarion-events"
        assert variables["CLARION_SES_CONFIGURATION_SET"] == "clarion"
        assert variables["CLARION_SMS_CONFIGURATION_SET"] == "clarion"
        assert "CLARION_SENDS_TABLE" in variables
        assert "CLARION_PINPOINT_APP_ID" not in variables
    assert function(built.template, SEND_BATCH)["Timeout"] == 900


def test_the_start_function_starts_the_audience_query_on_the_lake(built: Built) -> None:
    assert_starts_audience_queries(built.template, function(built.template, START))


def test_send_batch_may_deliver_and_record_but_not_more(built: Built) -> None:
    properties = function(built.template, SEND_BATCH)
    statements = statements_of_role(built.template, properties["Role"]["Fn::GetAtt"][0])
    actions = {a for s in statements for a in listed(s["Action"])}

    assert {"kinesis:PutRecords", "dynamodb:UpdateItem"} <= actions
    # No SES identity nor origination identity configured: no send grant at all (a
    # wildcard would let it send from any identity of the account).
    assert not {"ses:SendEmail", "ses:SendRawEmail", "sms-voice:SendTextMessage"} & actions
    assert "mobiletargeting:SendMessages" not in actions  # no push without the app
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    for statement in statements:
        if "*" in listed(statement["Resource"]):
            assert set(listed(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_sends_only_from_the_configured_identities(built_with_push: Built) -> None:
    template = built_with_push.template
    properties = function(template, SEND_BATCH)
    statements = statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])
    (ses,) = [s for s in statements if "ses:SendEmail" in listed(s["Action"])]
    resources = [json.dumps(r) for r in listed(ses["Resource"])]
    assert len(resources) == 2
    assert any(":identity/example.com" in r for r in resources)
    assert any(":configuration-set/clarion" in r for r in resources)
    assert ses["Condition"] == {
        "StringLike": {"ses:FromAddress": ["*@example.com", "*@*.example.com"]}
    }
    (sms,) = [s for s in statements if "sms-voice:SendTextMessage" in listed(s["Action"])]
    assert SMS_POOL in listed(sms["Resource"]) and len(listed(sms["Resource"])) == 2
    assert not any("*" in json.dumps(r) for r in listed(sms["Resource"]))


def _send_batch_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    properties = function(template, SEND_BATCH)
    return statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])


def test_no_custom_lambda_target_configured_means_no_invoke_grant(built: Built) -> None:
    for handler in HANDLERS:
        properties = function(built.template, handler)
        statements = statements_of_role(built.template, properties["Role"]["Fn::GetAtt"][0])
        assert not any("lambda:InvokeFunction" in listed(s["Action"]) for s in statements)
        assert not any("secretsmanager:GetSecretValue" in listed(s["Action"]) for s in statements)
    variables = function(built.template, SEND_BATCH)["Environment"]["Variables"]
    assert "CLARION_WEBHOOK_ALLOWED_HOSTS" not in variables


def test_custom_lambda_targets_are_invoked_on_exactly_the_configured_arns(
    built_with_push: Built,
) -> None:
    statements = _send_batch_statements(built_with_push.template)
    (invoke,) = [s for s in statements if "lambda:InvokeFunction" in listed(s["Action"])]

    assert listed(invoke["Action"]) == ["lambda:InvokeFunction"]
    assert sorted(listed(invoke["Resource"])) == sorted(CUSTOM_TARGETS)
    # Only the function that delivers may invoke them.
    for handler in HANDLERS - {SEND_BATCH}:
        properties = function(built_with_push.template, handler)
        others = statements_of_role(built_with_push.template, properties["Role"]["Fn::GetAtt"][0])
        assert not any("lambda:InvokeFunction" in listed(s["Action"]) for s in others)


def test_webhooks_get_their_allowlist_and_only_their_secret(built_with_push: Built) -> None:
    variables = function(built_with_push.template, SEND_BATCH)["Environment"]["Variables"]
    assert variables["CLARION_WEBHOOK_ALLOWED_HOSTS"] == "hooks.example.com,*.crm.example.org"
    assert variables["CLARION_WEBHOOK_SECRET_ARN"] == WEBHOOK_SECRET
    statements = _send_batch_statements(built_with_push.template)
    (secret,) = [s for s in statements if "secretsmanager:GetSecretValue" in listed(s["Action"])]
    assert listed(secret["Resource"]) == [WEBHOOK_SECRET]


@pytest.mark.parametrize(
    "arns",
    ["arn:aws:lambda:us-east-1:123456789012:function:*", "crm-sync", "arn:aws:lambda:*"],
)
def test_a_custom_target_that_is_not_a_function_arn_fails_synth(
    tmp_path_factory: pytest.TempPathFactory, arns: str
) -> None:
    with pytest.raises(Exception, match="must list Lambda function ARNs"):
        _build(tmp_path_factory.mktemp("messaging-bad"), MessagingOptions(custom_lambda_arns=arns))


def test_an_origination_identity_that_is_not_an_arn_fails_synth(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with pytest.raises(Exception, match="must be the ARN"):
        _build(
            tmp_path_factory.mktemp("messaging-bad"),
            MessagingOptions(sms_origination_identity="+14255550100"),
        )


# -- tables, identity, push ---------------------------------------------------------------


def test_the_sends_table_expires_records_and_is_encrypted(built: Built) -> None:
    (table,) = resources(built.template, "AWS::DynamoDB::Table").values()

    assert table["TableName"] == "clarion-sends"
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ExpiresAt", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "Pk": "HASH",
        "Sk": "RANGE",
    }


def test_no_pinpoint_app_unless_push_is_enabled(built: Built) -> None:
    assert not resources(built.template, "AWS::Pinpoint::App")
    assert not resources(built.template, "AWS::SES::EmailIdentity")


def test_push_channels_take_credentials_from_secrets_manager(built_with_push: Built) -> None:
    template = built_with_push.template
    (app,) = resources(template, "AWS::Pinpoint::App").values()
    (apns,) = resources(template, "AWS::Pinpoint::APNSChannel").values()
    (fcm,) = resources(template, "AWS::Pinpoint::GCMChannel").values()
    (identity,) = resources(template, "AWS::SES::EmailIdentity").values()

    assert app["Name"] == "clarion-push"
    assert identity["EmailIdentity"] == "example.com"
    for value in (apns["TokenKey"], apns["TeamId"], fcm["ServiceJson"]):
        assert "{{resolve:secretsmanager:" in json.dumps(value)
    variables = function(template, SEND_BATCH)["Environment"]["Variables"]
    assert "CLARION_PINPOINT_APP_ID" in variables
    properties = function(template, SEND_BATCH)
    statements = statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])
    assert "mobiletargeting:SendMessages" in {a for s in statements for a in listed(s["Action"])}


def test_the_scheduler_role_may_only_start_the_campaign_state_machine(built: Built) -> None:
    (group,) = resources(built.template, "AWS::Scheduler::ScheduleGroup").values()
    assert group["Name"] == "clarion-campaigns"
    roles = resources(built.template, "AWS::IAM::Role")
    (role_id,) = [
        k
        for k, r in roles.items()
        if r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "scheduler.amazonaws.com"
    ]
    (statement,) = statements_of_role(built.template, role_id)
    assert statement["Action"] == "states:StartExecution"
    assert "clarion-campaign-run" in json.dumps(statement["Resource"])


# -- checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["built", "built_with_push"])
def test_aws_solutions_checks_pass_or_are_acknowledged(
    which: str, request: pytest.FixtureRequest
) -> None:
    result: Built = request.getfixturevalue(which)
    findings = nag_findings(result.stack)
    assert findings == []


def test_cfn_lint_finds_no_errors(built_with_push: Built) -> None:
    result = cfn_lint(built_with_push.template_path)
    assert result.returncode & 3 == 0, result.stdout + result.stderr
    assert result.returncode & 4 == 0, result.stdout
