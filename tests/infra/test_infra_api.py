"""The API stack: the REST API (IAM auth, resource policy, encrypted access logs,
throttling, WAF, errors in Pinpoint's shape) in front of the API function, and the
function's least-privilege role."""

from __future__ import annotations

import json
from typing import Any

from infra_helpers import function_with_id, listed, resources, role_statements

from infra.constructs.pinpoint_api import API_HANDLER, GATEWAY_ERRORS
from infra.paths import LAMBDA_REQUIREMENTS


def api(synthesized: Any) -> dict[str, Any]:
    template: dict[str, Any] = synthesized.templates["Api"]
    return template


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _pinpoint_api_id(template: dict[str, Any]) -> str:
    return next(
        logical_id
        for logical_id, api_props in resources(template, "AWS::ApiGateway::RestApi").items()
        if api_props["Name"].endswith("-pinpoint")
    )


def test_every_path_under_v1_is_proxied_with_iam_auth(synthesized: Any) -> None:
    template = api(synthesized)
    rest_api = _pinpoint_api_id(template)
    methods = [
        m
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if m["RestApiId"] == {"Ref": rest_api}
    ]
    assert len(methods) == 1
    (method,) = methods
    props = method
    assert props["HttpMethod"] == "ANY"
    assert props["AuthorizationType"] == "AWS_IAM"
    assert props["Integration"]["Type"] == "AWS_PROXY"
    paths = {
        r["PathPart"]
        for r in resources(template, "AWS::ApiGateway::Resource").values()
        if r["RestApiId"] == {"Ref": rest_api}
    }
    assert paths == {"v1", "{proxy+}"}


def test_the_resource_policy_admits_the_account_over_tls_only(synthesized: Any) -> None:
    template = api(synthesized)
    rest_api = resources(template, "AWS::ApiGateway::RestApi")[_pinpoint_api_id(template)]
    statements = rest_api["Policy"]["Statement"]
    allow = next(s for s in statements if s["Effect"] == "Allow")
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert "AWS" in allow["Principal"] and allow["Action"] == "execute-api:Invoke"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert rest_api["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_access_logs_are_encrypted_and_the_stage_throttled(synthesized: Any) -> None:
    template = api(synthesized)
    (stage,) = [
        st
        for st in resources(template, "AWS::ApiGateway::Stage").values()
        if st["RestApiId"] == {"Ref": _pinpoint_api_id(template)}
    ]
    props = stage
    assert props["StageName"] == "live" and props["TracingEnabled"] is True
    settings = props["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    log_groups = resources(template, "AWS::Logs::LogGroup")
    access = [g for g in log_groups.values() if "KmsKeyId" in g]
    assert access, "the access log group is encrypted with the customer-managed key"
    assert "DestinationArn" in props["AccessLogSetting"]


def test_a_waf_rate_rule_limits_each_caller(synthesized: Any) -> None:
    template = api(synthesized)
    (acl,) = resources(template, "AWS::WAFv2::WebACL").values()
    rules = {r["Name"]: r for r in acl["Rules"]}
    rate = rules["PerCallerRate"]["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] > 0
    assert rules["PerCallerRate"]["Action"] == {"Block": {}}
    (association,) = resources(template, "AWS::WAFv2::WebACLAssociation").values()
    assert "ResourceArn" in association


def test_gateway_errors_have_pinpoints_shape(synthesized: Any) -> None:
    responses = resources(api(synthesized), "AWS::ApiGateway::GatewayResponse")
    by_type = {r["ResponseType"]: r for r in responses.values()}
    assert set(by_type) == {t.response_type for t in GATEWAY_ERRORS}
    throttled = by_type["THROTTLED"]
    assert throttled["ResponseParameters"] == {
        "gatewayresponse.header.X-Amzn-ErrorType": "'TooManyRequestsException'"
    }
    template = throttled["ResponseTemplates"]["application/json"]
    assert '"Message"' in template and '"RequestID"' in template
    assert (
        by_type["REQUEST_TOO_LARGE"]["ResponseParameters"][
            "gatewayresponse.header.X-Amzn-ErrorType"
        ]
        == "'PayloadTooLargeException'"
    )


def test_the_function_runs_the_api_with_the_campaign_pipeline(synthesized: Any) -> None:
    _, function = function_with_id(api(synthesized), API_HANDLER)
    variables = function["Environment"]["Variables"]
    for name in (
        "CLARION_BACKEND",
        "CLARION_ENDPOINTS_TABLE",
        "CLARION_DEFINITIONS_TABLE",
        "CLARION_SENDS_TABLE",
        "CLARION_EVENTS_STREAM",
        "CLARION_CAMPAIGN_STATE_MACHINE_ARN",
        "CLARION_CAMPAIGN_SCHEDULE_GROUP",
        "CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN",
    ):
        assert name in variables, name
    assert function["Timeout"] == 29


def test_the_functions_role_is_least_privilege(synthesized: Any) -> None:
    statements = role_statements(api(synthesized), API_HANDLER)
    actions = {a for s in statements for a in listed(s["Action"])}
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    by_action: dict[str, list[str]] = {}
    for statement in statements:
        for action in listed(statement["Action"]):
            by_action.setdefault(action, []).extend(_text(r) for r in listed(statement["Resource"]))
    assert any("stateMachine" in r for r in by_action["states:StartExecution"])
    assert all("function:clarion-hook-*" in r for r in by_action["lambda:InvokeFunction"])
    assert all(r != '"*"' for r in by_action["dynamodb:PutItem"])
    assert all(r != '"*"' for r in by_action["dynamodb:BatchWriteItem"])
    assert "iam:PassRole" in actions and "scheduler:CreateSchedule" in actions
    assert "sts:AssumeRole" not in actions  # the events consumer forwards, not the API


def test_the_layer_holds_what_the_api_imports() -> None:
    pinned = {
        line.split("==")[0].lower()
        for line in LAMBDA_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert {"starlette", "anyio", "mangum"} <= pinned
