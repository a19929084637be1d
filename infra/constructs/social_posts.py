"""Social posts in: the posts Kinesis stream and ``POST /v1/social/posts`` (REST API, IAM
auth) in front of the ingest function that validates posts and puts them on the stream."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.event_ingest import DEAD_LETTERS_PREFIX
from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.grants import grant_objects
from infra.nag import acknowledge

INGEST_POSTS_HANDLER = "lambdas.ingest_posts.handler.handler"
INGEST_POSTS_SERVICE_NAME = "clarion-social-ingest"
POSTS_PATH = "/v1/social/posts"
API_STAGE = "live"
# lambdas/ingest_posts/handler.py: MAX_POSTS_PER_REQUEST (the function answers 400 above).
MAX_POSTS_PER_REQUEST = 500
# What API Gateway checks before invoking: one post (an object), an array of posts, or
# {"Posts": [...]}; the function validates every post (docs/sentiment.md).
POSTS_REQUEST_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="SocialPostsRequest",
    type=[apigw.JsonSchemaType.OBJECT, apigw.JsonSchemaType.ARRAY],
    min_items=1,
    properties={
        "Posts": apigw.JsonSchema(
            type=apigw.JsonSchemaType.ARRAY, min_items=1, max_items=MAX_POSTS_PER_REQUEST
        )
    },
)


def posts_stream_name(resource_prefix: str) -> str:
    """The posts stream's fixed name (``CLARION_POSTS_STREAM``)."""
    return f"{resource_prefix}-posts"


class SocialPosts(Construct):
    """The posts stream and the ingest API.

    - Kinesis ``<prefix>-posts``: on-demand, encrypted with the customer-managed key,
      24 hours of retention; the partition key of a record is the post's dedupe key.
    - ``POST /v1/social/posts`` on a regional REST API (stage ``live``): AWS_IAM
      authorisation (SigV4), the body checked against a minimal schema, JSON access logs,
      execution errors logged, X-Ray, throttled per stage. The account's API Gateway
      CloudWatch role is set by the events stack (deployed first).
    - The ingest function's role may only put records on the stream and write
      ``dead-letters/*`` (rejected posts).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        key: kms.IKey,
        bucket_name: str,
        stream_name: str,
        app_id: str,
        api_name: str,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = EventStream(self, "Stream", stream_name=stream_name, key=key)
        self.function = ClarionFunction(
            self,
            "Ingest",
            runtime=runtime,
            handler=INGEST_POSTS_HANDLER,
            service_name=INGEST_POSTS_SERVICE_NAME,
            description="Validates social posts and puts them on the posts stream",
            memory_size=512,
            timeout=Duration.seconds(29),  # API Gateway's integration timeout
            extra_environment={
                "CLARION_POSTS_STREAM": stream_name,
                "CLARION_APP_ID": app_id,
            },
        )
        role = self.function.role
        # KinesisPostQueue calls PutRecords only (500 records a call).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kinesis:PutRecords"], resources=[self.stream.stream.stream_arn]
            )
        )
        key.grant(role, "kms:GenerateDataKey")
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes rejected posts as dead-letter objects, one per request, by date.",
        )

        self.access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=runtime.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description=f"Clarion: social posts (POST {POSTS_PATH})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-wide logging role is the events stack's (one per account).
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
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
        validator = self.api.add_request_validator(
            "Validator",
            request_validator_name="social-posts-request",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        model = self.api.add_model(
            "SocialPostsRequest",
            content_type="application/json",
            model_name="SocialPostsRequest",
            schema=POSTS_REQUEST_SCHEMA,
        )
        posts = self.api.root.add_resource("v1").add_resource("social").add_resource("posts")
        self.post_method = posts.add_method(
            "POST",
            apigw.LambdaIntegration(self.function.function, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_models={"application/json": model},
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "The posts API is authorised with AWS_IAM (SigV4): callers are collectors "
            "running with AWS credentials, not end users of a Cognito pool.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "Regional API for signed (IAM) service callers; throttled per stage. Attach a "
            "WAF web ACL where the account has one.",
        )

    @property
    def posts_path(self) -> str:
        return POSTS_PATH
