"""Event ingestion: PutEvents over an IAM-authorised REST API, and the SES and SMS event
destinations, all handled by one function that normalises and puts on the stream."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.messaging_config_sets import MessagingConfigurationSets
from infra.constructs.queues import DeadLetterQueue
from infra.grants import grant_objects
from infra.nag import acknowledge

INGEST_HANDLER = "lambdas.ingest_events.handler.handler"
INGEST_SERVICE_NAME = "clarion-events-ingest"
DEAD_LETTERS_PREFIX = "dead-letters/"
API_STAGE = "live"
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
        key: kms.IKey,
        bucket_name: str,
        stream: EventStream,
        config_sets: MessagingConfigurationSets,
        app_id: str,
        api_name: str,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
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
                "CLARION_EVENTS_STREAM": stream.stream.stream_name,
                "CLARION_APP_ID": app_id,
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
            description="Clarion: PutEvents (POST /v1/apps/{application-id}/events)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logs need the account's API Gateway logging role; kept on delete
            # because it is an account-wide setting other APIs may rely on.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
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
            request_validator_name="events-request",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        model = self.api.add_model(
            "EventsRequest",
            content_type="application/json",
            model_name="EventsRequest",
            schema=EVENTS_REQUEST_SCHEMA,
        )
        events_resource = (
            self.api.root.add_resource("v1")
            .add_resource("apps")
            .add_resource("{application-id}")
            .add_resource("events")
        )
        self.put_events_method = events_resource.add_method(
            "POST",
            apigw.LambdaIntegration(self.function.function, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_parameters={"method.request.path.application-id": True},
            request_models={"application/json": model},
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "PutEvents is authorised with AWS_IAM (SigV4), as Pinpoint's own API was.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "Regional API for signed (IAM) service callers; throttled per stage. Attach a "
            "WAF web ACL where the account has one.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-wide API Gateway logging role needs exactly this AWS policy.",
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
        return "/v1/apps/{application-id}/events"
