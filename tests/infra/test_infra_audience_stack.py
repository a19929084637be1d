"""The audience layer: import, change feed and compaction functions and their wiring."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match
from infra_helpers import TRACING_AND_LOG_DELIVERY_ACTIONS

HANDLERS = {
    "lambdas.import_endpoints.handler.handler",
    "lambdas.endpoint_change_feed.handler.handler",
    "lambdas.compact_endpoints.handler.handler",
    "lambdas.import_job_piece.handler.handler",
    "lambdas.import_job_finish.handler.handler",
    "lambdas.erase_lake.handler.handler",
}
ERASE_STEPS = "lambdas.erase_lake.handler.handler"
# Actions AWS offers no resource-level permissions for (the import-job state machine
# delivers its logs and traces).
ACTIONS_WITHOUT_RESOURCES = {
    "dynamodb:ListStreams",
    *TRACING_AND_LOG_DELIVERY_ACTIONS,
}


def resources_of(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def function_by_handler(template: dict[str, Any], handler: str) -> dict[str, Any]:
    (function,) = [
        f for f in resources_of(template, "AWS::Lambda::Function") if f["Handler"] == handler
    ]
    return function


def test_every_function_runs_python_312_traced_with_clarion_settings(synthesized: Any) -> None:
    functions = resources_of(synthesized.templates["Audience"], "AWS::Lambda::Function")

    assert {f["Handler"] for f in functions} == HANDLERS
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert function["Runtime"] == "python3.12"
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert variables["CLARION_BACKEND"] == "aws"
        assert variables["CLARION_ENDPOINTS_TABLE"] == "clarion-endpoints"
        assert variables["CLARION_DEFINITIONS_TABLE"] == "clarion-definitions"
        assert variables["CLARION_GLUE_DATABASE"] == "clarion"
        assert variables["CLARION_ATHENA_WORKGROUP"] == "clarion"
        assert "CLARION_DATA_BUCKET" in variables
        assert variables["POWERTOOLS_SERVICE_NAME"]
        assert len(function["Layers"]) == 2
        assert "LoggingConfig" in function


def test_the_powertools_layer_is_the_public_one_for_the_stacks_region(synthesized: Any) -> None:
    function = function_by_handler(
        synthesized.templates["Audience"], "lambdas.endpoint_change_feed.handler.handler"
    )
    arns = [layer for layer in function["Layers"] if "Fn::Join" in layer]
    (powertools,) = [a for a in arns if "017000801446" in str(a)]
    parts = powertools["Fn::Join"][1]
    assert {"Ref": "AWS::Region"} in parts
    assert parts[-1].endswith(":017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:27")


def test_the_import_function_is_sized_for_large_files_and_has_a_dlq(synthesized: Any) -> None:
    function = function_by_handler(
        synthesized.templates["Audience"], "lambdas.import_endpoints.handler.handler"
    )
    assert function["Timeout"] == 900
    assert function["MemorySize"] >= 3008
    assert "DeadLetterConfig" in function


def test_an_object_created_under_imports_triggers_the_import(synthesized: Any) -> None:
    synthesized.template("Audience").has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [Match.any_value()]},
                    "object": {"key": [{"prefix": "imports/"}]},
                },
            },
            "Targets": [
                Match.object_like(
                    {"DeadLetterConfig": Match.any_value(), "RetryPolicy": Match.any_value()}
                )
            ],
        },
    )


def test_the_stream_is_read_with_bisect_partial_failures_and_a_dlq(synthesized: Any) -> None:
    synthesized.template("Audience").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": Match.any_value(),
            "StartingPosition": "TRIM_HORIZON",
            "BisectBatchOnFunctionError": True,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
            "FilterCriteria": {
                "Filters": [
                    {
                        "Pattern": '{"dynamodb":{"Keys":{"Id":{"S":[{"anything-but":'
                        '["#clarion/attribute-names"]}]}}}}'
                    }
                ]
            },
        },
    )


def test_the_change_feed_handler_knows_its_delivery_stream(synthesized: Any) -> None:
    function = function_by_handler(
        synthesized.templates["Audience"], "lambdas.endpoint_change_feed.handler.handler"
    )
    variables = function["Environment"]["Variables"]
    assert variables["CLARION_ENDPOINT_CHANGES_STREAM"] == "clarion-endpoint-changes"


def test_firehose_writes_encrypted_parquet_by_day_with_the_glue_schema(synthesized: Any) -> None:
    (stream,) = resources_of(
        synthesized.templates["Audience"], "AWS::KinesisFirehose::DeliveryStream"
    )
    destination = stream["ExtendedS3DestinationConfiguration"]
    conversion = destination["DataFormatConversionConfiguration"]

    assert stream["DeliveryStreamName"] == "clarion-endpoint-changes"
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "CUSTOMER_MANAGED_CMK"
    assert destination["Prefix"] == "endpoint-changes/dt=!{timestamp:yyyy-MM-dd}/"
    assert "KMSEncryptionConfig" in destination["EncryptionConfiguration"]
    assert destination["BufferingHints"]["SizeInMBs"] >= 64
    assert conversion["Enabled"] is True
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert conversion["SchemaConfiguration"]["DatabaseName"] == "clarion"
    assert conversion["SchemaConfiguration"]["TableName"] == "endpoint_changes"


def test_compaction_runs_daily_with_its_sql(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    function = function_by_handler(template, "lambdas.compact_endpoints.handler.handler")
    sql = function["Environment"]["Variables"]["CLARION_COMPACTION_SQL"]

    assert sql.startswith("INSERT INTO endpoint_snapshot")
    assert "{snapshot_ms}" in sql and "{columns}" not in sql
    assert function["ReservedConcurrentExecutions"] == 1
    schedules = [
        r for r in resources_of(template, "AWS::Events::Rule") if "ScheduleExpression" in r
    ]
    assert [s["ScheduleExpression"] for s in schedules] == ["cron(0 3 * * ? *)"]


def test_compaction_deletes_absorbed_changes_and_alarms_with_an_action(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    function = function_by_handler(template, "lambdas.compact_endpoints.handler.handler")
    # It deletes change objects itself, after a snapshot, past the configured retention.
    assert function["Environment"]["Variables"]["CLARION_CHANGE_RETENTION_DAYS"] == "30"
    assert function["Environment"]["Variables"]["CLARION_SNAPSHOT_RETENTION_DAYS"] == "90"
    deletes = [
        s
        for s in statements(template)
        if "s3:DeleteObject" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        and "endpoint-changes/*" in json.dumps(s["Resource"])
    ]
    assert deletes
    alarms = {a["AlarmDescription"]: a for a in resources_of(template, "AWS::CloudWatch::Alarm")}
    failing = alarms["Endpoint compaction failed in the last day"]
    stale = alarms["No successful endpoint compaction for two days"]
    # Both act (the stack's operator alerts topic), and silence counts as failure.
    assert failing["AlarmActions"] and stale["AlarmActions"]
    assert stale["TreatMissingData"] == "breaching"
    assert stale["EvaluationPeriods"] == 2


def test_queues_are_kms_encrypted(synthesized: Any) -> None:
    queues = resources_of(synthesized.templates["Audience"], "AWS::SQS::Queue")
    # The import and compaction functions' (stream failures are kept in S3 instead).
    assert len(queues) == 2
    assert all("KmsMasterKeyId" in queue for queue in queues)


def test_log_groups_have_a_retention(synthesized: Any) -> None:
    groups = resources_of(synthesized.templates["Audience"], "AWS::Logs::LogGroup")
    assert groups and all(group.get("RetentionInDays") == 90 for group in groups)


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in resources_of(template, "AWS::IAM::Policy"):
        found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_policy_grants_all_resources_except_where_aws_requires(synthesized: Any) -> None:
    for stack in ("Data", "Audience"):
        for statement in statements(synthesized.templates[stack]):
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_no_policy_uses_service_wide_actions(synthesized: Any) -> None:
    for statement in statements(synthesized.templates["Audience"]):
        for action in as_list(statement["Action"]):
            assert not action.endswith(":*"), statement


def test_the_import_function_reads_only_imports_and_writes_only_its_outputs(
    synthesized: Any,
) -> None:
    template = synthesized.templates["Audience"]
    function = function_by_handler(template, "lambdas.import_endpoints.handler.handler")
    role = function["Role"]["Fn::GetAtt"][0]
    policies = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    object_grants: dict[str, set[str]] = {}
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            for resource in as_list(statement["Resource"]):
                text = str(resource)
                if "s3:::" in text and text.endswith("*']]}"):
                    prefix = resource["Fn::Join"][1][-1]
                    object_grants.setdefault(prefix, set()).update(as_list(statement["Action"]))
    assert object_grants == {
        "/imports/*": {"s3:GetObject"},
        "/import-results/*": {
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        },
        "/imported-segments/*": {
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        },
    }


def _role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_import_job_state_machine_is_a_distributed_map_over_the_file(
    synthesized: Any,
) -> None:
    template = synthesized.templates["Audience"]
    (machine,) = [
        m
        for m in resources_of(template, "AWS::StepFunctions::StateMachine")
        if "import-job" in str(m.get("StateMachineName"))
    ]
    substituted = machine["DefinitionSubstitutions"]
    piece = function_by_handler(template, "lambdas.import_job_piece.handler.handler")
    finish = function_by_handler(template, "lambdas.import_job_finish.handler.handler")
    functions = {
        logical: f
        for logical, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
        for f in [r["Properties"]]
        if f in (piece, finish)
    }
    assert {v["Fn::GetAtt"][0] for k, v in substituted.items() if k.endswith("FunctionArn")} == set(
        functions
    )
    assert machine["TracingConfiguration"] == {"Enabled": True}
    role = machine["RoleArn"]["Fn::GetAtt"][0]
    actions = {
        action
        for statement in _role_statements(template, role)
        for action in as_list(statement["Action"])
    }
    assert {"lambda:InvokeFunction", "states:StartExecution", "s3:GetObject"} <= actions
    assert not any(a.startswith("dynamodb:") for a in actions)  # the workers write, not it


def test_import_job_failures_alarm_with_an_action(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    alarms = [
        a
        for a in resources_of(template, "AWS::CloudWatch::Alarm")
        if "import" in str(a.get("AlarmDescription", "")).lower()
        and "Dead letters" not in str(a.get("AlarmDescription", ""))
    ]
    # A failed execution and a piece that failed after its retries (the import's
    # dead-letter queue has its own alarm, as every queue has).
    assert len(alarms) == 2
    topics = {
        logical
        for logical, r in template["Resources"].items()
        if r["Type"] == "AWS::SNS::Topic" and r["Properties"].get("KmsMasterKeyId")
    }
    for alarm in alarms:
        # The import jobs' failure topic, and the stack's operator alerts.
        assert alarm["AlarmActions"]
        assert all(action["Ref"] in topics for action in alarm["AlarmActions"])


def test_the_drop_folder_and_the_api_start_import_jobs(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    function = function_by_handler(template, "lambdas.import_endpoints.handler.handler")
    variables = function["Environment"]["Variables"]
    assert "CLARION_IMPORT_JOB_STATE_MACHINE_ARN" in variables
    role = function["Role"]["Fn::GetAtt"][0]
    started = [
        s
        for s in _role_statements(template, role)
        if "states:StartExecution" in as_list(s["Action"])
    ]
    assert len(started) == 1
    api = synthesized.templates["Api"]
    (handler,) = [
        f
        for f in resources_of(api, "AWS::Lambda::Function")
        if "CLARION_IMPORT_JOB_STATE_MACHINE_ARN" in f.get("Environment", {}).get("Variables", {})
    ]
    assert handler["Handler"].startswith("lambdas.api.")


# -- the lake's erase workflow ---------------------------------------------------------------


def _erase_machine(template: dict[str, Any]) -> dict[str, Any]:
    (machine,) = [
        m
        for m in resources_of(template, "AWS::StepFunctions::StateMachine")
        if "erase-lake" in str(m.get("StateMachineName"))
    ]
    return machine


def _object_grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """S3 object actions by the prefix (``events/``) of the ``<bucket>/<prefix>*``
    resources they name."""
    import json
    import re

    grants: dict[str, set[str]] = {}
    for statement in statements:
        actions = {a for a in as_list(statement["Action"]) if a.startswith("s3:")}
        for resource in as_list(statement["Resource"]):
            for prefix in re.findall(r'"/([a-z-]+/)\*"', json.dumps(resource)):
                grants.setdefault(prefix, set()).update(actions)
    return grants


def test_the_erase_workflow_is_logged_encrypted_and_traced(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    machine = _erase_machine(template)

    assert machine["StateMachineName"] == "clarion-erase-lake"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    logging = machine["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    log_group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    group = template["Resources"][log_group["Fn::GetAtt"][0]]["Properties"]
    assert "KmsKeyId" in group and group["RetentionInDays"]
    substituted = machine["DefinitionSubstitutions"]
    assert set(substituted) == {"StepsFunctionArn", "AthenaWorkgroup"}
    steps = [
        logical
        for logical, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == ERASE_STEPS
    ]
    assert substituted["StepsFunctionArn"] == {"Fn::GetAtt": [steps[0], "Arn"]}


def test_the_erase_workflow_role_reads_the_lake_and_writes_only_staging(
    synthesized: Any,
) -> None:
    template = synthesized.templates["Audience"]
    role = _erase_machine(template)["RoleArn"]["Fn::GetAtt"][0]
    statements = _role_statements(template, role)
    actions = {a for s in statements for a in as_list(s["Action"])}
    objects = _object_grants(statements)

    assert {"athena:StartQueryExecution", "athena:GetQueryExecution"} <= actions
    assert "lambda:InvokeFunction" in actions
    assert not {a for a in actions if a.startswith("dynamodb:")}
    assert not {"s3:DeleteObject", "s3:DeleteObjectVersion"} & actions
    for prefix in ("events/", "endpoint-changes/", "endpoint-snapshot/"):
        assert objects[prefix] == {"s3:GetObject"}, prefix
    assert "s3:PutObject" in objects["erase-staging/"]
    assert "s3:GetObject" not in objects["erase-staging/"]
    # The workflow invokes only its own steps function.
    (invoke,) = [s for s in statements if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert len(as_list(invoke["Resource"])) == 1


def test_only_the_steps_function_replaces_and_deletes_lake_objects(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    function = function_by_handler(template, ERASE_STEPS)
    statements = _role_statements(template, function["Role"]["Fn::GetAtt"][0])
    actions = {a for s in statements for a in as_list(s["Action"])}
    objects = _object_grants(statements)

    assert "athena:GetQueryResults" in actions
    assert "athena:StartQueryExecution" not in actions
    assert not {a for a in actions if a.startswith(("dynamodb:", "states:"))}
    for prefix in ("events/", "endpoint-changes/", "endpoint-snapshot/", "erase-staging/"):
        assert {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"} <= objects[prefix]
    assert set(objects) == {
        "events/",
        "endpoint-changes/",
        "endpoint-snapshot/",
        "erase-staging/",
        "athena-results/",
    }
    assert objects["athena-results/"] == {"s3:GetObject"}


def test_a_failed_erase_alarms_with_an_action(synthesized: Any) -> None:
    template = synthesized.templates["Audience"]
    (alarm,) = [
        a
        for a in resources_of(template, "AWS::CloudWatch::Alarm")
        if "clarion-erase-lake" in str(a.get("AlarmDescription", ""))
    ]
    assert alarm["AlarmActions"]


def test_the_api_starts_the_erase_workflow(synthesized: Any) -> None:
    import json

    template = synthesized.templates["Api"]
    function = function_by_handler(template, "lambdas.api.handler.handler")
    variables = function["Environment"]["Variables"]
    assert ":stateMachine:clarion-erase-lake" in json.dumps(
        variables["CLARION_ERASE_STATE_MACHINE_ARN"]
    )
    statements = _role_statements(template, function["Role"]["Fn::GetAtt"][0])
    started = [
        json.dumps(s["Resource"])
        for s in statements
        if "states:StartExecution" in as_list(s["Action"])
    ]
    assert any(":stateMachine:clarion-erase-lake" in r for r in started)


def test_the_cli_gets_the_workflows_arn(synthesized: Any) -> None:
    outputs = synthesized.templates["Audience"]["Outputs"]
    (value,) = [o["Value"] for name, o in outputs.items() if name == "EraseStateMachineArn"]
    machines = [
        logical
        for logical, r in synthesized.templates["Audience"]["Resources"].items()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
        and "erase-lake" in str(r["Properties"].get("StateMachineName"))
    ]
    assert value == {"Ref": machines[0]}


def test_staged_copies_expire(synthesized: Any) -> None:
    buckets = resources_of(synthesized.templates["Data"], "AWS::S3::Bucket")
    rules = [
        rule
        for bucket in buckets
        for rule in bucket.get("LifecycleConfiguration", {}).get("Rules", [])
        if rule.get("Prefix") == "erase-staging/"
    ]
    assert len(rules) == 1
    assert rules[0]["ExpirationInDays"] == 2
