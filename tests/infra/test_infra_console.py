"""The console on AWS (the API stack): the user pool and its two groups, the public app
client, the Cognito-authorised console API in front of the API function, the pages'
private bucket behind CloudFront with the console's security headers, and a config
that holds identifiers only."""

from __future__ import annotations

import json
from typing import Any

from infra_helpers import function_with_id, listed, resources, role_statements

from infra.constructs.console_site import CONTENT_SECURITY_POLICY
from infra.constructs.pinpoint_api import API_HANDLER


def _template(synthesized: Any) -> dict[str, Any]:
    template: dict[str, Any] = synthesized.templates["Api"]
    return template


def test_the_user_pool_invites_users_into_two_groups(synthesized: Any) -> None:
    template = _template(synthesized)
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12 and policy["RequireSymbols"] is True
    assert pool["MfaConfiguration"] in ("OPTIONAL", "ON")
    groups = {g["GroupName"] for g in resources(template, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"admin", "marketer"}
    (client,) = resources(template, "AWS::Cognito::UserPoolClient").values()
    assert client.get("GenerateSecret", False) is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    # No identity pool: the page never holds AWS credentials.
    assert not resources(template, "AWS::Cognito::IdentityPool")


def test_the_console_api_is_cognito_authorised_and_runs_the_api_function(
    synthesized: Any,
) -> None:
    template = _template(synthesized)
    apis = resources(template, "AWS::ApiGateway::RestApi")
    console_api = next(i for i, a in apis.items() if a["Name"].endswith("-console"))
    (authorizer,) = resources(template, "AWS::ApiGateway::Authorizer").values()
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    function_id, _ = function_with_id(template, API_HANDLER)
    methods = [
        m
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if m["RestApiId"] == {"Ref": console_api}
    ]
    assert len(methods) == 2
    for method in methods:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["HttpMethod"] == "ANY"
        assert function_id in json.dumps(method["Integration"]["Uri"])
    parts = {
        r["PathPart"]
        for r in resources(template, "AWS::ApiGateway::Resource").values()
        if r["RestApiId"] == {"Ref": console_api}
    }
    assert parts == {"v1", "clarion", "{proxy+}"}


def test_the_pages_are_private_and_served_by_cloudfront_with_the_console_policy(
    synthesized: Any,
) -> None:
    template = _template(synthesized)
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    config = distribution["DistributionConfig"]
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviors) == {"/v1/*", "/clarion/*"}
    for behavior in behaviors.values():
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        assert "POST" in behavior["AllowedMethods"] and "DELETE" in behavior["AllowedMethods"]
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"
    s3_origin = next(o for o in config["Origins"] if "S3OriginConfig" in o)
    assert "OriginAccessControlId" in s3_origin
    assert "Logging" in config
    (headers,) = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    security = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == CONTENT_SECURITY_POLICY
    buckets = resources(template, "AWS::S3::Bucket")
    pages = next(b for b in buckets.values() if "LoggingConfiguration" in b)
    encryption = pages["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    for bucket in buckets.values():
        assert all(bucket["PublicAccessBlockConfiguration"].values())


def test_the_deployed_config_names_identifiers_only(synthesized: Any) -> None:
    template = _template(synthesized)
    (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
    assert deployment["DestinationBucketKeyPrefix"] == "console/"
    markers = json.dumps(deployment.get("SourceMarkers", []))
    assert "ConsoleUsers" in markers and "AWS::Region" in markers
    text = json.dumps(deployment)
    for secret in ("Secret", "AccessKey", "Password"):
        assert secret not in text


def test_the_api_function_keeps_uploads_and_reads_exports(synthesized: Any) -> None:
    statements = role_statements(_template(synthesized), API_HANDLER)
    resources_of = json.dumps(
        [listed(s["Resource"]) for s in statements if "s3:PutObject" in listed(s["Action"])]
    )
    assert "/uploads/*" in resources_of and "/exports/*" in resources_of
