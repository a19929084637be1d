"""The audience layer: importing endpoints and keeping the lake's view of them fresh."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.data_lake import data_bucket_name
from infra.constructs.endpoint_change_feed import EndpointChangeFeed
from infra.constructs.endpoint_compaction import EndpointCompaction
from infra.constructs.endpoint_import import EndpointImport
from infra.constructs.lambda_runtime import ClarionEnvironment, LambdaRuntime, log_retention
from infra.stacks.data_stack import DataStack


@dataclass(frozen=True, slots=True)
class AudienceStackProps:
    config: ClarionConfig
    data: DataStack
    runtime_deps_dir: Path


class AudienceStack(Stack):
    """The import function, the endpoint change feed and its daily compaction.

    The shared bucket and tables are reached by their fixed names; only the key, the
    stream and the catalog come from the data stack as references.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: AudienceStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config, data = props.config, props.data
        self.add_stack_dependency(data)
        bucket_name = data_bucket_name(self, config.resource_prefix)
        self.runtime = LambdaRuntime(
            self,
            "Runtime",
            powertools_layer_version=config.powertools_layer_version,
            runtime_deps_dir=props.runtime_deps_dir,
            log_retention_days=config.log_retention_days,
            environment=ClarionEnvironment(
                endpoints_table=config.endpoints_table_name,
                definitions_table=config.definitions_table_name,
                data_bucket=bucket_name,
                glue_database=config.glue_database,
                athena_workgroup=config.athena_workgroup_name,
            ),
        )
        self.endpoint_import = EndpointImport(
            self,
            "EndpointImport",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
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
            key=data.key,
            bucket_name=bucket_name,
            endpoints_table=endpoints_table,
            catalog=data.catalog,
            delivery_stream_name=config.endpoint_changes_stream_name,
            log_retention=log_retention(config.log_retention_days),
        )
        self.compaction = EndpointCompaction(
            self,
            "EndpointCompaction",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            catalog=data.catalog,
            workgroup=data.workgroup,
            schedule_hour_utc=config.compaction_schedule_hour_utc,
        )
