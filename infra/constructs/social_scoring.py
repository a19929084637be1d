"""Social posts scored: the social table and the function that reads the posts stream,
scores posts with Comprehend, matches authors and applies the trigger rules."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.campaign_functions import DeliverySettings, grant_delivery
from infra.constructs.event_ingest import DEAD_LETTERS_PREFIX
from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import (
    ClarionFunction,
    LambdaRuntime,
    StreamFailureObjects,
    add_kinesis_consumer,
)
from infra.constructs.profile_tables import SOCIAL_HANDLE_INDEX, USER_ID_INDEX
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_READ,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    SENDS_READ,
    SENDS_WRITE,
    SOCIAL_READ,
    SOCIAL_WRITE,
    grant_objects,
    grant_table_data,
)
from infra.nag import acknowledge

SCORE_POSTS_HANDLER = "lambdas.score_posts.handler.handler"
SCORE_POSTS_SERVICE_NAME = "clarion-social"
# clarion.adapters.aws.sentiment.social_store.social_table_spec
PROSPECT_INDEX = "ProspectIndex"
SOCIAL_TTL_ATTRIBUTE = "ExpiresAt"
# Four Comprehend batches of 25 a call: a batch of 100 costs the minimum of calls.
SCORING_BATCH_SIZE = 100
SCORING_RETRY_ATTEMPTS = 5
# A post is worth reacting to for a few hours; older failures are kept in S3 instead of
# blocking their shard.
SCORING_MAX_RECORD_AGE = Duration.hours(6)
# What the Comprehend analyser calls (clarion/adapters/aws/sentiment/
# sentiment_analyzer.py). None of them supports resource-level permissions (the service
# authorises them on "*" only).
COMPREHEND_ACTIONS = (
    "comprehend:BatchDetectDominantLanguage",
    "comprehend:BatchDetectSentiment",
    "comprehend:DetectSentiment",
    "comprehend:BatchDetectEntities",
)


def social_table_name(resource_prefix: str) -> str:
    """The social table's fixed name (``CLARION_SOCIAL_TABLE``)."""
    return f"{resource_prefix}-social"


class SocialTable(Construct):
    """The social table, exactly ``clarion.adapters.aws.sentiment.social_store.social_table_spec``:
    ``PK``/``SK`` strings, TTL on ``ExpiresAt``, the sparse index ``ProspectIndex``
    (``ProspectKind`` S, ``FollowerCount`` N, projection ALL); on demand, encrypted with
    the customer-managed key, point-in-time recovery."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        table_name: str,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=dynamodb.Attribute(name="PK", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="SK", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=SOCIAL_TTL_ATTRIBUTE,
            deletion_protection=deletion_protection,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table.add_global_secondary_index(
            index_name=PROSPECT_INDEX,
            partition_key=dynamodb.Attribute(
                name="ProspectKind", type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name="FollowerCount", type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table_name = table_name


class SocialScoring(Construct):
    """The scoring function on the posts stream.

    Batches of up to ``SCORING_BATCH_SIZE`` records from the trim horizon; failed records
    reported (``ReportBatchItemFailures``), a failing batch bisected, then after the
    retries (or the record age) the failed batch itself is kept in S3 (``aws/lambda/``).

    Its role: the four Comprehend actions (on ``*``: they take no resource ARN); the
    endpoints table and its ``UserIdIndex`` and ``SocialHandleIndex`` (read and write:
    sentiment attributes); the social table and ``ProspectIndex``; the sends table
    (ledger, author limit); the definitions table (templates, read); ``PutRecords`` on
    the events stream; SES, End User Messaging (and, with push, Pinpoint) sends as the
    campaign send-batch function has them; ``dead-letters/*`` in the bucket.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        posts: EventStream,
        social_table: SocialTable,
        endpoints_table_name: str,
        definitions_table_name: str,
        delivery: DeliverySettings,
        comprehend_entities: bool = True,
        rules_file: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        environment: dict[str, str] = {
            **delivery.as_variables(),
            variable("social_table"): social_table.table_name,
            variable("social_handle_index"): SOCIAL_HANDLE_INDEX,
            variable("comprehend_entities"): "true" if comprehend_entities else "false",
        }
        if rules_file:
            environment[variable("sentiment_rules")] = rules_file
        self.function = ClarionFunction(
            self,
            "Score",
            runtime=runtime,
            handler=SCORE_POSTS_HANDLER,
            service_name=SCORE_POSTS_SERVICE_NAME,
            description="Scores social posts with Comprehend and applies the trigger rules",
            memory_size=1024,
            timeout=Duration.minutes(5),
            extra_environment=environment,
        )
        role = self.function.role
        role.add_to_principal_policy(
            # Its own Sid keeps aws-cdk from merging it with X-Ray's "*" statement.
            iam.PolicyStatement(sid="Comprehend", actions=list(COMPREHEND_ACTIONS), resources=["*"])
        )
        # One finding id covers every "*" resource of the role (X-Ray's is acknowledged by
        # ClarionFunction with the same id): this reason names both.
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Comprehend's BatchDetectDominantLanguage, BatchDetectSentiment, "
            "DetectSentiment and BatchDetectEntities, like X-Ray's tracing actions, do not "
            "support resource-level permissions; the statement lists exactly those actions.",
        )
        grant_table_data(
            role,
            table_name=endpoints_table_name,
            key=key,
            index_names=[USER_ID_INDEX, SOCIAL_HANDLE_INDEX],
            actions=ENDPOINTS_READ + ENDPOINTS_WRITE,
        )
        grant_table_data(
            role,
            table_name=social_table.table_name,
            key=key,
            index_names=[PROSPECT_INDEX],
            actions=SOCIAL_READ + SOCIAL_WRITE,
        )
        grant_table_data(
            role, table_name=delivery.sends_table_name, key=key, actions=SENDS_READ + SENDS_WRITE
        )
        grant_table_data(role, table_name=definitions_table_name, key=key, actions=DEFINITIONS_READ)
        grant_delivery(role, key, delivery, stream_actions=("kinesis:PutRecords",))
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes stream records that are not valid posts as dead-letter objects.",
        )
        add_kinesis_consumer(
            self.function,
            posts.stream,
            on_failure=StreamFailureObjects(bucket_name, key),
            batch_size=SCORING_BATCH_SIZE,
            max_batching_window=Duration.seconds(5),
            retry_attempts=SCORING_RETRY_ATTEMPTS,
            max_record_age=SCORING_MAX_RECORD_AGE,
        )
