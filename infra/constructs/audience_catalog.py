"""The Glue database and the tables and views Athena reads endpoints through."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.data_lake import Prefixes
from infra.schema import (
    ENDPOINT_CHANGE_COLUMNS,
    ENDPOINT_COLUMNS,
    trino_type,
)
from infra.sql_files import render_sql

PARQUET_STORAGE: dict[str, Any] = {
    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "serde_info": glue.CfnTable.SerdeInfoProperty(
        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    ),
}


class TableNames:
    """Names of the catalog objects (tables and views) in the Glue database."""

    ENDPOINT_CHANGES = "endpoint_changes"
    ENDPOINT_SNAPSHOT = "endpoint_snapshot"
    IMPORTED_SEGMENT_MEMBERS = "imported_segment_members"
    ENDPOINT_LATEST = "endpoint_latest"
    ENDPOINTS = "endpoints"


def _columns(columns: tuple[tuple[str, str], ...]) -> list[glue.CfnTable.ColumnProperty]:
    return [glue.CfnTable.ColumnProperty(name=name, type=kind) for name, kind in columns]


def presto_view_text(sql: str, database: str, columns: tuple[tuple[str, str], ...]) -> str:
    """``ViewOriginalText`` of a Glue table that Athena reads as a view.

    Athena stores its views in Glue as a base64 JSON document (Presto's encoding) with
    the SQL and the Trino types of the output columns, which must match what the SQL
    returns.
    """
    document = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": name, "type": trino_type(kind)} for name, kind in columns],
    }
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    return f"/* Presto View: {encoded} */"


class AudienceCatalog(Construct):
    """The Glue database ``database_name`` with:

    - ``endpoint_changes``: Parquet the change feed writes, one row per change,
      partitioned by day (``dt``) with partition projection;
    - ``endpoint_snapshot``: Parquet compaction writes, partitioned by ``snapshot_ms``
      (partitions registered by Athena's INSERT INTO);
    - ``imported_segment_members``: CSV of endpoint ids, one folder per segment
      (``segment_id`` is an injected projection: queries must name the segment);
    - views ``endpoint_latest`` (newest version of each endpoint, tombstones included)
      and ``endpoints`` (what segment SQL reads: exactly the endpoint columns, live ones).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database_name: str,
        bucket: s3.IBucket,
        change_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database_name = database_name
        stack = Stack.of(self)
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name,
                description="Clarion: endpoints, changes, snapshots and imported segments",
            ),
        )
        lake = f"s3://{bucket.bucket_name}/"
        changes_location = lake + Prefixes.ENDPOINT_CHANGES
        members_location = lake + Prefixes.IMPORTED_SEGMENTS
        self.endpoint_changes = self._table(
            "EndpointChanges",
            glue.CfnTable.TableInputProperty(
                name=TableNames.ENDPOINT_CHANGES,
                description="Every endpoint change from the DynamoDB stream (Parquet)",
                table_type="EXTERNAL_TABLE",
                partition_keys=_columns((("dt", "string"),)),
                parameters={
                    "classification": "parquet",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    # Older days have expired by lifecycle; no need to list them.
                    "projection.dt.range": f"NOW-{change_retention_days + 1}DAYS,NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": changes_location + "dt=${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(ENDPOINT_CHANGE_COLUMNS),
                    location=changes_location,
                    **PARQUET_STORAGE,
                ),
            ),
        )
        self.endpoint_snapshot = self._table(
            "EndpointSnapshot",
            glue.CfnTable.TableInputProperty(
                name=TableNames.ENDPOINT_SNAPSHOT,
                description="Compacted endpoints, one partition per compaction run (Parquet)",
                table_type="EXTERNAL_TABLE",
                partition_keys=_columns((("snapshot_ms", "bigint"),)),
                parameters={"classification": "parquet", "parquet.compression": "SNAPPY"},
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(ENDPOINT_CHANGE_COLUMNS),
                    location=lake + Prefixes.ENDPOINT_SNAPSHOT,
                    **PARQUET_STORAGE,
                ),
            ),
        )
        self.imported_segment_members = self._table(
            "ImportedSegmentMembers",
            glue.CfnTable.TableInputProperty(
                name=TableNames.IMPORTED_SEGMENT_MEMBERS,
                description="Endpoint ids of imported (static) segments (CSV, no header)",
                table_type="EXTERNAL_TABLE",
                partition_keys=_columns((("segment_id", "string"),)),
                parameters={
                    "classification": "csv",
                    "projection.enabled": "true",
                    "projection.segment_id.type": "injected",
                    "storage.location.template": members_location + "segment_id=${segment_id}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns((("endpoint_id", "string"),)),
                    location=members_location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        # OpenCSV reads quoted values (ids may contain commas).
                        serialization_library="org.apache.hadoop.hive.serde2.OpenCSVSerde",
                        parameters={"separatorChar": ",", "quoteChar": '"'},
                    ),
                ),
            ),
        )
        latest_columns = ENDPOINT_CHANGE_COLUMNS
        self.endpoint_latest = self._view(
            "EndpointLatestView",
            TableNames.ENDPOINT_LATEST,
            render_sql("endpoint_latest_view.sql"),
            latest_columns,
            "Newest version of each endpoint, deletions (tombstones) included",
        )
        self.endpoint_latest.add_resource_dependency(self.endpoint_changes)
        self.endpoint_latest.add_resource_dependency(self.endpoint_snapshot)
        self.endpoints = self._view(
            "EndpointsView",
            TableNames.ENDPOINTS,
            render_sql("endpoints_view.sql"),
            ENDPOINT_COLUMNS,
            "Latest version of every live endpoint: the relation segment SQL reads",
        )
        self.endpoints.add_resource_dependency(self.endpoint_latest)

    # -- ARNs and grants ---------------------------------------------------------------

    def _arn(self, resource: str, resource_name: str | None = None) -> str:
        return Stack.of(self).format_arn(
            service="glue", resource=resource, resource_name=resource_name
        )

    @property
    def catalog_arn(self) -> str:
        return self._arn("catalog")

    @property
    def database_arn(self) -> str:
        return self._arn("database", self.database_name)

    def table_arn(self, table_name: str) -> str:
        return self._arn("table", f"{self.database_name}/{table_name}")

    def grant_read(self, grantee: iam.IGrantable, *table_names: str) -> None:
        """Let ``grantee`` read the definitions (and partitions) of these tables/views."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetTableVersion",
                    "glue:GetTableVersions",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                resources=[
                    self.catalog_arn,
                    self.database_arn,
                    *(self.table_arn(name) for name in table_names),
                ],
            )
        )

    def grant_add_partitions(self, grantee: iam.IGrantable, table_name: str) -> None:
        """Let ``grantee`` register new partitions of ``table_name`` (INSERT INTO does)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["glue:CreatePartition", "glue:BatchCreatePartition"],
                resources=[self.catalog_arn, self.database_arn, self.table_arn(table_name)],
            )
        )

    # -- building blocks -----------------------------------------------------------------

    def _table(
        self, construct_id: str, table_input: glue.CfnTable.TableInputProperty
    ) -> glue.CfnTable:
        table = glue.CfnTable(
            self,
            construct_id,
            catalog_id=Stack.of(self).account,
            database_name=self.database_name,
            table_input=table_input,
        )
        table.add_resource_dependency(self.database)
        return table

    def _view(
        self,
        construct_id: str,
        name: str,
        sql: str,
        columns: tuple[tuple[str, str], ...],
        description: str,
    ) -> glue.CfnTable:
        return self._table(
            construct_id,
            glue.CfnTable.TableInputProperty(
                name=name,
                description=description,
                table_type="VIRTUAL_VIEW",
                parameters={"presto_view": "true", "comment": "Presto View"},
                view_original_text=presto_view_text(sql, self.database_name, columns),
                view_expanded_text="/* Presto View */",
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(columns),
                    location="",
                    serde_info=glue.CfnTable.SerdeInfoProperty(),
                ),
            ),
        )
