"""The data layer shared by every feature: key, lake, tables, catalog, workgroup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_glue as glue
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.audience_catalog import AudienceCatalog
from infra.constructs.data_lake import DataLake, DataLakeRetention, data_bucket_name
from infra.constructs.encryption import EncryptionKey
from infra.constructs.profile_tables import ProfileTables
from infra.constructs.query_workgroup import QueryWorkgroup


@dataclass(frozen=True, slots=True)
class DataStackProps:
    config: ClarionConfig


class DataStack(Stack):
    """KMS key, data-lake bucket, DynamoDB tables, Glue catalog and Athena workgroup.

    Feature stacks receive these through typed props (``stack.key``, ``stack.data_lake``
    ...), so they can be added without touching this one.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: DataStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = props.config
        self.key = EncryptionKey(self, "Encryption", alias=config.resource_prefix).key
        self.data_lake = DataLake(
            self,
            "DataLake",
            key=self.key,
            bucket_name=data_bucket_name(self, config.resource_prefix),
            retention=DataLakeRetention(
                endpoint_changes_days=config.change_retention_days,
                infrequent_access_after_days=config.infrequent_access_after_days,
                imports_days=config.import_retention_days,
                events_days=config.event_retention_days,
                dead_letters_days=config.dead_letter_retention_days,
                exports_days=config.export_retention_days,
                churn_days=config.churn_retention_days,
                campaign_audiences_days=config.campaign_audience_retention_days,
                imported_segments_days=config.imported_segment_retention_days,
            ),
        )
        self.tables = ProfileTables(
            self,
            "Tables",
            key=self.key,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            deletion_protection=config.deletion_protection,
        )
        self.catalog = AudienceCatalog(
            self,
            "Catalog",
            database_name=config.glue_database,
            bucket=self.data_lake.bucket,
            change_retention_days=config.change_retention_days,
        )
        if config.encrypt_glue_catalog:
            # The Data Catalog's encryption is one setting per account and region: table
            # definitions (column names, locations) encrypted with the project key.
            glue.CfnDataCatalogEncryptionSettings(
                self,
                "CatalogEncryption",
                catalog_id=self.account,
                data_catalog_encryption_settings=glue.CfnDataCatalogEncryptionSettings.DataCatalogEncryptionSettingsProperty(
                    encryption_at_rest=glue.CfnDataCatalogEncryptionSettings.EncryptionAtRestProperty(
                        catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=self.key.key_arn
                    ),
                    connection_password_encryption=glue.CfnDataCatalogEncryptionSettings.ConnectionPasswordEncryptionProperty(
                        return_connection_password_encrypted=True,
                        kms_key_id=self.key.key_arn,
                    ),
                ),
            )
        self.workgroup = QueryWorkgroup(
            self,
            "Queries",
            name=config.athena_workgroup_name,
            bucket=self.data_lake.bucket,
            key=self.key,
            bytes_scanned_cutoff=config.athena_bytes_scanned_cutoff,
        )
        # What the CLI needs (as CLARION_* variables) to use this deployment.
        outputs = {
            "EndpointsTable": self.tables.endpoints.table_name,
            "DefinitionsTable": self.tables.definitions.table_name,
            "DataBucket": self.data_lake.bucket.bucket_name,
            "GlueDatabase": config.glue_database,
            "AthenaWorkgroup": config.athena_workgroup_name,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
