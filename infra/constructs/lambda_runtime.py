"""What every Clarion function runs on: one code asset, the Powertools layer and the
``runtime-deps`` layer, Python 3.12, and a function construct that applies the rules
(own role, log retention, tracing, settings from the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jsii
from aws_cdk import Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.environment import variable
from infra.nag import acknowledge, skip_checkov
from infra.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from infra.config import ClarionConfig

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
# Variables every function's runtime reads itself, beside Clarion's settings. Clarion
# uses no pydantic plugins; without this, the first model a cold start builds makes
# pydantic look for plugins in the entry points of every installed distribution.
RUNTIME_ENVIRONMENT = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}

# Only the product and the handlers go into the function package: everything else in
# the project folder (tests, virtualenv, node_modules, cdk.out, build, docs...) is left
# out. Glob patterns, applied in order; "!" re-includes.
CODE_ASSET_EXCLUDE = (
    "*",
    ".*",
    "!clarion",
    "!clarion/**",
    "!lambdas",
    "!lambdas/**",
    "**/__pycache__",
    "**/*.pyc",
    "lambdas/requirements.txt",
)


@dataclass(frozen=True, slots=True)
class ClarionEnvironment:
    """The settings ``clarion.bootstrap.settings`` reads, as the deployed resources name them."""

    endpoints_table: str
    definitions_table: str
    data_bucket: str
    glue_database: str
    athena_workgroup: str

    @classmethod
    def from_config(cls, config: ClarionConfig, *, data_bucket: str) -> ClarionEnvironment:
        """The shared resources as ``config`` names them (the bucket's name needs a stack)."""
        return cls(
            endpoints_table=config.endpoints_table_name,
            definitions_table=config.definitions_table_name,
            data_bucket=data_bucket,
            glue_database=config.glue_database,
            athena_workgroup=config.athena_workgroup_name,
        )

    def as_variables(self) -> dict[str, str]:
        return {
            variable("backend"): "aws",
            variable("endpoints_table"): self.endpoints_table,
            variable("definitions_table"): self.definitions_table,
            variable("data_bucket"): self.data_bucket,
            variable("glue_database"): self.glue_database,
            variable("athena_workgroup"): self.athena_workgroup,
        }


class LambdaRuntime(Construct):
    """The code asset and layers shared by the functions of a stack, and the shared data
    they work on: ``environment`` names the bucket and tables, ``key`` encrypts them.

    Parameters
    ----------
    powertools_layer_version
        Version of the public ``AWSLambdaPowertoolsPythonV3-python312-x86_64`` layer.
    runtime_deps_dir
        A folder holding ``python/`` with the pinned wheels installed
        (``infra.layers.build_runtime_deps_layer`` makes it).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        powertools_layer_version: int,
        runtime_deps_dir: Path,
        environment: ClarionEnvironment,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.environment = environment
        self.key = key
        self.log_retention = log_retention(log_retention_days)
        self.code = lambda_.Code.from_asset(str(PROJECT_ROOT), exclude=list(CODE_ASSET_EXCLUDE))
        stack = Stack.of(self)
        # Built from the stack's region token, so one template serves every region.
        powertools_arn = (
            f"arn:{stack.partition}:lambda:{stack.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-python312-x86_64:{powertools_layer_version}"
        )
        self.powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "Powertools", powertools_arn
        )
        self.runtime_deps_layer = lambda_.LayerVersion(
            self,
            "RuntimeDeps",
            code=lambda_.Code.from_asset(str(runtime_deps_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="email-validator, dnspython, idna, tzdata (lambdas/requirements.txt)",
            removal_policy=RemovalPolicy.RETAIN,
        )

    @property
    def layers(self) -> list[lambda_.ILayerVersion]:
        return [self.powertools_layer, self.runtime_deps_layer]

    @property
    def bucket_name(self) -> str:
        """The data bucket's name (``CLARION_DATA_BUCKET``)."""
        return self.environment.data_bucket


class ClarionFunction(Construct):
    """A function of the shared asset with its own role and log group.

    The role starts empty: callers grant exactly what the handler touches. Logs go to a
    log group with the runtime's retention; traces to X-Ray.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        handler: str,
        service_name: str,
        description: str,
        memory_size: int = 512,
        timeout: Duration | None = None,
        ephemeral_storage: Size | None = None,
        extra_environment: Mapping[str, str] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        reserved_concurrent_executions: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Clarion {service_name} function",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=runtime.log_retention,
            encryption_key=runtime.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=runtime.code,
            handler=handler,
            description=description,
            role=self.role,
            layers=runtime.layers,
            memory_size=memory_size,
            timeout=timeout or Duration.seconds(60),
            ephemeral_storage_size=ephemeral_storage,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            dead_letter_queue=dead_letter_queue,
            reserved_concurrent_executions=reserved_concurrent_executions,
            environment_encryption=runtime.key,
            environment={
                **runtime.environment.as_variables(),
                **RUNTIME_ENVIRONMENT,
                "POWERTOOLS_SERVICE_NAME": service_name,
                **(extra_environment or {}),
            },
        )
        skip_checkov(
            self.function,
            "CKV_AWS_117",
            "Not in a VPC: the function reaches only AWS service endpoints (DynamoDB, S3, "
            "Kinesis, SES, Athena...) and no private resource; IAM, not a network, bounds "
            "what it can touch.",
        )
        if reserved_concurrent_executions is None:
            skip_checkov(
                self.function,
                "CKV_AWS_115",
                "Bounded by its source instead: API stages throttle, stream mappings run "
                "one batch per shard, state-machine Maps cap their concurrency, and "
                "throttled asynchronous events wait in Lambda's queue; reserving would "
                "take from the account's shared pool.",
            )
        if dead_letter_queue is None:
            # tests/infra checks that no function without a queue has an asynchronous
            # trigger, so this reason stays true.
            skip_checkov(
                self.function,
                "CKV_AWS_116",
                "Never invoked asynchronously (API Gateway, Step Functions tasks and event "
                "source mappings invoke synchronously), and a function DLQ receives only "
                "failed asynchronous events: failures reach the caller, the state "
                "machine's Catch, or the mapping's on-failure destination.",
            )
        if dead_letter_queue is not None and dead_letter_queue.encryption_master_key:
            # Lambda sends failed asynchronous events with the function's own role.
            dead_letter_queue.encryption_master_key.grant(
                self.role, "kms:GenerateDataKey", "kms:Decrypt"
            )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            (
                "Pinned to Python 3.12: the public Powertools layer and the runtime-deps "
                "wheels are built for it; move all together."
            ),
        )
        # X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions.
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing actions do not support resource-level permissions.",
        )


def acknowledge_on_failure_queue(role: iam.IRole) -> None:
    """Accept the wildcard KMS actions aws-cdk grants for an encrypted on-failure queue
    (``SqsDlq``): the encrypt/decrypt family, scoped to the queue's one key."""
    for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Action::{action}]",
            "Granted by aws-cdk for the encrypted on-failure queue, on its key only.",
        )


# Where Lambda writes a stream batch it gave up on, in the data bucket (Lambda's own
# layout: aws/lambda/<mapping id>/<shard id>/<date>/...).
STREAM_FAILURES_PREFIX = "aws/lambda/"


@jsii.implements(lambda_.IEventSourceDlq)
class StreamFailureObjects:
    """An on-failure destination that keeps the records: S3 objects in the data bucket
    under ``aws/lambda/`` holding the invocation record and the whole failed batch (an
    SQS or SNS destination gets only shard pointers, useless once the stream has
    trimmed the records). The function may only put objects there, encrypted with the
    project key."""

    def __init__(self, bucket_name: str, key: kms.IKey) -> None:
        self._bucket_name = bucket_name
        self._key = key

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        from infra.grants import nag_notation

        stack = Stack.of(target_handler)
        bucket = f"arn:{stack.partition}:s3:::{self._bucket_name}"
        objects = f"{bucket}/{STREAM_FAILURES_PREFIX}*"
        target_handler.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects])
        )
        self._key.grant(target_handler, "kms:GenerateDataKey")
        role = target_handler.role
        if role is not None:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_notation(role, objects)}]",
                "Lambda names each failed batch's object under aws/lambda/ itself; the "
                "function may only put objects there.",
            )
        return lambda_.DlqDestinationConfig(destination=bucket)


def add_kinesis_consumer(
    function: ClarionFunction,
    stream: kinesis.IStream,
    *,
    on_failure: StreamFailureObjects,
    batch_size: int,
    max_batching_window: Duration,
    retry_attempts: int,
    max_record_age: Duration,
) -> None:
    """Let ``function`` read ``stream`` from the trim horizon in batches.

    Failed records are reported (``ReportBatchItemFailures``), a failing batch is
    bisected until the bad record is alone, and after the retries (or the record age)
    the record itself is kept in S3 by ``on_failure``. The event source grants reading
    (and decrypting) the stream.
    """
    function.function.add_event_source(
        event_sources.KinesisEventSource(
            stream,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=retry_attempts,
            max_record_age=max_record_age,
            on_failure=on_failure,
        )
    )


_RETENTIONS = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def log_retention(days: int) -> logs.RetentionDays:
    """The CloudWatch Logs retention of ``days`` (one of the common values)."""
    if days not in _RETENTIONS:
        raise ValueError(f"log retention must be one of {sorted(_RETENTIONS)} days, not {days}")
    return _RETENTIONS[days]
