"""The social stack: posts stream and API, the social table, the scoring function; and the
endpoints table's handle index it relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra_helpers import function_with_id, listed, resources, role_statements

from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
from clarion.adapters.aws.sentiment.social_store import social_handle_index_spec, social_table_spec
from clarion.bootstrap.settings import AwsSettings
from infra.stacks.social_stack import SocialOptions

INGEST = "lambdas.ingest_posts.handler.handler"
SCORE = "lambdas.score_posts.handler.handler"
COMPREHEND_ACTIONS = {
    "comprehend:BatchDetectDominantLanguage",
    "comprehend:BatchDetectSentiment",
    "comprehend:DetectSentiment",
    "comprehend:BatchDetectEntities",
}
# Actions AWS offers no resource-level permissions for.
ACTIONS_WITHOUT_RESOURCES = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# The delivery settings the message service reads (as the campaign send-batch has them).
DELIVERY_VARIABLES = {
    "CLARION_APP_ID",
    "CLARION_EVENTS_STREAM",
    "CLARION_SENDS_TABLE",
    "CLARION_SES_CONFIGURATION_SET",
    "CLARION_SMS_CONFIGURATION_SET",
}


def social(synthesized: Any) -> dict[str, Any]:
    template: dict[str, Any] = synthesized.templates["Social"]
    return template


function = function_with_id


def rendered(value: Any) -> str:
    """An ARN of the template as text (``Fn::Join`` parts, ``<Ref>`` for references)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(rendered(p) for p in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::ImportValue" in value:
        return f"<import {value['Fn::ImportValue']}>"
    raise AssertionError(f"unexpected {value!r}")


# -- the posts stream and API ------------------------------------------------------------


def test_the_posts_stream_is_on_demand_and_kms_encrypted(synthesized: Any) -> None:
    synthesized.template("Social").has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "clarion-posts",
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": Match.any_value()},
        },
    )


def test_the_posts_api_is_an_iam_authorised_validated_logged_proxy(synthesized: Any) -> None:
    template = social(synthesized)
    ingest_id, _ = function(template, INGEST)
    paths = {r["PathPart"] for r in resources(template, "AWS::ApiGateway::Resource").values()}
    assert paths == {"v1", "social", "posts"}
    (method,) = resources(template, "AWS::ApiGateway::Method").values()
    assert method["HttpMethod"] == "POST"
    assert method["AuthorizationType"] == "AWS_IAM"
    assert "RequestValidatorId" in method
    assert list(method["RequestModels"]) == ["application/json"]
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert ingest_id in json.dumps(method["Integration"]["Uri"])
    (validator,) = resources(template, "AWS::ApiGateway::RequestValidator").values()
    assert validator["ValidateRequestBody"] is True
    (model,) = resources(template, "AWS::ApiGateway::Model").values()
    schema = model["Schema"]
    assert sorted(schema["type"]) == ["array", "object"]
    assert schema["properties"]["Posts"]["maxItems"] == 500
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    assert stage["StageName"] == "live"
    assert "DestinationArn" in stage["AccessLogSetting"]
    assert stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert settings["ThrottlingRateLimit"] == SocialOptions().api_rate_limit
    assert settings["ThrottlingBurstLimit"] == SocialOptions().api_burst_limit
    # The account's API Gateway logging role is the events stack's, not set twice.
    assert not resources(template, "AWS::ApiGateway::Account")


def test_the_ingest_function_puts_on_the_posts_stream_and_dead_letters_only(
    synthesized: Any,
) -> None:
    template = social(synthesized)
    _, ingest = function(template, INGEST)
    (stream_id,) = resources(template, "AWS::Kinesis::Stream")
    variables = ingest["Environment"]["Variables"]
    assert variables["CLARION_BACKEND"] == "aws"
    assert variables["CLARION_POSTS_STREAM"] == "clarion-posts"
    assert "CLARION_DATA_BUCKET" in variables
    assert variables["POWERTOOLS_SERVICE_NAME"] == "clarion-social-ingest"
    assert ingest["TracingConfig"] == {"Mode": "Active"}
    assert ingest["Timeout"] <= 29

    statements = role_statements(template, INGEST)
    actions = {a for s in statements for a in listed(s["Action"])}
    assert not {a for a in actions if a.startswith(("dynamodb:", "comprehend:", "ses:"))}
    (put,) = [s for s in statements if "kinesis:PutRecords" in listed(s["Action"])]
    assert listed(put["Action"]) == ["kinesis:PutRecords"]
    assert put["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    (objects,) = [s for s in statements if "s3:PutObject" in listed(s["Action"])]
    assert rendered(objects["Resource"]).endswith("/dead-letters/*")


# -- the scoring function ------------------------------------------------------------------


def test_the_scoring_function_reads_the_posts_stream_with_partial_failures(
    synthesized: Any,
) -> None:
    template = social(synthesized)
    score_id, _ = function(template, SCORE)
    (stream_id,) = resources(template, "AWS::Kinesis::Stream")
    (mapping,) = resources(template, "AWS::Lambda::EventSourceMapping").values()

    assert mapping["FunctionName"] == {"Ref": score_id}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["BatchSize"] == 100
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    # The failed batch itself is kept in S3 (an SQS destination holds only pointers).
    destination = json.dumps(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert ":s3:::clarion-data-" in destination


def test_the_scoring_function_has_the_settings_the_bootstrap_reads(synthesized: Any) -> None:
    _, score = function(social(synthesized), SCORE)
    variables = score["Environment"]["Variables"]

    assert variables["CLARION_BACKEND"] == "aws"
    assert variables["CLARION_SOCIAL_TABLE"] == "clarion-social"
    assert variables["CLARION_ENDPOINTS_TABLE"] == "clarion-endpoints"
    assert variables["CLARION_DEFINITIONS_TABLE"] == "clarion-definitions"
    assert variables["CLARION_SOCIAL_HANDLE_INDEX"] == "SocialHandleIndex"
    assert variables["CLARION_EVENTS_STREAM"] == "clarion-events"
    assert variables["CLARION_SENDS_TABLE"] == "clarion-sends"
    assert variables["CLARION_SES_CONFIGURATION_SET"] == "clarion"
    assert variables["CLARION_SMS_CONFIGURATION_SET"] == "clarion"
    assert variables["CLARION_COMPREHEND_ENTITIES"] == "true"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "clarion-social"
    assert "CLARION_DATA_BUCKET" in variables
    assert set(variables) >= DELIVERY_VARIABLES
    # No rules file configured: the packaged default rules.
    assert "CLARION_SENTIMENT_RULES" not in variables
    assert score["TracingConfig"] == {"Mode": "Active"}
    # Every name is one the settings read (a typo would silently use a default).
    plain = {k: v for k, v in variables.items() if isinstance(v, str)}
    aws = AwsSettings.from_env(plain)
    assert aws.social_table == "clarion-social"
    assert aws.social_handle_index == "SocialHandleIndex"
    assert aws.sends_table == "clarion-sends"


def test_comprehend_is_granted_exactly_its_four_actions(synthesized: Any) -> None:
    statements = role_statements(social(synthesized), SCORE)
    comprehend = [
        s for s in statements if any(a.startswith("comprehend:") for a in listed(s["Action"]))
    ]

    (statement,) = comprehend
    assert set(listed(statement["Action"])) == COMPREHEND_ACTIONS
    assert statement["Resource"] == "*"
    assert statement["Effect"] == "Allow"


def test_the_scoring_role_names_its_tables_indexes_and_stream(synthesized: Any) -> None:
    statements = role_statements(social(synthesized), SCORE)
    dynamodb = [
        s for s in statements if any(a.startswith("dynamodb:") for a in listed(s["Action"]))
    ]
    arns = {rendered(r) for s in dynamodb for r in listed(s["Resource"])}
    suffixes = {arn.split(":table/", 1)[1] for arn in arns}

    assert suffixes == {
        "clarion-endpoints",
        "clarion-endpoints/index/UserIdIndex",
        "clarion-endpoints/index/SocialHandleIndex",
        "clarion-social",
        "clarion-social/index/ProspectIndex",
        "clarion-sends",
        "clarion-definitions",
    }
    writes = {
        rendered(r).split(":table/", 1)[1]
        for s in dynamodb
        if {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
        & set(listed(s["Action"]))
        for r in listed(s["Resource"])
    }
    assert writes == {"clarion-endpoints", "clarion-social", "clarion-sends"}
    (events,) = [s for s in statements if "kinesis:PutRecords" in listed(s["Action"])]
    assert listed(events["Action"]) == ["kinesis:PutRecords"]
    assert rendered(events["Resource"]).endswith(":stream/clarion-events")
    sends = {a for s in statements for a in listed(s["Action"])}
    # The default synth configures no SES or origination identity: no send grant (the
    # messaging stack's tests check the scoped grants when they are configured).
    assert not {"ses:SendEmail", "sms-voice:SendTextMessage"} & sends


def test_no_unscoped_data_resources(synthesized: Any) -> None:
    template = social(synthesized)
    for handler in (INGEST, SCORE):
        for statement in role_statements(template, handler):
            actions = set(listed(statement["Action"]))
            if actions <= ACTIONS_WITHOUT_RESOURCES | COMPREHEND_ACTIONS:
                continue
            for resource in listed(statement["Resource"]):
                text = rendered(resource)
                assert text != "*", (handler, actions)
                if any(a.startswith(("dynamodb:", "kinesis:")) for a in actions):
                    assert "*" not in text, (handler, actions, text)


# -- the tables ------------------------------------------------------------------------------


def test_the_social_table_is_what_the_store_expects(synthesized: Any) -> None:
    spec = social_table_spec("clarion-social")
    synthesized.template("Social").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "clarion-social",
            "KeySchema": spec["KeySchema"],
            "AttributeDefinitions": Match.array_with(spec["AttributeDefinitions"]),
            "GlobalSecondaryIndexes": spec["GlobalSecondaryIndexes"],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ExpiresAt", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": Match.any_value(),
            },
        },
    )


def test_the_endpoints_table_indexes_social_handles_as_the_store_writes_them(
    synthesized: Any,
) -> None:
    (table,) = [
        t
        for t in resources(synthesized.templates["Data"], "AWS::DynamoDB::Table").values()
        if t["TableName"] == "clarion-endpoints"
    ]
    spec = endpoints_table_spec("clarion-endpoints")

    assert social_handle_index_spec() in table["GlobalSecondaryIndexes"]
    assert table["GlobalSecondaryIndexes"] == spec["GlobalSecondaryIndexes"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        spec["AttributeDefinitions"], key=str
    )


def test_the_social_stack_deploys_after_the_stacks_it_names(synthesized: Any) -> None:
    stage = synthesized.stage
    dependencies = {s.stack_name for s in stage.social.dependencies}
    assert {"Clarion-Data", "Clarion-Events", "Clarion-Messaging"} <= dependencies


def test_outputs_name_what_a_collector_needs(synthesized: Any) -> None:
    outputs = social(synthesized)["Outputs"]
    assert outputs["SocialTable"]["Value"] == "clarion-social"
    assert "PostsStream" in outputs
    assert rendered(outputs["SocialPostsApiUrl"]["Value"]).endswith("/v1/social/posts")


# -- options -----------------------------------------------------------------------------------


def test_a_rules_file_must_be_in_the_code_and_match_the_indexed_attribute(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "clarion" / "rules"
    rules.mkdir(parents=True)
    (rules / "ok.yaml").write_text("version: 1\nmatching: {handle_attribute: TwitterHandle}\n")
    (rules / "bare.yaml").write_text("version: 1\nrules: []\n")
    (rules / "insta.yaml").write_text(
        "version: 1\nmatching: {platforms: {instagram: InstagramHandle}}\n"
    )
    (tmp_path / "other.yaml").write_text("version: 1\n")

    def path(name: str) -> str:
        return SocialOptions(rules_file=name).rules_path(tmp_path)

    assert path("") == ""
    assert path("clarion/rules/ok.yaml") == "/var/task/clarion/rules/ok.yaml"
    assert path("clarion/rules/bare.yaml") == "/var/task/clarion/rules/bare.yaml"
    with pytest.raises(ValueError, match="only TwitterHandle is indexed"):
        path("clarion/rules/insta.yaml")
    with pytest.raises(ValueError, match="must be a path under"):
        path("other.yaml")
    with pytest.raises(ValueError, match="must be a path under"):
        path("clarion/../other.yaml")
    with pytest.raises(ValueError, match="no such file"):
        path("clarion/rules/missing.yaml")


def test_the_packaged_default_rules_pass_the_check() -> None:
    options = SocialOptions(rules_file="clarion/resources/rules/default_sentiment_rules.yaml")
    assert options.rules_path() == "/var/task/clarion/resources/rules/default_sentiment_rules.yaml"
