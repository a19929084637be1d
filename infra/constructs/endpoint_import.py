"""The import path: a file under ``imports/`` in the data bucket → the import function."""

from __future__ import annotations

from aws_cdk import Duration, Size
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.constructs.data_lake import Prefixes
from infra.constructs.import_jobs import ImportJobs
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.profile_tables import USER_ID_INDEX
from infra.constructs.queues import DeadLetterQueue
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    grant_objects,
    grant_table_data,
)

IMPORT_HANDLER = "lambdas.import_endpoints.handler.handler"
# Lambda's ceiling. Pinpoint import files go up to 1 GB; the handler streams the object,
# so time, not memory, is the limit: a file that needs longer must be split.
IMPORT_TIMEOUT = Duration.minutes(15)
# Memory also buys CPU (a full vCPU from 1,769 MB; about two at 3,008 MB) for parsing
# and validating rows.
IMPORT_MEMORY_MB = 3008


class EndpointImport(Construct):
    """Imports each endpoint file (CSV or JSON lines) put under ``imports/``.

    S3 sends Object Created events to EventBridge; a rule matching the bucket and the
    prefix invokes the function asynchronously. Events EventBridge cannot deliver, and
    invocations that still fail after Lambda's retries, land in a dead-letter queue.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        endpoints_table_name: str,
        definitions_table_name: str,
        import_jobs: ImportJobs | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.dead_letter_queue = DeadLetterQueue(self, "DeadLetters", key=key)
        # With import jobs, each file becomes a job (a Distributed Map over its rows)
        # and this function only starts it.
        jobs_environment = (
            {variable("import_job_state_machine_arn"): import_jobs.state_machine_arn}
            if import_jobs is not None
            else {}
        )
        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=IMPORT_HANDLER,
            service_name="import_endpoints",
            description="Imports endpoint files put under imports/ in the data bucket",
            memory_size=IMPORT_MEMORY_MB,
            timeout=IMPORT_TIMEOUT,
            ephemeral_storage=Size.gibibytes(2),
            dead_letter_queue=self.dead_letter_queue.queue,
            extra_environment=jobs_environment,
        )
        role = self.function.role
        if import_jobs is not None:
            import_jobs.grant_start(role)
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTS,
            key=key,
            read=True,
            reason="Reads any endpoint file a user uploads under imports/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTED_SEGMENTS,
            key=key,
            write=True,
            reason="Writes member files of imported segments, one folder per segment id.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORT_RESULTS,
            key=key,
            write=True,
            reason="Writes one result file per imported file, named after it.",
        )
        grant_table_data(
            role,
            table_name=endpoints_table_name,
            key=key,
            index_names=[USER_ID_INDEX],
            actions=ENDPOINTS_READ + ENDPOINTS_WRITE,
        )
        # The imported segment (saved as a new version of its document).
        grant_table_data(
            role,
            table_name=definitions_table_name,
            key=key,
            actions=DEFINITIONS_READ + DEFINITIONS_WRITE,
        )

        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description="New endpoint files under imports/ in the data bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket_name]},
                    "object": {"key": [{"prefix": Prefixes.IMPORTS}]},
                },
            ),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function.function,
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=4,
                max_event_age=Duration.hours(6),
            )
        )
