"""The journey functions: the tick's steps (plan, enter, entered, advance, finish) and
the journeys' consumer of the events stream.

Each has its own role with only what its handler touches (docs/journeys.md, "On AWS",
has the table). The settings ``clarion.bootstrap.settings`` reads come from the
environment; the journeys table name travels as ``CLARION_JOURNEYS_TABLE``.
"""

from __future__ import annotations

from functools import partial

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from infra.constructs.campaign_functions import DeliverySettings, grant_delivery
from infra.constructs.data_lake import Prefixes
from infra.constructs.event_ingest import DEAD_LETTERS_PREFIX
from infra.constructs.lambda_runtime import (
    ClarionFunction,
    LambdaRuntime,
    StreamFailureObjects,
    add_kinesis_consumer,
)
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_LIST,
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    JOURNEYS_READ,
    JOURNEYS_WRITE,
    SENDS_READ,
    SENDS_WRITE,
    grant_objects,
    grant_table_data,
)

PLAN_HANDLER = "lambdas.journey_plan.handler.handler"
ENTER_HANDLER = "lambdas.journey_enter.handler.handler"
ENTERED_HANDLER = "lambdas.journey_entered.handler.handler"
ADVANCE_HANDLER = "lambdas.journey_advance.handler.handler"
FINISH_HANDLER = "lambdas.journey_finish.handler.handler"
EVENTS_HANDLER = "lambdas.journey_events.handler.handler"
JOURNEY_SERVICE_NAME = "clarion-journeys"
# The participants table's sparse index of who is due, by shard and time.
DUE_INDEX = "DueIndex"
EVENTS_BATCH_SIZE = 100
EVENTS_RETRY_ATTEMPTS = 5
# A split waits days for an open: a record retried for hours still moves it in time.
EVENTS_MAX_RECORD_AGE = Duration.hours(6)


class JourneyFunctions(Construct):
    """The six journey handlers, least privilege each (module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        endpoints_table_name: str,
        definitions_table_name: str,
        journeys_table_name: str,
        delivery: DeliverySettings,
        events_stream: kinesis.IStream,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        environment = {
            **delivery.as_variables(),
            variable("journeys_table"): journeys_table_name,
        }
        function = partial(
            ClarionFunction,
            self,
            runtime=runtime,
            service_name=JOURNEY_SERVICE_NAME,
            extra_environment=environment,
        )
        # plan and entered start a run's audience query; the tick reads its CSV at
        # athena-results/<id>.csv.
        query_environment = {
            **environment,
            variable("athena_output"): f"s3://{bucket_name}/{Prefixes.ATHENA_RESULTS}",
        }
        self.plan = function(
            "Plan",
            handler=PLAN_HANDLER,
            description="Journey tick: starts due segment runs and the first run's audience query",
            extra_environment=query_environment,
            memory_size=512,
            timeout=Duration.minutes(2),
        )
        self.enter = function(
            "Enter",
            handler=ENTER_HANDLER,
            description="Journey tick: offers a batch of a run's members and moves those entered",
            memory_size=1024,
            timeout=Duration.minutes(15),
        )
        self.entered = function(
            "Entered",
            handler=ENTERED_HANDLER,
            description="Journey tick: closes a run's entries, starts the next run's query",
            extra_environment=query_environment,
            memory_size=512,
            timeout=Duration.minutes(1),
        )
        self.advance = function(
            "Advance",
            handler=ADVANCE_HANDLER,
            description="Journey tick: moves one page of a shard's due participants",
            memory_size=1024,
            # A page of 500 at 1 message a second takes 500 s (Limits.MessagesPerSecond).
            timeout=Duration.minutes(15),
        )
        self.finish = function(
            "Finish",
            handler=FINISH_HANDLER,
            description="Journey tick: completes finished runs and journeys",
            memory_size=512,
            timeout=Duration.minutes(2),
        )
        self.events = function(
            "Events",
            handler=EVENTS_HANDLER,
            description="Journeys: events wake participants waiting on them and start entries",
            memory_size=1024,
            timeout=Duration.minutes(5),
        )
        due = [DUE_INDEX]
        # plan, entered, finish: journeys, runs and control records; counters; segments.
        # plan and finish list the journeys (Scan); entered reads and saves one run.
        for step in (self.plan, self.entered, self.finish):
            grant_table_data(
                step.role,
                table_name=definitions_table_name,
                key=key,
                actions=DEFINITIONS_READ
                + DEFINITIONS_WRITE
                + (DEFINITIONS_LIST if step is not self.entered else ()),
            )
            grant_table_data(
                step.role,
                table_name=journeys_table_name,
                key=key,
                index_names=due,
                actions=JOURNEYS_READ + JOURNEYS_WRITE,
            )
        # enter, advance, events: also endpoints, the ledger and delivery.
        for mover in (self.enter, self.advance, self.events):
            role = mover.role
            # The events consumer matches events against every journey (Scan).
            grant_table_data(
                role,
                table_name=definitions_table_name,
                key=key,
                actions=DEFINITIONS_READ
                + DEFINITIONS_WRITE
                + (DEFINITIONS_LIST if mover is self.events else ()),
            )
            grant_table_data(
                role,
                table_name=journeys_table_name,
                key=key,
                index_names=due,
                actions=JOURNEYS_READ + JOURNEYS_WRITE,
            )
            grant_table_data(role, table_name=endpoints_table_name, key=key, actions=ENDPOINTS_READ)
            grant_table_data(
                role,
                table_name=delivery.sends_table_name,
                key=key,
                actions=SENDS_READ + SENDS_WRITE,
            )
            grant_delivery(role, key, delivery)
        grant_objects(
            self.events.role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes unreadable stream records as dead-letter objects, by date.",
        )
        # A batch still failing after its retries is kept whole in S3 (aws/lambda/).
        add_kinesis_consumer(
            self.events,
            events_stream,
            on_failure=StreamFailureObjects(bucket_name, key),
            batch_size=EVENTS_BATCH_SIZE,
            max_batching_window=Duration.seconds(1),
            retry_attempts=EVENTS_RETRY_ATTEMPTS,
            max_record_age=EVENTS_MAX_RECORD_AGE,
        )

    @property
    def tick(self) -> list[ClarionFunction]:
        """The functions the tick state machine invokes."""
        return [self.plan, self.enter, self.entered, self.advance, self.finish]

    @property
    def all(self) -> list[ClarionFunction]:
        return [*self.tick, self.events]


def grant_invoke(role: iam.IRole, functions: list[ClarionFunction]) -> None:
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["lambda:InvokeFunction"],
            resources=[f.function.function_arn for f in functions],
        )
    )
