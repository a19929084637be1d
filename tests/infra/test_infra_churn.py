"""The churn stack: the scoring and training state machines, their functions, the
SageMaker role and image, the failure topic, alarms and schedules.

Built in its own test app (data stack + churn stack), synthesized once per option set,
with the AwsSolutions checks registered (unacknowledged findings fail synth).
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
    build_feature_stack,
    cfn_lint,
    function_with_id,
    listed,
    nag_findings,
    resources,
    role_statements,
    statements_of_role,
)

from infra.constructs.churn_sagemaker import xgboost_images
from infra.stacks.churn_stack import ChurnOptions, ChurnStack, ChurnStackProps

FEATURES = "lambdas.churn_features.handler.handler"
JOBS = "lambdas.churn_jobs.handler.handler"
WRITE_SCORES = "lambdas.churn_write_scores.handler.handler"
REFRESH_SEGMENT = "lambdas.churn_refresh_segment.handler.handler"
EVALUATE = "lambdas.churn_evaluate.handler.handler"
HANDLERS = {FEATURES, JOBS, WRITE_SCORES, REFRESH_SEGMENT, EVALUATE}
SCORING = "clarion-churn-scoring"
TRAINING = "clarion-churn-training"
# Actions AWS offers no resource-level permissions for.
ACTIONS_WITHOUT_RESOURCES = TRACING_AND_LOG_DELIVERY_ACTIONS | {
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def _build(tmp: Path, options: ChurnOptions, region: str | None = None) -> Built:
    return build_feature_stack(
        tmp,
        lambda app, config, data, layer, env: ChurnStack(
            app,
            "Churn",
            props=ChurnStackProps(config=config, data=data, runtime_deps_dir=layer, churn=options),
            env=env,
        ),
        region=region,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield _build(tmp_path_factory.mktemp("churn"), ChurnOptions())


@pytest.fixture(scope="module")
def built_with_launch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    options = ChurnOptions(
        launch_campaign=True,
        scoring_schedule="cron(30 6 * * ? *)",
        threshold="0.6",
        holdout_percent="10",
        instance_type="ml.m5.xlarge",
    )
    yield _build(tmp_path_factory.mktemp("churn-launch"), options, region="eu-west-1")


def function(template: dict[str, Any], handler: str) -> dict[str, Any]:
    return function_with_id(template, handler)[1]


function_statements = role_statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in listed(s["Action"])}


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        m["StateMachineName"]: m
        for m in resources(template, "AWS::StepFunctions::StateMachine").values()
    }


def definition(template: dict[str, Any], name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(state_machines(template)[name]["DefinitionString"])
    return loaded


def role_of_service(template: dict[str, Any], service: str) -> list[str]:
    return [
        k
        for k, r in resources(template, "AWS::IAM::Role").items()
        if r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service") == service
    ]


def text(value: Any) -> str:
    return json.dumps(value)


# -- the state machines ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "timeout"), [(SCORING, 6 * 3600), (TRAINING, 12 * 3600)])
def test_every_task_retries_with_backoff_is_caught_and_has_a_timeout(
    built: Built, name: str, timeout: int
) -> None:
    asl = definition(built.template, name)
    assert asl["TimeoutSeconds"] == timeout

    task_states = {n: s for n, s in asl["States"].items() if s["Type"] == "Task"}
    assert len(task_states) >= 6
    for state_name, state in task_states.items():
        assert state["TimeoutSeconds"] > 0, state_name
        assert state["Retry"], state_name
        for retry in state["Retry"]:
            assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3, state_name
        if state_name == "NotifyFailure":
            # The failure notice is what the catches lead to; it ends in Failed.
            assert state["Next"] == "Failed"
            assert state["Resource"] == "arn:aws:states:::aws-sdk:sns:publish"
            continue
        (catch,) = state["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"], state_name
        assert catch["Next"] == "NotifyFailure", state_name
        if state["Resource"] == "arn:aws:states:::lambda:invoke":
            retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
            assert retried >= LAMBDA_ERRORS, state_name
        assert ".sync" not in state["Resource"], state_name


def test_the_placeholders_are_substituted_with_the_stack_resources(built: Built) -> None:
    machines = state_machines(built.template)
    expected = {
        SCORING: {
            "FeaturesFunctionArn",
            "JobsFunctionArn",
            "WriteScoresFunctionArn",
            "SegmentFunctionArn",
            "FailureTopicArn",
        },
        TRAINING: {
            "FeaturesFunctionArn",
            "JobsFunctionArn",
            "EvaluateFunctionArn",
            "FailureTopicArn",
        },
    }
    functions = resources(built.template, "AWS::Lambda::Function")
    handler_of = {logical_id: f["Handler"] for logical_id, f in functions.items()}
    wanted = {
        "FeaturesFunctionArn": FEATURES,
        "JobsFunctionArn": JOBS,
        "WriteScoresFunctionArn": WRITE_SCORES,
        "SegmentFunctionArn": REFRESH_SEGMENT,
        "EvaluateFunctionArn": EVALUATE,
    }
    (topic_id,) = _failure_topics(built.template)
    for name, placeholders in expected.items():
        machine = machines[name]
        assert set(re.findall(r"\$\{(\w+)\}", machine["DefinitionString"])) == placeholders
        substitutions = machine["DefinitionSubstitutions"]
        assert set(substitutions) == placeholders
        for placeholder, handler in wanted.items():
            if placeholder in substitutions:
                logical_id = substitutions[placeholder]["Fn::GetAtt"][0]
                assert handler_of[logical_id] == handler
        assert substitutions["FailureTopicArn"] == {"Ref": topic_id}


def test_the_state_machines_are_logged_encrypted_and_traced(built: Built) -> None:
    log_groups = resources(built.template, "AWS::Logs::LogGroup")
    (key_id,) = resources(built.template, "AWS::KMS::Key")
    key = resources(built.template, "AWS::KMS::Key")[key_id]
    assert key["EnableKeyRotation"] is True
    assert "logs." in text(key["KeyPolicy"])
    for machine in state_machines(built.template).values():
        assert machine["TracingConfiguration"] == {"Enabled": True}
        logging = machine["LoggingConfiguration"]
        assert logging["Level"] == "ALL"
        assert logging["IncludeExecutionData"] is False
        (destination,) = logging["Destinations"]
        group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert log_groups[group_id]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_the_state_machine_roles_are_scoped(built: Built) -> None:
    machines = state_machines(built.template)
    functions = resources(built.template, "AWS::Lambda::Function")
    by_handler = {f["Handler"]: logical_id for logical_id, f in functions.items()}
    invoked = {
        SCORING: {FEATURES, JOBS, WRITE_SCORES, REFRESH_SEGMENT},
        TRAINING: {FEATURES, JOBS, EVALUATE},
    }
    described = {
        SCORING: ("sagemaker:DescribeTransformJob", ":transform-job/churn-score-*"),
        TRAINING: ("sagemaker:DescribeTrainingJob", ":training-job/churn-train-*"),
    }
    for name, machine in machines.items():
        statements = statements_of_role(built.template, machine["RoleArn"]["Fn::GetAtt"][0])
        actions = actions_of(statements)
        (invoke,) = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
        assert {r["Fn::GetAtt"][0] for r in invoke["Resource"]} == {
            by_handler[h] for h in invoked[name]
        }
        action, resource = described[name]
        (describe,) = [s for s in statements if s["Action"] == action]
        assert resource in text(describe["Resource"])
        (athena,) = [s for s in statements if s["Action"] == "athena:GetQueryExecution"]
        assert ":workgroup/clarion" in text(athena["Resource"])
        assert "sns:Publish" in actions
        assert not {a for a in actions if a.startswith("sagemaker:Create")}
        for statement in statements:
            if "*" in listed(statement["Resource"]):
                assert set(listed(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_failed_executions_raise_alarms(built: Built) -> None:
    alarms = resources(built.template, "AWS::CloudWatch::Alarm")
    machines = resources(built.template, "AWS::StepFunctions::StateMachine")

    assert len(alarms) == 2
    alarmed = set()
    for alarm in alarms.values():
        metrics = {m["Id"]: m for m in alarm["Metrics"]}
        assert metrics["failed"]["MetricStat"]["Metric"]["MetricName"] == "ExecutionsFailed"
        assert {"timedout", "aborted"} <= set(metrics)
        (dimension,) = metrics["failed"]["MetricStat"]["Metric"]["Dimensions"]
        alarmed.add(dimension["Value"]["Ref"])
        assert alarm["Threshold"] == 1
        assert alarm["TreatMissingData"] == "notBreaching"
    assert alarmed == set(machines)


def _failure_topics(template: dict[str, Any]) -> dict[str, Any]:
    """The pipelines' failure topic (the stack's operator alerts topic left out)."""
    return {
        k: v
        for k, v in resources(template, "AWS::SNS::Topic").items()
        if not k.startswith("OperatorAlerts")
    }


def test_the_failure_topic_is_encrypted_tls_only_and_gets_the_alarms(built: Built) -> None:
    ((topic_id, topic),) = _failure_topics(built.template).items()
    (policy,) = [
        p
        for p in resources(built.template, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Topics"]
    ]
    ((key_id, key),) = resources(built.template, "AWS::KMS::Key").items()

    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert "aws:SecureTransport" in text(policy)
    # CloudWatch may use the key to notify the encrypted topic.
    assert "cloudwatch.amazonaws.com" in text(key["KeyPolicy"])
    for alarm in resources(built.template, "AWS::CloudWatch::Alarm").values():
        # The failure topic, and the stack's operator alerts topic beside it.
        assert {"Ref": topic_id} in alarm["AlarmActions"]
    for machine in state_machines(built.template).values():
        statements = statements_of_role(built.template, machine["RoleArn"]["Fn::GetAtt"][0])
        (publish,) = [s for s in statements if s["Action"] == "sns:Publish"]
        assert publish["Resource"] == {"Ref": topic_id}
        assert any(
            s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
            and "kms:GenerateDataKey" in listed(s["Action"])
            for s in statements
        )


# -- schedules ---------------------------------------------------------------------------


def schedules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Name"]: s for s in resources(template, "AWS::Scheduler::Schedule").values()}


def test_scoring_runs_daily_and_training_weekly(built: Built) -> None:
    machines = {
        logical_id: m["StateMachineName"]
        for logical_id, m in resources(built.template, "AWS::StepFunctions::StateMachine").items()
    }
    found = schedules(built.template)
    (group,) = resources(built.template, "AWS::Scheduler::ScheduleGroup").values()

    assert set(found) == {SCORING, TRAINING}
    assert found[SCORING]["ScheduleExpression"] == "cron(0 5 * * ? *)"
    assert found[TRAINING]["ScheduleExpression"] == "cron(0 1 ? * SUN *)"
    for name, schedule in found.items():
        assert schedule["GroupName"] == group["Name"] == "clarion-churn"
        assert schedule["ScheduleExpressionTimezone"] == "UTC"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        target = schedule["Target"]
        assert machines[target["Arn"]["Ref"]] == name
        assert json.loads(target["Input"]) == {}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_the_launch_flag_makes_scoring_launch_the_campaign(built_with_launch: Built) -> None:
    found = schedules(built_with_launch.template)

    assert json.loads(found[SCORING]["Target"]["Input"]) == {"launch_campaign": True}
    assert json.loads(found[TRAINING]["Target"]["Input"]) == {}
    assert found[SCORING]["ScheduleExpression"] == "cron(30 6 * * ? *)"


def test_the_scheduler_role_may_only_start_the_two_state_machines(built: Built) -> None:
    (role_id,) = role_of_service(built.template, "scheduler.amazonaws.com")
    role = resources(built.template, "AWS::IAM::Role")[role_id]
    (statement,) = statements_of_role(built.template, role_id)
    machines = resources(built.template, "AWS::StepFunctions::StateMachine")

    assert statement["Action"] == "states:StartExecution"
    assert {r["Ref"] for r in statement["Resource"]} == set(machines)
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert "schedule/clarion-churn/*" in text(trust["ArnLike"]["aws:SourceArn"])
    for schedule in schedules(built.template).values():
        assert schedule["Target"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


# -- functions ---------------------------------------------------------------------------


def test_functions_have_handlers_settings_and_tracing(built: Built) -> None:
    functions = resources(built.template, "AWS::Lambda::Function")

    assert {f["Handler"] for f in functions.values()} == HANDLERS
    for properties in functions.values():
        variables = properties["Environment"]["Variables"]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["Runtime"] == "python3.12"
        assert variables["CLARION_BACKEND"] == "aws"
        assert variables["CLARION_ENDPOINTS_TABLE"] == "clarion-endpoints"
        assert variables["CLARION_DEFINITIONS_TABLE"] == "clarion-definitions"
        assert variables["CLARION_ATHENA_WORKGROUP"] == "clarion"
        assert variables["CLARION_GLUE_DATABASE"] == "clarion"
        assert variables["POWERTOOLS_SERVICE_NAME"] == "clarion-churn"
    for handler in (FEATURES, WRITE_SCORES, EVALUATE):
        # The state machine's task timeouts (900 s) bound these.
        assert function(built.template, handler)["Timeout"] == 900


def test_the_jobs_function_gets_the_image_and_the_sagemaker_role(built: Built) -> None:
    variables = function(built.template, JOBS)["Environment"]["Variables"]
    (sagemaker_role,) = role_of_service(built.template, "sagemaker.amazonaws.com")
    (mapping_id,) = built.template["Mappings"]

    assert variables["CLARION_CHURN_IMAGE_URI"] == {
        "Fn::FindInMap": [mapping_id, {"Ref": "AWS::Region"}, "Uri"]
    }
    assert variables["CLARION_SAGEMAKER_ROLE_ARN"] == {"Fn::GetAtt": [sagemaker_role, "Arn"]}
    assert variables["CLARION_CHURN_INSTANCE_TYPE"] == "ml.m5.large"
    mapping = built.template["Mappings"][mapping_id]
    assert mapping["us-east-1"]["Uri"] == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    )
    assert mapping["us-east-1"]["Account"] == "683313688378"
    assert set(mapping) == set(xgboost_images())
    assert all(v["Uri"].endswith("/sagemaker-xgboost:3.0-5") for v in mapping.values())


def test_a_stack_with_a_region_gets_the_literal_image(built_with_launch: Built) -> None:
    template = built_with_launch.template
    variables = function(template, JOBS)["Environment"]["Variables"]

    assert "Mappings" not in template
    assert variables["CLARION_CHURN_IMAGE_URI"] == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    )
    assert variables["CLARION_CHURN_INSTANCE_TYPE"] == "ml.m5.xlarge"
    segment = function(template, REFRESH_SEGMENT)["Environment"]["Variables"]
    assert segment["CLARION_CHURN_THRESHOLD"] == "0.6"
    assert segment["CLARION_CHURN_HOLDOUT_PERCENT"] == "10"


def test_the_jobs_function_starts_only_churn_jobs_and_passes_only_its_role(built: Built) -> None:
    statements = function_statements(built.template, JOBS)
    actions = actions_of(statements)
    (sagemaker_role,) = role_of_service(built.template, "sagemaker.amazonaws.com")

    assert {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:CreateModel",
        "sagemaker:CreateTransformJob",
        "sagemaker:DescribeTransformJob",
        "iam:PassRole",
        "s3:GetObject",
    } <= actions
    for statement in statements:
        if any(a.startswith("sagemaker:") for a in listed(statement["Action"])):
            resources_text = [text(r) for r in listed(statement["Resource"])]
            assert all(
                re.search(r":(training-job|model|transform-job)/churn-(train|score)-\*", r)
                for r in resources_text
            ), statement
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": [sagemaker_role, "Arn"]}
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert "s3:PutObject" not in actions


def test_the_sagemaker_role_reads_inputs_writes_outputs_and_pulls_its_image(
    built: Built,
) -> None:
    (role_id,) = role_of_service(built.template, "sagemaker.amazonaws.com")
    role = resources(built.template, "AWS::IAM::Role")[role_id]
    statements = statements_of_role(built.template, role_id)

    assert "aws:SourceAccount" in text(role["AssumeRolePolicyDocument"])
    reads = text([s["Resource"] for s in statements if s["Action"] == "s3:GetObject"])
    assert "/churn/runs/*" in reads and "/models/churn/*" in reads
    writes = text([s["Resource"] for s in statements if "s3:PutObject" in listed(s["Action"])])
    for prefix in ("/train/model/*", "/train/eval/output/*", "/score/output/*"):
        assert f"/churn/runs/*{prefix}" in writes
    assert "/models/churn/" not in writes
    (pull,) = [s for s in statements if "ecr:BatchGetImage" in listed(s["Action"])]
    assert ":repository/sagemaker-xgboost" in text(pull["Resource"])
    assert "Fn::FindInMap" in text(pull["Resource"])
    (logs_statement,) = [s for s in statements if "logs:PutLogEvents" in listed(s["Action"])]
    assert ":log-group:/aws/sagemaker/*" in text(logs_statement["Resource"])
    for statement in statements:
        if "*" in listed(statement["Resource"]):
            assert set(listed(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_the_features_function_queries_athena_on_the_lake(built: Built) -> None:
    statements = function_statements(built.template, FEATURES)
    actions = actions_of(statements)
    resources_text = text([s["Resource"] for s in statements])

    assert {"athena:StartQueryExecution", "athena:GetQueryExecution", "glue:GetTable"} <= actions
    for table in ("endpoints", "endpoint_latest", "events"):
        assert f"table/clarion/{table}" in resources_text
    for prefix in ("athena-results/*", "churn/runs/*", "events/*", "endpoint-snapshot/*"):
        assert f"/{prefix}" in resources_text
    assert not {a for a in actions if a.startswith(("sagemaker:", "dynamodb:"))}


def test_write_scores_writes_endpoints_only(built: Built) -> None:
    statements = function_statements(built.template, WRITE_SCORES)
    tables = [s for s in statements if any(a.startswith("dynamodb:") for a in listed(s["Action"]))]

    (table,) = tables
    assert "dynamodb:BatchWriteItem" in listed(table["Action"])
    assert text(table["Resource"]).count(":table/") == 1
    assert ":table/clarion-endpoints" in text(table["Resource"])
    assert "s3:PutObject" not in actions_of(statements)


def test_refresh_segment_may_launch_only_the_campaign_state_machine(built: Built) -> None:
    statements = function_statements(built.template, REFRESH_SEGMENT)
    variables = function(built.template, REFRESH_SEGMENT)["Environment"]["Variables"]

    (start,) = [s for s in statements if s["Action"] == "states:StartExecution"]
    assert ":stateMachine:clarion-campaign-run" in text(start["Resource"])
    assert ":stateMachine:clarion-campaign-run" in text(
        variables["CLARION_CAMPAIGN_STATE_MACHINE_ARN"]
    )
    assert variables["CLARION_SENDS_TABLE"] == "clarion-sends"
    assert "CLARION_CHURN_THRESHOLD" not in variables  # the pipeline's default
    written = [
        text(s["Resource"])
        for s in statements
        if {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "s3:PutObject"}
        & set(listed(s["Action"]))
    ]
    assert any(":table/clarion-definitions" in w for w in written)
    assert any("/models/churn/documents/*" in w for w in written)
    assert not any("clarion-endpoints" in w or "clarion-sends" in w for w in written)


def test_evaluate_reads_runs_and_keeps_models(built: Built) -> None:
    statements = function_statements(built.template, EVALUATE)
    written = text([s["Resource"] for s in statements if "s3:PutObject" in listed(s["Action"])])

    assert "/models/churn/*" in written
    assert "/churn/runs/" not in written
    assert not {a for a in actions_of(statements) if a.startswith(("sagemaker:", "dynamodb:"))}


def test_function_roles_use_wildcards_only_where_aws_requires(built: Built) -> None:
    for handler in HANDLERS:
        for statement in function_statements(built.template, handler):
            assert not any(a.endswith(":*") or a == "*" for a in listed(statement["Action"]))
            if "*" in listed(statement["Resource"]):
                assert set(listed(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_the_outputs_give_the_cli_its_settings(built: Built) -> None:
    outputs = built.template["Outputs"]

    assert {
        "ChurnImageUri",
        "SageMakerRoleArn",
        "ChurnScoringStateMachineArn",
        "ChurnTrainingStateMachineArn",
        "ChurnFailureTopic",
    } <= set(outputs)


# -- checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["built", "built_with_launch"])
def test_aws_solutions_checks_pass_or_are_acknowledged(
    which: str, request: pytest.FixtureRequest
) -> None:
    result: Built = request.getfixturevalue(which)
    findings = nag_findings(result.stack)
    assert findings == []


@pytest.mark.parametrize("which", ["built", "built_with_launch"])
def test_cfn_lint_finds_no_errors(which: str, request: pytest.FixtureRequest) -> None:
    result: Built = request.getfixturevalue(which)
    completed = cfn_lint(result.template_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
