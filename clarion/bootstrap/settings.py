"""Settings, read once from the environment (and CLI flags, which override it).

On AWS the stack sets these variables on every function; from a workstation they name
the deployed resources (see README, "The CLI"). The variable of each setting is
declared once, in ``clarion/resources/contracts/environment.json`` (which the stacks
read too); each field names its setting, and ``from_env`` reads them all the same way.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_type_hints

from clarion.resources import read_json

Backend = Literal["local", "aws"]

_T = TypeVar("_T")

# The environment variable of each setting, by setting name.
_VARIABLES: Mapping[str, str] = read_json("contracts/environment.json")["variables"]


def _env(setting: str, default: Any) -> Any:
    # A KeyError here, at import, means the contract does not declare the setting.
    return field(default=default, metadata={"env": _VARIABLES[setting]})


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
    endpoints_table: str = _env("endpoints_table", "clarion-endpoints")
    definitions_table: str = _env("definitions_table", "clarion-definitions")
    data_bucket: str = _env("data_bucket", "")
    glue_database: str = _env("glue_database", "clarion")
    athena_workgroup: str = _env("athena_workgroup", "clarion")
    athena_output: str = _env("athena_output", "")
    # The endpoint change feed's Firehose stream, and the compaction statement (Athena
    # SQL with a ``{snapshot_ms}`` placeholder), both set by the audience stack.
    endpoint_changes_stream: str = _env("endpoint_changes_stream", "")
    compaction_sql: str = _env("compaction_sql", "")
    # Days change objects are kept before a successful compaction deletes them (0: never
    # deleted); set by the audience stack from the change_retention_days setting.
    change_retention_days: int = _env("change_retention_days", 0)
    # Days snapshots are kept before a successful compaction deletes them (never the
    # newest; 0: never deleted).
    snapshot_retention_days: int = _env("snapshot_retention_days", 0)
    # Messaging (delivery through SES v2, End User Messaging and Pinpoint push).
    ses_configuration_set: str = _env("ses_configuration_set", "")
    from_address: str = _env("from_address", "")
    sms_configuration_set: str = _env("sms_configuration_set", "")
    sms_origination_identity: str = _env("sms_origination_identity", "")
    pinpoint_app_id: str = _env("pinpoint_app_id", "")
    webhook_secret_arn: str = _env("webhook_secret_arn", "")
    # The hosts custom-channel webhooks may name, comma-separated (none by default).
    webhook_allowed_hosts: str = _env("webhook_allowed_hosts", "")
    # Messages a delivery call sends at once on per-message APIs (SES, SMS, voice).
    delivery_threads: int = _env("delivery_threads", 8)
    # Engagement events and campaign runs.
    events_stream: str = _env("events_stream", "clarion-events")
    sends_table: str = _env("sends_table", "clarion-sends")
    # Journey participants and their counters.
    journeys_table: str = _env("journeys_table", "clarion-journeys")
    campaign_state_machine_arn: str = _env("campaign_state_machine_arn", "")
    # Import jobs as Step Functions Distributed Maps; unset, jobs run within the call.
    import_job_state_machine_arn: str = _env("import_job_state_machine_arn", "")
    # The Parquet lake's erase workflow; unset, erase only finds the lake's objects.
    erase_state_machine_arn: str = _env("erase_state_machine_arn", "")
    campaign_schedule_group: str = _env("campaign_schedule_group", "")
    campaign_scheduler_role_arn: str = _env("campaign_scheduler_role_arn", "")
    # Social-sentiment triggers.
    social_table: str = _env("social_table", "clarion-social")
    posts_stream: str = _env("posts_stream", "clarion-posts")
    social_handle_index: str = _env("social_handle_index", "SocialHandleIndex")
    comprehend_entities: bool = _env("comprehend_entities", True)
    # Churn model on SageMaker (the XGBoost container image, resolved at deploy time).
    churn_image_uri: str = _env("churn_image_uri", "")
    sagemaker_role_arn: str = _env("sagemaker_role_arn", "")
    # The project key: SageMaker encrypts the jobs' volumes and outputs with it.
    sagemaker_kms_key: str = _env("sagemaker_kms_key", "")
    churn_instance_type: str = _env("churn_instance_type", "ml.m5.large")
    churn_write_limit: int = _env("churn_write_limit", 50_000)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AwsSettings:
        """The settings ``env`` (the process environment by default) gives, with the
        region from ``AWS_REGION`` or ``AWS_DEFAULT_REGION``.

        Raises
        ------
        ValueError
            When a numeric setting's variable is not a number (the message names it).
        """
        env = os.environ if env is None else env
        return _read(cls, env, region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"))


@dataclass(frozen=True, slots=True)
class Settings:
    """Which backend to run on, where the local one keeps its data, the options every
    backend shares, and the AWS resources (``aws``)."""

    backend: Backend = "local"
    home: Path = Path(".clarion")
    # The Pinpoint project (application) id stamped on events and messages.
    app_id: str = _env("app_id", "clarion")
    # A sentiment trigger-rules file (YAML or JSON); the packaged default without one.
    sentiment_rules: str = _env("sentiment_rules", "")
    # The churn segment's threshold on Metrics.ChurnRisk, and the retention campaign's
    # holdout (None: the pipeline's defaults).
    churn_threshold: float | None = _env("churn_threshold", None)
    churn_holdout_percent: int | None = _env("churn_holdout_percent", None)
    # Whether transactional sends (SendMessages, SendUsersMessages) count against, and
    # are capped by, the project's caps (the message governor); exempt by default.
    govern_transactional: bool = _env("govern_transactional", False)
    # A campaign's dry run reports a printed variable without a default that more than
    # this share (0 to 1) of its segment's endpoints lack.
    missing_value_share: float = _env("missing_value_share", 0.05)
    # The definition of churn (None: the defaults, 28 days, 90 days, sessions and
    # purchases): the label window, the population window and the activity events
    # (comma-separated event types). The CLI's options override them.
    churn_label_days: int | None = _env("churn_label_days", None)
    churn_active_days: int | None = _env("churn_active_days", None)
    churn_activity_events: str = _env("churn_activity_events", "")
    aws: AwsSettings = field(default_factory=AwsSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings ``env`` (the process environment by default) gives.

        Raises
        ------
        ValueError
            When the backend is neither ``local`` nor ``aws``, or a numeric setting's
            variable is not a number (the message names the variable).
        """
        env = os.environ if env is None else env
        backend_variable = _VARIABLES["backend"]
        backend = env.get(backend_variable, "local")
        if backend not in ("local", "aws"):
            raise ValueError(f"{backend_variable} must be local or aws, not {backend!r}")
        return _read(
            cls,
            env,
            backend=backend,
            home=Path(env.get(_VARIABLES["home"], ".clarion")),
            aws=AwsSettings.from_env(env),
        )

    def with_overrides(self, backend: Backend | None = None, home: Path | None = None) -> Settings:
        """These settings with the backend and home the CLI flags give, where given."""
        return replace(
            self,
            backend=backend or self.backend,
            home=home if home is not None else self.home,
        )
