"""The events consumer: the Kinesis stream → real-time effects on endpoints."""

from __future__ import annotations

from aws_cdk import Duration
from constructs import Construct

from infra.constructs.event_ingest import DEAD_LETTERS_PREFIX
from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import (
    ClarionFunction,
    LambdaRuntime,
    StreamFailureObjects,
    add_kinesis_consumer,
)
from infra.constructs.profile_tables import ADDRESS_INDEX, USER_ID_INDEX
from infra.environment import variable
from infra.grants import (
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    grant_objects,
    grant_table_data,
)

CONSUMER_HANDLER = "lambdas.events_consumer.handler.handler"
CONSUMER_SERVICE_NAME = "clarion-events"
CONSUMER_BATCH_SIZE = 100
CONSUMER_RETRY_ATTEMPTS = 5
# Effects are worth applying late, but a record still failing after this long is better
# investigated from its failure object in S3 than retried while it blocks its shard.
CONSUMER_MAX_RECORD_AGE = Duration.hours(6)


class EventConsumer(Construct):
    """Reads the events stream and applies what must happen at once: opt-outs, hard
    bounces, activity and purchase metrics, campaign triggers.

    Batches report failed records (``ReportBatchItemFailures``), a failing batch is
    bisected until the bad record is alone, and after the retries (or the record age)
    the failed batch itself is kept in S3 under ``aws/lambda/``. Records that cannot be read at all
    are dead-lettered to S3 by the handler and count as processed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        stream: EventStream,
        endpoints_table_name: str,
        app_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=CONSUMER_HANDLER,
            service_name=CONSUMER_SERVICE_NAME,
            description="Applies the real-time effects of engagement events to endpoints",
            memory_size=512,
            timeout=Duration.minutes(2),
            extra_environment={
                variable("events_stream"): stream.stream.stream_name,
                variable("app_id"): app_id,
            },
        )
        role = self.function.role
        grant_table_data(
            role,
            table_name=endpoints_table_name,
            key=key,
            index_names=[USER_ID_INDEX, ADDRESS_INDEX],
            actions=ENDPOINTS_READ + ENDPOINTS_WRITE,
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes unreadable stream records as dead-letter objects, by date.",
        )
        add_kinesis_consumer(
            self.function,
            stream.stream,
            on_failure=StreamFailureObjects(bucket_name, key),
            batch_size=CONSUMER_BATCH_SIZE,
            max_batching_window=Duration.seconds(1),
            retry_attempts=CONSUMER_RETRY_ATTEMPTS,
            max_record_age=CONSUMER_MAX_RECORD_AGE,
        )
