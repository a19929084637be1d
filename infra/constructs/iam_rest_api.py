"""A regional REST API whose methods are IAM-authorised (SigV4) Lambda proxies, for
signed service callers: JSON access logs, execution errors logged, X-Ray, throttling."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge

API_STAGE = "live"


class IamRestApi(apigw.RestApi):
    """A REST API with one stage (``live``) and an access log group (the sibling
    ``<construct_id>AccessLogs``).

    Parameters
    ----------
    owns_cloud_watch_role
        Create the account-wide API Gateway CloudWatch role (kept on delete: other APIs
        of the account may rely on it). Only one stack of an account should.
    iam_auth_reason
        Why AWS_IAM rather than a Cognito pool (the cdk-nag acknowledgement).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        description: str,
        log_retention: logs.RetentionDays,
        rate_limit: int,
        burst_limit: int,
        owns_cloud_watch_role: bool,
        iam_auth_reason: str,
        access_log_key: kms.IKey | None = None,
        policy: iam.PolicyDocument | None = None,
        method_throttling: Mapping[str, apigw.MethodDeploymentOptions] | None = None,
    ) -> None:
        access_logs = logs.LogGroup(
            scope,
            f"{construct_id}AccessLogs",
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
            encryption_key=access_log_key,
        )
        super().__init__(
            scope,
            construct_id,
            rest_api_name=api_name,
            description=description,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            policy=policy,
            cloud_watch_role=owns_cloud_watch_role,
            cloud_watch_role_removal_policy=(
                RemovalPolicy.RETAIN if owns_cloud_watch_role else None
            ),
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                method_options=dict(method_throttling) if method_throttling else None,
            ),
        )
        self.access_logs = access_logs
        acknowledge(self, "AwsSolutions-COG4", iam_auth_reason)
        acknowledge(
            self,
            "AwsSolutions-APIG3",
            "Regional API for signed (IAM) service callers; throttled per stage. Attach a "
            "WAF web ACL where the account has one.",
        )
        if owns_cloud_watch_role:
            acknowledge(
                self,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-wide API Gateway logging role needs exactly this AWS policy.",
            )

    def add_iam_post(
        self,
        path: str,
        handler: lambda_.IFunction,
        *,
        validator_name: str,
        model_name: str,
        schema: apigw.JsonSchema,
        request_parameters: Mapping[str, bool] | None = None,
    ) -> apigw.Method:
        """``POST path``: a proxy to ``handler``, IAM-authorised, the JSON body checked
        against ``schema`` (the model ``model_name``) and the request parameters."""
        validator = self.add_request_validator(
            "Validator",
            request_validator_name=validator_name,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        model = self.add_model(
            model_name, content_type="application/json", model_name=model_name, schema=schema
        )
        resource = self.root
        for part in path.strip("/").split("/"):
            resource = resource.add_resource(part)
        return resource.add_method(
            "POST",
            apigw.LambdaIntegration(handler, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_parameters=dict(request_parameters) if request_parameters else None,
            request_models={"application/json": model},
        )

    def add_iam_proxy(self, prefix: str, handler: lambda_.IFunction) -> apigw.Method:
        """``ANY /<prefix>/{proxy+}``: every method and path under ``prefix`` proxied to
        ``handler``, IAM-authorised (the function routes and checks each request)."""
        resource = self.root
        for part in prefix.strip("/").split("/"):
            resource = resource.add_resource(part)
        proxy = resource.add_resource("{proxy+}")
        return proxy.add_method(
            "ANY",
            apigw.LambdaIntegration(handler, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
        )
