"""The audience layer: importing endpoints and keeping the lake's view of them fresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.endpoint_change_feed import EndpointChangeFeed
from infra.constructs.endpoint_compaction import EndpointCompaction
from infra.constructs.endpoint_import import EndpointImport
from infra.constructs.import_jobs import ImportJobs
from infra.constructs.lake_erasure import LakeErasure
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps


@dataclass(frozen=True, slots=True)
class AudienceStackProps(FeatureStackProps):
    """The audience stack takes only what every feature stack does."""


class AudienceStack(FeatureStack):
    """The import function, the endpoint change feed and its daily compaction.

    The shared bucket and tables are reached by their fixed names; only the key, the
    stream and the catalog come from the data stack as references.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: AudienceStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data = self.config, self.data
        self.import_jobs = ImportJobs(
            self,
            "ImportJobs",
            runtime=self.runtime,
            state_machine_name=config.import_job_state_machine_name,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            log_retention=self.log_retention,
        )
        self.endpoint_import = EndpointImport(
            self,
            "EndpointImport",
            runtime=self.runtime,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            import_jobs=self.import_jobs,
        )
        endpoints_table = dynamodb.Table.from_table_attributes(
            self,
            "EndpointsTable",
            table_name=config.endpoints_table_name,
            table_stream_arn=data.tables.endpoints.table_stream_arn,
            encryption_key=data.key,
        )
        self.change_feed = EndpointChangeFeed(
            self,
            "EndpointChangeFeed",
            runtime=self.runtime,
            endpoints_table=endpoints_table,
            catalog=data.catalog,
            delivery_stream_name=config.endpoint_changes_stream_name,
            log_retention=self.log_retention,
        )
        self.lake_erasure = LakeErasure(
            self,
            "LakeErasure",
            runtime=self.runtime,
            state_machine_name=config.erase_state_machine_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            log_retention=self.log_retention,
        )
        self.compaction = EndpointCompaction(
            self,
            "EndpointCompaction",
            runtime=self.runtime,
            catalog=data.catalog,
            workgroup=data.workgroup,
            schedule_hour_utc=config.compaction_schedule_hour_utc,
            change_retention_days=config.change_retention_days,
            snapshot_retention_days=config.snapshot_retention_days,
        )
        # What the CLI needs for the erase workflow (CLARION_ERASE_STATE_MACHINE_ARN).
        self.add_outputs(
            {"EraseStateMachineArn": self.lake_erasure.state_machine.state_machine_arn}
        )
