"""Settings, read once from the environment (and CLI flags, which override it).

On AWS the stack sets these variables on every function; from a workstation they name
the deployed resources (see README, "Using the aws backend")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Backend = Literal["local", "aws"]


@dataclass(frozen=True, slots=True)
class AwsSettings:
    region: str | None = None
    endpoints_table: str = "clarion-endpoints"
    definitions_table: str = "clarion-definitions"
    data_bucket: str = ""
    glue_database: str = "clarion"
    athena_workgroup: str = "clarion"
    athena_output: str = ""
    # Messaging (delivery through SES v2, End User Messaging and Pinpoint push).
    ses_configuration_set: str = ""
    from_address: str = ""
    sms_configuration_set: str = ""
    sms_origination_identity: str = ""
    pinpoint_app_id: str = ""
    webhook_secret_arn: str = ""
    # Engagement events and campaign runs.
    events_stream: str = "clarion-events"
    sends_table: str = "clarion-sends"
    campaign_state_machine_arn: str = ""
    # EventBridge Scheduler: per-campaign schedules (the messaging stack's outputs).
    campaign_schedule_group: str = ""
    campaign_scheduler_role_arn: str = ""
    # Social-sentiment triggers.
    social_table: str = "clarion-social"
    posts_stream: str = "clarion-posts"
    social_handle_index: str = "SocialHandleIndex"
    comprehend_entities: bool = True
    # Churn model on SageMaker (the XGBoost container image, resolved at deploy time).
    churn_image_uri: str = ""
    sagemaker_role_arn: str = ""
    churn_instance_type: str = "ml.m5.large"
    churn_write_limit: int = 50_000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AwsSettings:
        env = dict(os.environ) if env is None else env
        defaults = cls()
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            endpoints_table=env.get("CLARION_ENDPOINTS_TABLE", defaults.endpoints_table),
            definitions_table=env.get("CLARION_DEFINITIONS_TABLE", defaults.definitions_table),
            data_bucket=env.get("CLARION_DATA_BUCKET", defaults.data_bucket),
            glue_database=env.get("CLARION_GLUE_DATABASE", defaults.glue_database),
            athena_workgroup=env.get("CLARION_ATHENA_WORKGROUP", defaults.athena_workgroup),
            athena_output=env.get("CLARION_ATHENA_OUTPUT", defaults.athena_output),
            ses_configuration_set=env.get("CLARION_SES_CONFIGURATION_SET", ""),
            from_address=env.get("CLARION_FROM_ADDRESS", ""),
            sms_configuration_set=env.get("CLARION_SMS_CONFIGURATION_SET", ""),
            sms_origination_identity=env.get("CLARION_SMS_ORIGINATION_IDENTITY", ""),
            pinpoint_app_id=env.get("CLARION_PINPOINT_APP_ID", ""),
            webhook_secret_arn=env.get("CLARION_WEBHOOK_SECRET_ARN", ""),
            events_stream=env.get("CLARION_EVENTS_STREAM", defaults.events_stream),
            sends_table=env.get("CLARION_SENDS_TABLE", defaults.sends_table),
            campaign_state_machine_arn=env.get("CLARION_CAMPAIGN_STATE_MACHINE_ARN", ""),
            campaign_schedule_group=env.get("CLARION_CAMPAIGN_SCHEDULE_GROUP", ""),
            campaign_scheduler_role_arn=env.get("CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN", ""),
            social_table=env.get("CLARION_SOCIAL_TABLE", defaults.social_table),
            posts_stream=env.get("CLARION_POSTS_STREAM", defaults.posts_stream),
            social_handle_index=env.get(
                "CLARION_SOCIAL_HANDLE_INDEX", defaults.social_handle_index
            ),
            comprehend_entities=env.get("CLARION_COMPREHEND_ENTITIES", "true").lower() != "false",
        )


@dataclass(frozen=True, slots=True)
class Settings:
    backend: Backend = "local"
    home: Path = Path(".clarion")
    # The Pinpoint project (application) id stamped on events and messages.
    app_id: str = "clarion"
    # A sentiment trigger-rules file (YAML or JSON); the packaged default without one.
    sentiment_rules: str = ""
    # The churn segment's threshold on Metrics.ChurnRisk, and the retention campaign's
    # holdout (None: the pipeline's defaults).
    churn_threshold: float | None = None
    churn_holdout_percent: int | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ) if env is None else env
        backend = env.get("CLARION_BACKEND", "local")
        if backend not in ("local", "aws"):
            raise ValueError(f"CLARION_BACKEND must be local or aws, not {backend!r}")
        return cls(
            backend=backend,  # type: ignore[arg-type]
            home=Path(env.get("CLARION_HOME", ".clarion")),
            app_id=env.get("CLARION_APP_ID", "clarion"),
            sentiment_rules=env.get("CLARION_SENTIMENT_RULES", ""),
            churn_threshold=(
                float(env["CLARION_CHURN_THRESHOLD"])
                if env.get("CLARION_CHURN_THRESHOLD")
                else None
            ),
            churn_holdout_percent=(
                int(env["CLARION_CHURN_HOLDOUT_PERCENT"])
                if env.get("CLARION_CHURN_HOLDOUT_PERCENT")
                else None
            ),
            aws=AwsSettings.from_env(env),
        )

    def with_overrides(self, backend: Backend | None = None, home: Path | None = None) -> Settings:
        return replace(
            self,
            backend=backend or self.backend,
            home=home if home is not None else self.home,
        )
