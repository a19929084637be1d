"""Deployment settings: one typed object, read from CDK context, passed down as props."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from constructs import Construct

GIB = 1024**3


@dataclass(frozen=True, slots=True)
class ClarionConfig:
    """What a deployment may choose; every field has a safe default.

    Override any field with CDK context, e.g. ``cdk synth -c glue_database=crm``, or in
    ``cdk.json`` under ``context``.

    Attributes
    ----------
    resource_prefix
        Prefix of the named resources (tables, workgroup, delivery stream).
    glue_database
        Glue database holding the tables and views Athena queries.
    athena_bytes_scanned_cutoff
        Athena cancels any query of the workgroup that scans more than this.
    change_retention_days
        The compaction deletes endpoint change objects older than this, after a
        successful snapshot (no lifecycle rule expires them); the change table shows
        this many days plus one. Must stay well beyond the compaction interval (one
        day): the view reads changes since the newest snapshot.
    snapshot_retention_days
        The compaction deletes snapshots older than this after a successful snapshot,
        never the newest (no lifecycle rule expires them).
    infrequent_access_after_days
        Data-lake objects move to S3 Standard-IA after this many days.
    log_retention_days
        Retention of every function's log group.
    import_retention_days
        Import files (``imports/``) and their results (``import-results/``) expire.
    event_retention_days
        Event records (``events/``) and the records Firehose could not convert
        (``events-errors/``) expire.
    dead_letter_retention_days
        Dead letters (``dead-letters/``) expire.
    export_retention_days
        Export job files (``exports/``) expire.
    churn_retention_days
        Churn datasets, scores and reports (``churn/``) expire (models are not personal
        data and stay).
    campaign_audience_retention_days
        Campaign runs' audience and resume files (``campaign-audiences/``) expire.
    imported_segment_retention_days
        Imported segments' member lists (``imported-segments/``) expire; 0 keeps them
        while the segment exists (a segment whose members expired would silently
        become empty, so the default is 0 and deleting the segment removes them).
    alert_email
        Who receives every alarm (dead-letter queues, compaction, lagging consumers)
        and the failure topics' messages: an email subscription of each stack's
        ``OperatorAlerts`` topic and of the failure topics.
    encrypt_glue_catalog
        Encrypt the account's Glue Data Catalog with the project key. The setting is
        one per account and region: turn it off where another stack owns it.
    powertools_layer_version
        Version of the public Powertools for AWS Lambda (Python) v3 layer.
    compaction_schedule_hour_utc
        Hour (UTC) of the daily compaction.
    deletion_protection
        Protects the tables from deletion (turn off only for throwaway stacks).
    app_id
        The project id given to events that name none (``CLARION_APP_ID``).
    events_api_rate_limit
        Steady-state requests per second of the events API (PutEvents).
    events_api_burst_limit
        Burst of requests the events API accepts above the rate.
    events_iterator_age_alarm_minutes
        The events consumer alarms when it lags the stream by more than this.
    """

    resource_prefix: str = "clarion"
    glue_database: str = "clarion"
    athena_bytes_scanned_cutoff: int = 100 * GIB
    change_retention_days: int = 30
    snapshot_retention_days: int = 90
    infrequent_access_after_days: int = 30
    log_retention_days: int = 90
    import_retention_days: int = 30
    event_retention_days: int = 395
    dead_letter_retention_days: int = 30
    export_retention_days: int = 7
    churn_retention_days: int = 90
    campaign_audience_retention_days: int = 14
    imported_segment_retention_days: int = 0
    encrypt_glue_catalog: bool = True
    alert_email: str = ""
    powertools_layer_version: int = 27
    compaction_schedule_hour_utc: int = 3
    deletion_protection: bool = True
    app_id: str = "clarion"
    events_api_rate_limit: int = 100
    events_api_burst_limit: int = 200
    events_iterator_age_alarm_minutes: int = 5

    def __post_init__(self) -> None:
        if self.change_retention_days < 7:
            raise ValueError(
                "change_retention_days must be at least 7: changes must outlive several "
                "missed daily compactions"
            )
        if self.infrequent_access_after_days >= self.snapshot_retention_days:
            raise ValueError(
                "infrequent_access_after_days must be less than snapshot_retention_days"
            )
        for name in (
            "import_retention_days",
            "event_retention_days",
            "dead_letter_retention_days",
            "export_retention_days",
            "churn_retention_days",
            "campaign_audience_retention_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.imported_segment_retention_days < 0:
            raise ValueError("imported_segment_retention_days must be 0 (kept) or more")
        if not 0 <= self.compaction_schedule_hour_utc <= 23:
            raise ValueError("compaction_schedule_hour_utc must be 0 to 23")

    @property
    def endpoints_table_name(self) -> str:
        return f"{self.resource_prefix}-endpoints"

    @property
    def definitions_table_name(self) -> str:
        return f"{self.resource_prefix}-definitions"

    @property
    def journeys_table_name(self) -> str:
        """Journey participants and their counters (``CLARION_JOURNEYS_TABLE``)."""
        return f"{self.resource_prefix}-journeys"

    @property
    def athena_workgroup_name(self) -> str:
        return self.resource_prefix

    @property
    def endpoint_changes_stream_name(self) -> str:
        return f"{self.resource_prefix}-endpoint-changes"

    @property
    def events_stream_name(self) -> str:
        return f"{self.resource_prefix}-events"

    @property
    def events_delivery_stream_name(self) -> str:
        return f"{self.resource_prefix}-events-lake"

    @property
    def campaign_state_machine_name(self) -> str:
        """The campaign-run state machine (the messaging stack's; churn starts it)."""
        return f"{self.resource_prefix}-campaign-run"

    @property
    def erase_state_machine_name(self) -> str:
        """The lake's erase workflow (the audience stack's; the API starts it)."""
        return f"{self.resource_prefix}-erase-lake"

    @property
    def import_job_state_machine_name(self) -> str:
        """The import-job state machine (the audience stack's; the API starts it)."""
        return f"{self.resource_prefix}-import-job"

    @property
    def ses_configuration_set_name(self) -> str:
        return self.resource_prefix

    @property
    def sms_configuration_set_name(self) -> str:
        return self.resource_prefix

    @classmethod
    def from_context(cls, scope: Construct) -> ClarionConfig:
        """Build from CDK context values named like the fields (strings are converted)."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = scope.node.try_get_context(field.name)
            if raw is None:
                continue
            default = field.default
            if isinstance(default, bool):
                values[field.name] = raw if isinstance(raw, bool) else str(raw).lower() == "true"
            elif isinstance(default, int):
                values[field.name] = int(raw)
            else:
                values[field.name] = str(raw)
        return cls(**values)
