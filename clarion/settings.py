"""Settings, read once from the environment (and CLI flags, which override it).

On AWS the stack sets these variables on every function; from a workstation they name
the deployed resources (see README, "The CLI"). Each field names its variable once,
in its metadata, and ``from_env`` reads them all the same way.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_type_hints

Backend = Literal["local", "aws"]

_T = TypeVar("_T")


def _env(variable: str, default: Any) -> Any:
    return field(default=default, metadata={"env": variable})


def _convert(text: str, kind: Any, variable: str) -> Any:
    try:
        if kind is bool:
            return text.strip().lower() not in ("false", "0", "no", "off", "")
        if kind in (int, int | None):
            return int(text)
        if kind in (float, float | None):
            return float(text)
    except ValueError:
        raise ValueError(f"{variable} must be a number, not {text!r}") from None
    return text


def _read(cls: type[_T], env: Mapping[str, str], **given: Any) -> _T:
    hints = get_type_hints(cls)
    values: dict[str, Any] = dict(given)
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        variable = item.metadata.get("env")
        if variable and env.get(variable, "") != "":
            values[item.name] = _convert(env[variable], hints[item.name], variable)
    return cls(**values)


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Names of the deployed resources (the stack outputs) and AWS-side options."""

    region: str | None = None
    endpoints_table: str = _env("CLARION_ENDPOINTS_TABLE", "clarion-endpoints")
    definitions_table: str = _env("CLARION_DEFINITIONS_TABLE", "clarion-definitions")
    data_bucket: str = _env("CLARION_DATA_BUCKET", "")
    glue_database: str = _env("CLARION_GLUE_DATABASE", "clarion")
    athena_workgroup: str = _env("CLARION_ATHENA_WORKGROUP", "clarion")
    athena_output: str = _env("CLARION_ATHENA_OUTPUT", "")
    # Messaging (delivery through SES v2, End User Messaging and Pinpoint push).
    ses_configuration_set: str = _env("CLARION_SES_CONFIGURATION_SET", "")
    from_address: str = _env("CLARION_FROM_ADDRESS", "")
    sms_configuration_set: str = _env("CLARION_SMS_CONFIGURATION_SET", "")
    sms_origination_identity: str = _env("CLARION_SMS_ORIGINATION_IDENTITY", "")
    pinpoint_app_id: str = _env("CLARION_PINPOINT_APP_ID", "")
    webhook_secret_arn: str = _env("CLARION_WEBHOOK_SECRET_ARN", "")
    # Engagement events and campaign runs.
    events_stream: str = _env("CLARION_EVENTS_STREAM", "clarion-events")
    sends_table: str = _env("CLARION_SENDS_TABLE", "clarion-sends")
    campaign_state_machine_arn: str = _env("CLARION_CAMPAIGN_STATE_MACHINE_ARN", "")
    campaign_schedule_group: str = _env("CLARION_CAMPAIGN_SCHEDULE_GROUP", "")
    campaign_scheduler_role_arn: str = _env("CLARION_CAMPAIGN_SCHEDULER_ROLE_ARN", "")
    # Social-sentiment triggers.
    social_table: str = _env("CLARION_SOCIAL_TABLE", "clarion-social")
    posts_stream: str = _env("CLARION_POSTS_STREAM", "clarion-posts")
    social_handle_index: str = _env("CLARION_SOCIAL_HANDLE_INDEX", "SocialHandleIndex")
    comprehend_entities: bool = _env("CLARION_COMPREHEND_ENTITIES", True)
    # Churn model on SageMaker (the XGBoost container image, resolved at deploy time).
    churn_image_uri: str = _env("CLARION_CHURN_IMAGE_URI", "")
    sagemaker_role_arn: str = _env("CLARION_SAGEMAKER_ROLE_ARN", "")
    churn_instance_type: str = _env("CLARION_CHURN_INSTANCE_TYPE", "ml.m5.large")
    churn_write_limit: int = _env("CLARION_CHURN_WRITE_LIMIT", 50_000)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AwsSettings:
        env = os.environ if env is None else env
        return _read(cls, env, region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"))


@dataclass(frozen=True, slots=True)
class Settings:
    backend: Backend = "local"
    home: Path = Path(".clarion")
    # The Pinpoint project (application) id stamped on events and messages.
    app_id: str = _env("CLARION_APP_ID", "clarion")
    # A sentiment trigger-rules file (YAML or JSON); the packaged default without one.
    sentiment_rules: str = _env("CLARION_SENTIMENT_RULES", "")
    # The churn segment's threshold on Metrics.ChurnRisk, and the retention campaign's
    # holdout (None: the pipeline's defaults).
    churn_threshold: float | None = _env("CLARION_CHURN_THRESHOLD", None)
    churn_holdout_percent: int | None = _env("CLARION_CHURN_HOLDOUT_PERCENT", None)
    aws: AwsSettings = field(default_factory=AwsSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend = env.get("CLARION_BACKEND", "local")
        if backend not in ("local", "aws"):
            raise ValueError(f"CLARION_BACKEND must be local or aws, not {backend!r}")
        return _read(
            cls,
            env,
            backend=backend,
            home=Path(env.get("CLARION_HOME", ".clarion")),
            aws=AwsSettings.from_env(env),
        )

    def with_overrides(self, backend: Backend | None = None, home: Path | None = None) -> Settings:
        return replace(
            self,
            backend=backend or self.backend,
            home=home if home is not None else self.home,
        )
