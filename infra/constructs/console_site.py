"""The marketers' console on AWS: its pages behind CloudFront, sign-in with a Cognito user
pool (groups ``admin`` and ``marketer``), and every call authorised as the user.

- The pages (``clarion/entrypoints/console/static``, built by ``make console``) are
  deployed to a private, KMS-encrypted bucket under ``console/`` and served by CloudFront
  through origin access control; a viewer-request function answers every page URL under
  ``/console/`` with ``index.html`` (bookmarkable URLs), and a response headers policy sets
  the same Content-Security-Policy as ``clarion serve``.
- ``config.json`` beside them holds the user pool's id, its app client's id and the
  region: public identifiers, no credentials (the app client has no secret).
- ``/v1/*`` and ``/clarion/*`` on the same distribution go to the console API: a REST API
  whose methods use a Cognito user-pool authorizer (the ID token the page signed in for)
  and proxy to the same API function as Pinpoint's IAM API; the function applies the
  group rules to the claims the authorizer hands it (clarion/entrypoints/api/access.py).
  One origin for pages and API: no CORS, no third-party origin.

Why a Cognito authorizer rather than identity-pool credentials signing SigV4 calls to the
IAM API: the groups' rules are then one piece of code, tested at the API with the user
pool's own tokens, and the page holds a short-lived ID token rather than AWS credentials.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.constructs.iam_rest_api import API_STAGE
from infra.nag import acknowledge, skip_checkov
from infra.paths import PROJECT_ROOT

CONSOLE_ASSETS = PROJECT_ROOT / "clarion" / "entrypoints" / "console" / "static"
CONSOLE_PREFIX = "console"
GROUPS = {
    "admin": "May change channels, project settings and the event stream.",
    "marketer": "Uses the console: audience, segments, templates, campaigns, analytics.",
}
# The same policy as clarion/entrypoints/console (infra never imports clarion).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' https://*.amazonaws.com; "
    "frame-src 'self' about:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Every console page URL is the one page; files (a dot in the last part) are themselves.
PAGE_REWRITE = """
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/" || uri === "/console") {
    return { statusCode: 302, statusDescription: "Found",
             headers: { location: { value: "/console/" } } };
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (uri.indexOf("/console/") === 0 && last.indexOf(".") === -1) {
    request.uri = "/console/index.html";
  }
  return request;
}
"""


def console_assets() -> Path:
    """The built pages. Raises FileNotFoundError when ``make console`` has not run."""
    if not (CONSOLE_ASSETS / "index.html").is_file():
        raise FileNotFoundError(
            f"{CONSOLE_ASSETS} has no index.html: run `make console` before synth"
        )
    return CONSOLE_ASSETS


class ConsoleSite(Construct):
    """The console's user pool, API, bucket and distribution (module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        function: lambda_.IFunction,
        log_retention: logs.RetentionDays,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.user_pool = self._user_pool(resource_prefix)
        self.client = self.user_pool.add_client(
            "Console",
            user_pool_client_name=f"{resource_prefix}-console",
            generate_secret=False,  # a page cannot keep a secret
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            enable_token_revocation=True,
        )
        self.groups = {
            name: cognito.CfnUserPoolGroup(
                self,
                f"{name.capitalize()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=description,
            )
            for name, description in GROUPS.items()
        }
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the console's pages and its API's access logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.api = self._api(
            resource_prefix, function, self.key, log_retention, rate_limit, burst_limit
        )

        logs_bucket = s3.Bucket(
            self,
            "Logs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # CloudFront's standard logs are delivered with the bucket's ACL.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
        )
        acknowledge(
            logs_bucket,
            "AwsSolutions-S1",
            "This is the access-log bucket itself (the site bucket and CloudFront log here).",
        )
        skip_checkov(
            logs_bucket,
            "CKV_AWS_18",
            "This is the access-log bucket itself (the site bucket and CloudFront log "
            "here); logging it would loop.",
        )
        skip_checkov(
            logs_bucket,
            "CKV_AWS_21",
            "Log objects are written once by the logging services and expire after 90 "
            "days; versions would only keep deleted logs longer.",
        )
        self.bucket = s3.Bucket(
            self,
            "Pages",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=logs_bucket,
            server_access_logs_prefix="pages/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
            ),
        )
        rewrite = cloudfront.Function(
            self,
            "PageRewrite",
            code=cloudfront.FunctionCode.from_inline(PAGE_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Every console page URL answers the console's index.html",
        )
        api_behavior = cloudfront.BehaviorOptions(
            origin=origins.RestApiOrigin(self.api),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{resource_prefix}: the marketers' console",
            default_root_object="",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={"/v1/*": api_behavior, "/clarion/*": api_behavior},
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The console is for the account's own marketers wherever they are; sign-in "
            "and the group rules decide who uses it.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "A CloudFront web ACL lives in us-east-1; attach the account's where it has "
            "one. The API behind it is throttled per stage.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "Served on the distribution's default certificate (*.cloudfront.net), which "
            "allows TLSv1 at the edge; give a domain and certificate for TLS 1.2 minimum.",
        )
        skip_checkov(
            self.distribution,
            "CKV_AWS_68",
            "A CloudFront web ACL lives in us-east-1; attach the account's where it has "
            "one. The distribution serves static pages; the API behind it is throttled.",
        )
        skip_checkov(
            self.distribution,
            "CKV_AWS_174",
            "Served on the distribution's default certificate (*.cloudfront.net), which "
            "allows TLSv1 at the edge; give a domain and certificate for TLS 1.2 minimum.",
        )
        deployment = s3deploy.BucketDeployment(
            self,
            "DeployPages",
            destination_bucket=self.bucket,
            destination_key_prefix=f"{CONSOLE_PREFIX}/",
            sources=[
                s3deploy.Source.asset(str(console_assets())),
                s3deploy.Source.json_data(
                    "config.json",
                    {
                        "mode": "aws",
                        "apiBase": "",
                        "region": stack.region,
                        "userPoolId": self.user_pool.user_pool_id,
                        "clientId": self.client.user_pool_client_id,
                    },
                ),
            ],
            # No invalidation (its grant would be on every distribution): the pages are
            # revalidated by CloudFront on every request, so a deploy shows at once.
            cache_control=[s3deploy.CacheControl.no_cache()],
            memory_limit=256,
        )
        self._harden_deployment_function(stack, deployment)
        acknowledge(
            stack,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "The aws-cdk BucketDeployment function that copies the console's pages logs "
            "with the AWS basic execution policy.",
        )
        # aws-cdk's BucketDeployment grants its copying function these, on the pages
        # bucket and key, the CDK asset bucket and the distribution's invalidations.
        for finding in (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Action::kms:GenerateDataKey*",
            "Action::kms:ReEncrypt*",
            "Resource::*",
            f"Resource::<{stack.get_logical_id(self.bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
            "<AWS::Region>/*",
        ):
            acknowledge(
                deployment.handler_role,
                f"AwsSolutions-IAM5[{finding}]",
                "Granted by aws-cdk's BucketDeployment to copy the console's pages into "
                "their bucket.",
            )
        acknowledge(
            stack,
            "AwsSolutions-L1",
            "The runtime of aws-cdk's BucketDeployment function is chosen by aws-cdk-lib.",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}/{CONSOLE_PREFIX}/"
        CfnOutput(self, "ConsoleUrl", value=self.url)
        CfnOutput(self, "ConsoleUserPoolId", value=self.user_pool.user_pool_id)

    def _harden_deployment_function(
        self, stack: Stack, deployment: s3deploy.BucketDeployment
    ) -> None:
        """aws-cdk's BucketDeployment function (one per stack, made by aws-cdk-lib): its
        environment under the project key, and why the function-level checks do not
        apply to it."""
        for child in stack.node.children:
            if not child.node.id.startswith("Custom::CDKBucketDeployment"):
                continue
            function = child.node.default_child
            if isinstance(function, lambda_.CfnFunction):
                function.add_property_override("KmsKeyArn", self.key.key_arn)
                self.key.grant_decrypt(deployment.handler_role)
            for check, reason in (
                (
                    "CKV_AWS_116",
                    "Invoked synchronously by CloudFormation during a deploy, which "
                    "reports its failure; nothing invokes it asynchronously.",
                ),
                (
                    "CKV_AWS_117",
                    "Copies the console's pages from the CDK asset bucket to the pages "
                    "bucket: it reaches S3 only, no private network.",
                ),
                (
                    "CKV_AWS_115",
                    "Runs once per deploy, started by CloudFormation; nothing else can "
                    "invoke it, so there is no concurrency to bound.",
                ),
            ):
                skip_checkov(child, check, reason)

    def _user_pool(self, resource_prefix: str) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"{resource_prefix}-console",
            self_sign_up_enabled=False,  # an admin invites users
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            pool,
            "AwsSolutions-COG2",
            "TOTP MFA is offered to every user; making it required is the account's "
            "choice (the pool's MFA setting), not the console's.",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG8",
            "The Plus feature plan (threat protection) is a paid tier the account may "
            "choose; the pool allows no self sign-up and requires strong passwords.",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG3",
            "Threat protection is a paid Cognito feature plan; the pool allows no "
            "self sign-up and requires strong passwords.",
        )
        return pool

    def _api(
        self,
        resource_prefix: str,
        function: lambda_.IFunction,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        rate_limit: int,
        burst_limit: int,
    ) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
            encryption_key=log_key,
        )
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{resource_prefix}-console",
            description="Clarion: the console's calls, as the signed-in user (Cognito)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
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
            ),
        )
        skip_checkov(
            api.deployment_stage,
            "CKV_AWS_120",
            "No response cache: answers are per signed-in user and change with every "
            "write, so a cache would serve stale or another user's data.",
        )
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        for prefix in ("v1", "clarion"):
            api.root.add_resource(prefix).add_proxy(
                any_method=False, default_integration=integration
            ).add_method(
                "ANY",
                integration,
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
            )
        acknowledge(
            api,
            "AwsSolutions-APIG2",
            "Every request is checked by the function against botocore's pinpoint model "
            "(or the extension's own rules) and answered in Pinpoint's error shapes.",
        )
        acknowledge(
            api,
            "AwsSolutions-APIG3",
            "Reached through the console's CloudFront distribution; throttled per stage. "
            "Attach a WAF web ACL where the account has one.",
        )
        return api
