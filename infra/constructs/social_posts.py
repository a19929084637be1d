"""Social posts in: the posts Kinesis stream and ``POST /v1/social/posts`` (REST API, IAM
auth) in front of the ingest function that validates posts and puts them on the stream."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.event_ingest import DEAD_LETTERS_PREFIX
from infra.constructs.event_stream import EventStream
from infra.constructs.iam_rest_api import IamRestApi
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.environment import variable
from infra.grants import grant_objects

INGEST_POSTS_HANDLER = "lambdas.ingest_posts.handler.handler"
INGEST_POSTS_SERVICE_NAME = "clarion-social-ingest"
POSTS_PATH = "/v1/social/posts"
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
        stream_name: str,
        app_id: str,
        api_name: str,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
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
                variable("posts_stream"): stream_name,
                variable("app_id"): app_id,
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

        self.api = IamRestApi(
            self,
            "Api",
            api_name=api_name,
            description=f"Clarion: social posts (POST {POSTS_PATH})",
            log_retention=runtime.log_retention,
            access_log_key=key,
            rate_limit=rate_limit,
            burst_limit=burst_limit,
            # The account-wide logging role is the events stack's (one per account).
            owns_cloud_watch_role=False,
            iam_auth_reason=(
                "The posts API is authorised with AWS_IAM (SigV4): callers are collectors "
                "running with AWS credentials, not end users of a Cognito pool."
            ),
        )
        self.access_logs = self.api.access_logs
        self.post_method = self.api.add_iam_post(
            POSTS_PATH,
            self.function.function,
            validator_name="social-posts-request",
            model_name="SocialPostsRequest",
            schema=POSTS_REQUEST_SCHEMA,
        )

    @property
    def posts_path(self) -> str:
        return POSTS_PATH
