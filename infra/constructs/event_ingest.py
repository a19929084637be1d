"""Event ingestion: PutEvents over an IAM-authorised REST API, and the SES and SMS event
destinations, all handled by one function that normalises and puts on the stream."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.event_stream import EventStream
from infra.constructs.iam_rest_api import IamRestApi
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.messaging_config_sets import MessagingConfigurationSets
from infra.constructs.queues import DeadLetterQueue
from infra.environment import variable
from infra.grants import grant_objects

INGEST_HANDLER = "lambdas.ingest_events.handler.handler"
INGEST_SERVICE_NAME = "clarion-events-ingest"
DEAD_LETTERS_PREFIX = "dead-letters/"
PUT_EVENTS_PATH = "/v1/apps/{application-id}/events"
# What API Gateway checks before invoking: a JSON object with a BatchItem object (the
# function checks the rest, per event, as Pinpoint did).
EVENTS_REQUEST_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="EventsRequest",
    type=apigw.JsonSchemaType.OBJECT,
    required=["BatchItem"],
    properties={"BatchItem": apigw.JsonSchema(type=apigw.JsonSchemaType.OBJECT)},
)


class EventIngest(Construct):
    """The ingest function and what invokes it.

    - ``POST /v1/apps/{application-id}/events`` on a regional REST API (Pinpoint's
      PutEvents path), AWS_IAM authorisation (SigV4, as Pinpoint's API), the body
      validated against a minimal schema, access logs, throttling, X-Ray;
    - the SNS topics of SMS events and inbound two-way SMS;
    - an EventBridge rule on the default bus for the SES configuration set's events.

    Asynchronous invocations (SNS, EventBridge) that still fail after Lambda's retries go
    to a dead-letter queue; so do events EventBridge cannot deliver.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        stream: EventStream,
        config_sets: MessagingConfigurationSets,
        app_id: str,
        api_name: str,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.dead_letter_queue = DeadLetterQueue(self, "DeadLetters", key=key)
        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=INGEST_HANDLER,
            service_name=INGEST_SERVICE_NAME,
            description="Normalises PutEvents, SES and SMS events and puts them on the stream",
            memory_size=512,
            timeout=Duration.seconds(30),
            dead_letter_queue=self.dead_letter_queue.queue,
            extra_environment={
                variable("events_stream"): stream.stream.stream_name,
                variable("app_id"): app_id,
            },
        )
        role = self.function.role
        stream.grant_put(role)
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes rejected inputs as dead-letter objects, one per call, by date.",
        )

        # -- PutEvents over HTTP ------------------------------------------------------
        self.api = IamRestApi(
            self,
            "Api",
            api_name=api_name,
            description=f"Clarion: PutEvents (POST {PUT_EVENTS_PATH})",
            log_retention=runtime.log_retention,
            access_log_key=key,
            rate_limit=rate_limit,
            burst_limit=burst_limit,
            # Execution logs need the account's API Gateway logging role.
            owns_cloud_watch_role=True,
            iam_auth_reason=(
                "PutEvents is authorised with AWS_IAM (SigV4), as Pinpoint's own API was."
            ),
        )
        self.access_logs = self.api.access_logs
        self.put_events_method = self.api.add_iam_post(
            PUT_EVENTS_PATH,
            self.function.function,
            validator_name="events-request",
            model_name="EventsRequest",
            schema=EVENTS_REQUEST_SCHEMA,
            request_parameters={"method.request.path.application-id": True},
        )

        # -- delivery events ----------------------------------------------------------
        for topic in (config_sets.sms_events_topic, config_sets.inbound_sms_topic):
            topic.add_subscription(subscriptions.LambdaSubscription(self.function.function))
        self.ses_rule = events.Rule(
            self,
            "SesEvents",
            description="SES v2 events of the Clarion configuration set",
            event_bus=config_sets.default_bus,
            event_pattern=config_sets.ses_event_pattern(),
        )
        self.ses_rule.add_target(
            targets.LambdaFunction(
                self.function.function,
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=8,
                max_event_age=Duration.hours(6),
            )
        )

    @property
    def put_events_path(self) -> str:
        return PUT_EVENTS_PATH
