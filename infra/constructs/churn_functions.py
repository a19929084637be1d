"""The churn pipeline's functions: features (Athena), jobs (SageMaker), write scores,
refresh segment (and launch the retention campaign), evaluate (and promote).

Each has its own role with only what its handler touches; the settings
``clarion.bootstrap.settings`` reads come from the environment (docs/deploy.md, "Churn").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, TableNames
from infra.constructs.churn_sagemaker import (
    CHURN_MODELS_PREFIX,
    CHURN_RUNS_PREFIX,
    SCORING_JOB_PREFIX,
    TRAINING_JOB_PREFIX,
)
from infra.constructs.data_lake import Prefixes
from infra.constructs.event_lake import EVENTS_PREFIX, EVENTS_TABLE
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_LIST,
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    SENDS_READ,
    grant_objects,
    grant_query_objects,
    grant_table_data,
    nag_notation,
)
from infra.nag import acknowledge

FEATURES_HANDLER = "lambdas.churn_features.handler.handler"
JOBS_HANDLER = "lambdas.churn_jobs.handler.handler"
WRITE_SCORES_HANDLER = "lambdas.churn_write_scores.handler.handler"
REFRESH_SEGMENT_HANDLER = "lambdas.churn_refresh_segment.handler.handler"
EVALUATE_HANDLER = "lambdas.churn_evaluate.handler.handler"
CHURN_SERVICE_NAME = "clarion-churn"
# What clarion/resources/sql/churn/features.sql reads: the endpoints view (and what it reads) and
# the events table.
FEATURE_TABLES = (
    TableNames.ENDPOINTS,
    TableNames.ENDPOINT_LATEST,
    TableNames.ENDPOINT_SNAPSHOT,
    TableNames.ENDPOINT_CHANGES,
    EVENTS_TABLE,
)
# Where the retention launch keeps its record (ChurnModelStore.put_document).
CHURN_DOCUMENTS_PREFIX = f"{CHURN_MODELS_PREFIX}documents/"


@dataclass(frozen=True, slots=True)
class ChurnSettings:
    """The ``CLARION_*`` settings of the churn functions beyond the shared ones.

    ``threshold`` and ``holdout_percent`` are left unset (the pipeline's defaults, 0.5
    and 20) unless given; so are the definition of churn's ``label_days``,
    ``active_days`` and ``activity_events`` (comma-separated), which every function
    gets, so that both pipelines query, train, evaluate and score one definition.
    """

    app_id: str
    image_uri: str
    sagemaker_role_arn: str
    sends_table_name: str
    campaign_state_machine_arn: str
    kms_key_arn: str = ""
    instance_type: str = "ml.m5.large"
    write_limit: int = 50_000
    threshold: float | None = None
    holdout_percent: int | None = None
    label_days: int | None = None
    active_days: int | None = None
    activity_events: str = ""

    def __post_init__(self) -> None:
        # The same rules as the runtime's, at synth time (a bad value fails the synth).
        import re

        for name in ("label_days", "active_days"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 3650:
                raise ValueError(f"churn_{name} must be 1 to 3650 days, not {value}")
        events = [e.strip() for e in self.activity_events.split(",") if e.strip()]
        if self.activity_events and not events:
            raise ValueError("churn_activity_events names no event type")
        for event in events:
            if not re.fullmatch(r"[^,']{1,100}", event):
                raise ValueError(f"churn_activity_events: {event!r} is not an event type")

    def definition_variables(self) -> dict[str, str]:
        """The definition of churn, set on every churn function."""
        variables = {}
        if self.label_days is not None:
            variables[variable("churn_label_days")] = str(self.label_days)
        if self.active_days is not None:
            variables[variable("churn_active_days")] = str(self.active_days)
        if self.activity_events:
            variables[variable("churn_activity_events")] = self.activity_events
        return variables

    def jobs_variables(self) -> dict[str, str]:
        return {
            variable("churn_image_uri"): self.image_uri,
            variable("sagemaker_role_arn"): self.sagemaker_role_arn,
            variable("churn_instance_type"): self.instance_type,
            variable("sagemaker_kms_key"): self.kms_key_arn,
        }

    def write_variables(self) -> dict[str, str]:
        return {variable("churn_write_limit"): str(self.write_limit)}

    def segment_variables(self) -> dict[str, str]:
        variables = {
            variable("app_id"): self.app_id,
            variable("sends_table"): self.sends_table_name,
            variable("campaign_state_machine_arn"): self.campaign_state_machine_arn,
        }
        if self.threshold is not None:
            variables[variable("churn_threshold")] = str(self.threshold)
        if self.holdout_percent is not None:
            variables[variable("churn_holdout_percent")] = str(self.holdout_percent)
        return variables


class ChurnFunctions(Construct):
    """The five handlers of the churn state machines, least privilege each."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        endpoints_table_name: str,
        definitions_table_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        sagemaker_role: iam.IRole,
        settings: ChurnSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.features = self._function(
            "Features",
            runtime,
            FEATURES_HANDLER,
            "Churn: starts the features query, writes the SageMaker inputs from its result",
            memory_size=1024,
            timeout=Duration.minutes(15),
            environment=settings.definition_variables(),
        )
        self.jobs = self._function(
            "Jobs",
            runtime,
            JOBS_HANDLER,
            "Churn: starts SageMaker training and batch transform jobs, reports on them",
            memory_size=256,
            timeout=Duration.minutes(2),
            environment={**settings.definition_variables(), **settings.jobs_variables()},
        )
        self.write_scores = self._function(
            "WriteScores",
            runtime,
            WRITE_SCORES_HANDLER,
            "Churn: merges batch transform scores into endpoints as Metrics.ChurnRisk",
            memory_size=1024,
            timeout=Duration.minutes(15),
            environment={**settings.definition_variables(), **settings.write_variables()},
        )
        self.refresh_segment = self._function(
            "RefreshSegment",
            runtime,
            REFRESH_SEGMENT_HANDLER,
            "Churn: keeps the churn segment, launches the retention campaign",
            memory_size=512,
            timeout=Duration.minutes(5),
            environment={**settings.definition_variables(), **settings.segment_variables()},
        )
        self.evaluate = self._function(
            "Evaluate",
            runtime,
            EVALUATE_HANDLER,
            "Churn: fits the baselines, chooses by held-out ROC-AUC, promotes if better",
            memory_size=1024,
            timeout=Duration.minutes(15),
            environment=settings.definition_variables(),
        )
        self._grant_features(key, bucket_name, catalog, workgroup)
        self._grant_jobs(key, bucket_name, sagemaker_role)
        # write scores: the transform output, then read-merge-write endpoints.
        role = self.write_scores.role
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_RUNS_PREFIX,
            key=key,
            read=True,
            reason="Reads the scoring transform output of the run it is given.",
        )
        grant_table_data(
            role, table_name=endpoints_table_name, key=key, actions=ENDPOINTS_READ + ENDPOINTS_WRITE
        )
        self._grant_segment(
            key,
            bucket_name,
            endpoints_table_name=endpoints_table_name,
            definitions_table_name=definitions_table_name,
            settings=settings,
        )
        # evaluate: the features query's result, the transform outputs; the model
        # records and pointer.
        role = self.evaluate.role
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=key,
            read=True,
            reason="Reads the features query's CSV result (the training rows the baselines fit).",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_RUNS_PREFIX,
            key=key,
            read=True,
            reason="Reads the held-out labels, input and transform outputs of its run.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_MODELS_PREFIX,
            key=key,
            read=True,
            write=True,
            reason="Keeps model records, evaluations, the promoted pointer and its history.",
        )

    @property
    def all(self) -> list[ClarionFunction]:
        return [self.features, self.jobs, self.write_scores, self.refresh_segment, self.evaluate]

    def _function(
        self,
        construct_id: str,
        runtime: LambdaRuntime,
        handler: str,
        description: str,
        *,
        memory_size: int,
        timeout: Duration,
        environment: Mapping[str, str] | None = None,
    ) -> ClarionFunction:
        return ClarionFunction(
            self,
            construct_id,
            runtime=runtime,
            handler=handler,
            service_name=CHURN_SERVICE_NAME,
            description=description,
            memory_size=memory_size,
            timeout=timeout,
            extra_environment=environment,
        )

    def _grant_features(
        self,
        key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
    ) -> None:
        role = self.features.role
        # Athena runs the query with the caller's permissions: the catalog entries and
        # the lake objects the SQL reads, and the results location.
        workgroup.grant_query(role)
        catalog.grant_read(role, *FEATURE_TABLES)
        grant_query_objects(
            role,
            bucket_name=bucket_name,
            key=key,
            reads={
                Prefixes.ENDPOINT_CHANGES: "The features query reads the endpoints view (changes).",
                Prefixes.ENDPOINT_SNAPSHOT: (
                    "The features query reads the endpoints view (snapshot)."
                ),
                EVENTS_PREFIX: "The features query reads the events lake.",
            },
            results_prefix=Prefixes.ATHENA_RESULTS,
            results_reason=(
                "Athena writes the features CSV under athena-results/; the function reads it."
            ),
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_RUNS_PREFIX,
            key=key,
            write=True,
            reason="Writes each run's SageMaker inputs under churn/runs/<execution>/.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_MODELS_PREFIX,
            key=key,
            read=True,
            reason="Reads the promoted model's pointer and record under models/churn/.",
        )

    def _grant_jobs(self, key: kms.IKey, bucket_name: str, sagemaker_role: iam.IRole) -> None:
        role = self.jobs.role
        stack = Stack.of(self)

        def arns(resource: str, *prefixes: str) -> list[str]:
            return [
                stack.format_arn(
                    service="sagemaker",
                    resource=resource,
                    resource_name=f"{prefix}*",
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                )
                for prefix in prefixes
            ]

        # Scoring runs name their model and job churn-score-<execution>; training runs
        # name the training job churn-train-<execution> and the evaluation transforms
        # (and their models) churn-train-<execution>-cand / -curr.
        training_jobs = arns("training-job", TRAINING_JOB_PREFIX)
        models = arns("model", SCORING_JOB_PREFIX, TRAINING_JOB_PREFIX)
        transform_jobs = arns("transform-job", SCORING_JOB_PREFIX, TRAINING_JOB_PREFIX)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"],
                resources=training_jobs,
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=models)
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob"],
                resources=transform_jobs,
            )
        )
        for arn in (*training_jobs, *models, *transform_jobs):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_notation(role, arn)}]",
                "Job and model names carry the execution's generated name after a fixed "
                "churn prefix.",
            )
        # The jobs run as the SageMaker execution role, and only SageMaker may get it.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[sagemaker_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_MODELS_PREFIX,
            key=key,
            read=True,
            reason="Reads the promoted model's pointer (the evaluation's current model).",
        )

    def _grant_segment(
        self,
        key: kms.IKey,
        bucket_name: str,
        *,
        endpoints_table_name: str,
        definitions_table_name: str,
        settings: ChurnSettings,
    ) -> None:
        role = self.refresh_segment.role
        # The segment, the retention templates, campaign and run records.
        # Finding the churn segment lists the segments (Scan).
        grant_table_data(
            role,
            table_name=definitions_table_name,
            key=key,
            actions=DEFINITIONS_READ + DEFINITIONS_LIST + DEFINITIONS_WRITE,
        )
        # Planning the launch's run reads endpoints and the send ledger.
        grant_table_data(role, table_name=endpoints_table_name, key=key, actions=ENDPOINTS_READ)
        grant_table_data(role, table_name=settings.sends_table_name, key=key, actions=SENDS_READ)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"],
                resources=[settings.campaign_state_machine_arn],
            )
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_DOCUMENTS_PREFIX,
            key=key,
            write=True,
            reason="Records the retention launch under models/churn/documents/ for the report.",
        )
