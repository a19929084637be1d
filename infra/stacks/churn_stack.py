"""Predictive churn on AWS: the scoring and training state machines, their functions,
the SageMaker execution role and image, the schedules and the failure topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import ArnFormat
from constructs import Construct

from infra.constructs.churn_functions import ChurnFunctions, ChurnSettings
from infra.constructs.churn_pipelines import ChurnPipelines, ChurnSchedules
from infra.constructs.churn_sagemaker import ChurnSageMaker
from infra.constructs.messaging_channels import sends_table_name
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps, options_from_context


@dataclass(frozen=True, slots=True)
class ChurnOptions:
    """Churn choices of a deployment (CDK context keys in brackets).

    Attributes
    ----------
    launch_campaign
        The daily scoring also launches the retention campaign
        [``churn_launch_campaign``].
    scoring_schedule, training_schedule
        EventBridge Scheduler expressions, UTC [``churn_scoring_schedule``,
        ``churn_training_schedule``]: daily at 05:00 (after the 03:00 compaction),
        weekly on Sunday at 01:00.
    instance_type
        SageMaker instance of the training and transform jobs
        [``churn_instance_type``].
    write_limit
        Scores one write-scores invocation merges [``churn_write_limit``].
    threshold, holdout_percent
        The churn segment's ``Metrics.ChurnRisk`` threshold and the retention
        campaign's holdout; empty for the pipeline's defaults (0.5, 20)
        [``churn_threshold``, ``churn_holdout_percent``].
    label_days, active_days, activity_events
        The definition of churn both pipelines use: no activity event in
        ``label_days`` after the cut-off, among endpoints with one in the
        ``active_days`` before it; ``activity_events`` comma-separated event types;
        empty for the defaults (28, 90, ``_session.start,_monetization.purchase``)
        [``churn_label_days``, ``churn_active_days``, ``churn_activity_events``].
    """

    launch_campaign: bool = False
    scoring_schedule: str = "cron(0 5 * * ? *)"
    training_schedule: str = "cron(0 1 ? * SUN *)"
    instance_type: str = "ml.m5.large"
    write_limit: int = 50_000
    threshold: str = ""
    holdout_percent: str = ""
    label_days: str = ""
    active_days: str = ""
    activity_events: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> ChurnOptions:
        return options_from_context(cls, scope, "churn")

    @property
    def schedules(self) -> ChurnSchedules:
        return ChurnSchedules(
            scoring=self.scoring_schedule,
            training=self.training_schedule,
            launch_campaign=self.launch_campaign,
        )


@dataclass(frozen=True, slots=True)
class ChurnStackProps(FeatureStackProps):
    """``depends_on``: the events stack (the events table the features read) and the
    messaging stack (sends table, campaign-run state machine)."""

    churn: ChurnOptions = field(default_factory=ChurnOptions)


class ChurnStack(FeatureStack):
    """The churn functions, the SageMaker role and image, both state machines, the
    failure topic, alarms and schedules.

    Shared resources are reached by their fixed names (bucket, endpoints, definitions
    and sends tables, the campaign-run state machine); the key, catalog and workgroup
    come from the data stack.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ChurnStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data, options = self.config, self.data, props.churn
        prefix = config.resource_prefix
        self.sagemaker = ChurnSageMaker(
            self, "SageMaker", key=data.key, bucket_name=self.bucket_name
        )
        campaign_state_machine_arn = self.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=config.campaign_state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.functions = ChurnFunctions(
            self,
            "Functions",
            runtime=self.runtime,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            sagemaker_role=self.sagemaker.role,
            settings=ChurnSettings(
                app_id=config.app_id,
                image_uri=self.sagemaker.image_uri,
                sagemaker_role_arn=self.sagemaker.role.role_arn,
                sends_table_name=sends_table_name(prefix),
                campaign_state_machine_arn=campaign_state_machine_arn,
                instance_type=options.instance_type,
                write_limit=options.write_limit,
                threshold=float(options.threshold) if options.threshold else None,
                holdout_percent=int(options.holdout_percent) if options.holdout_percent else None,
                label_days=int(options.label_days) if options.label_days else None,
                active_days=int(options.active_days) if options.active_days else None,
                activity_events=options.activity_events,
            ),
        )
        self.pipelines = ChurnPipelines(
            self,
            "Pipelines",
            resource_prefix=prefix,
            functions=self.functions,
            workgroup_arn=data.workgroup.arn,
            log_retention=self.log_retention,
            schedules=options.schedules,
        )
        # What the CLI needs (as CLARION_* variables) to train and score from a
        # workstation, and where failures are announced.
        outputs = {
            "ChurnImageUri": self.sagemaker.image_uri,
            "SageMakerRoleArn": self.sagemaker.role.role_arn,
            "ChurnScoringStateMachineArn": self.pipelines.scoring.state_machine.state_machine_arn,
            "ChurnTrainingStateMachineArn": (
                self.pipelines.training.state_machine.state_machine_arn
            ),
            "ChurnFailureTopic": self.pipelines.failure_topic.topic_arn,
        }
        self.add_outputs(outputs)
