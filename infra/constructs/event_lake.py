"""The events lake: the Kinesis stream → Firehose → Parquet by event date, and the Glue
table ``events`` over it (partition projection, so no crawler)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.audience_catalog import PARQUET_STORAGE, AudienceCatalog
from infra.constructs.event_stream import EventStream
from infra.grants import bucket_arn, grant_objects
from infra.nag import acknowledge
from infra.paths import RESOURCES_DIR

# The one declaration of the events columns, shared with the local DuckDB table.
EVENTS_COLUMNS_FILE = RESOURCES_DIR / "contracts" / "events_columns.json"
EVENTS_TABLE = "events"
EVENTS_PREFIX = "events/"
EVENTS_ERRORS_PREFIX = "events-errors/"
# First day partition projection lists. Tomorrow is included: an event stamped a moment
# after midnight UTC by a client whose clock runs ahead must still be visible.
PROJECTION_RANGE = "2020-01-01,NOW+1DAYS"
# The event's UTC date, from its epoch-millisecond timestamp (Firehose's JQ 1.6).
PARTITION_QUERY = '{dt: (.event_timestamp / 1000 | strftime("%Y-%m-%d"))}'
# Dynamic partitioning and Parquet conversion both need at least 64 MiB of buffer; the
# interval bounds how late an event reaches the lake.
BUFFER_SIZE_MIB = 128
BUFFER_INTERVAL_S = 300


@cache
def events_columns() -> tuple[tuple[str, str, str], ...]:
    """(name, Glue type, comment) of each column, in the order of the JSON file."""
    document = json.loads(EVENTS_COLUMNS_FILE.read_text(encoding="utf-8"))
    return tuple((c["name"], c["type"], c.get("comment", "")) for c in document["columns"])


@cache
def events_partition_keys() -> tuple[tuple[str, str, str], ...]:
    document = json.loads(EVENTS_COLUMNS_FILE.read_text(encoding="utf-8"))
    return tuple((c["name"], c["type"], c.get("comment", "")) for c in document["partition_keys"])


def _glue_columns(columns: tuple[tuple[str, str, str], ...]) -> list[Any]:
    return [
        glue.CfnTable.ColumnProperty(name=name, type=kind, comment=comment or None)
        for name, kind, comment in columns
    ]


class EventLake(Construct):
    """Every record of the events stream, as Parquet under ``events/dt=YYYY-MM-DD/``.

    Firehose reads the stream (``KinesisStreamAsSource``), takes each record's UTC event
    date with a JQ query (dynamic partitioning), converts the JSON line to Parquet
    (Snappy) with the Glue table's schema (OpenX JSON SerDe, case-insensitive, so
    ``awsAccountId`` fills ``awsaccountid``) and writes it under the date's prefix.
    Records it cannot convert go under ``events-errors/``. The Glue table ``events``
    projects ``dt`` as a date, so Athena needs no crawler and a query filtered on ``dt``
    reads only those days.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: EventStream,
        key: kms.IKey,
        bucket_name: str,
        catalog: AudienceCatalog,
        delivery_stream_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        lake = f"s3://{bucket_name}/{EVENTS_PREFIX}"
        self.table_name = EVENTS_TABLE
        self.table = glue.CfnTable(
            self,
            "EventsTable",
            catalog_id=stack.account,
            database_name=catalog.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=EVENTS_TABLE,
                description="Engagement events: Pinpoint event-stream records (Parquet)",
                table_type="EXTERNAL_TABLE",
                partition_keys=_glue_columns(events_partition_keys()),
                parameters={
                    "classification": "parquet",
                    "parquet.compression": "SNAPPY",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": PROJECTION_RANGE,
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": lake + "dt=${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_glue_columns(events_columns()),
                    location=lake,
                    **PARQUET_STORAGE,
                ),
            ),
        )

        self.delivery_role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"sts:ExternalId": stack.account}},
            ),
            description="Firehose: reads the events stream, writes Parquet to the data lake",
        )
        stream.grant_read(self.delivery_role)
        # "events" (no slash) covers the error prefix too: events-errors/.
        grant_objects(
            self.delivery_role,
            bucket_name=bucket_name,
            prefix=EVENTS_PREFIX.rstrip("/"),
            key=key,
            read=True,
            write=True,
            reason="Firehose writes event objects (and failed records) under events*.",
        )
        catalog.grant_read(self.delivery_role, EVENTS_TABLE)
        delivery_logs = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        delivery_log_stream = delivery_logs.add_stream("S3Delivery")
        delivery_logs.grant_write(self.delivery_role)

        cfn = firehose.CfnDeliveryStream
        self.delivery_stream_name = delivery_stream_name
        self.delivery_stream = cfn(
            self,
            "DeliveryStream",
            delivery_stream_name=delivery_stream_name,
            delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=cfn.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=stream.stream.stream_arn,
                role_arn=self.delivery_role.role_arn,
            ),
            extended_s3_destination_configuration=cfn.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket_arn(self, bucket_name),
                role_arn=self.delivery_role.role_arn,
                prefix=EVENTS_PREFIX + "dt=!{partitionKeyFromQuery:dt}/",
                error_output_prefix=(
                    EVENTS_ERRORS_PREFIX
                    + "!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
                ),
                buffering_hints=cfn.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_INTERVAL_S, size_in_m_bs=BUFFER_SIZE_MIB
                ),
                # Parquet compresses its own pages (Snappy, below).
                compression_format="UNCOMPRESSED",
                encryption_configuration=cfn.EncryptionConfigurationProperty(
                    kms_encryption_config=cfn.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
                cloud_watch_logging_options=cfn.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=delivery_logs.log_group_name,
                    log_stream_name=delivery_log_stream.log_stream_name,
                ),
                dynamic_partitioning_configuration=cfn.DynamicPartitioningConfigurationProperty(
                    enabled=True,
                    retry_options=cfn.RetryOptionsProperty(duration_in_seconds=300),
                ),
                processing_configuration=cfn.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        cfn.ProcessorProperty(
                            type="MetadataExtraction",
                            parameters=[
                                cfn.ProcessorParameterProperty(
                                    parameter_name="MetadataExtractionQuery",
                                    parameter_value=PARTITION_QUERY,
                                ),
                                cfn.ProcessorParameterProperty(
                                    parameter_name="JsonParsingEngine",
                                    parameter_value="JQ-1.6",
                                ),
                            ],
                        )
                    ],
                ),
                data_format_conversion_configuration=cfn.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    input_format_configuration=cfn.InputFormatConfigurationProperty(
                        deserializer=cfn.DeserializerProperty(
                            # Case-insensitive: awsAccountId fills the awsaccountid column.
                            open_x_json_ser_de=cfn.OpenXJsonSerDeProperty(case_insensitive=True)
                        )
                    ),
                    output_format_configuration=cfn.OutputFormatConfigurationProperty(
                        serializer=cfn.SerializerProperty(
                            parquet_ser_de=cfn.ParquetSerDeProperty(compression="SNAPPY")
                        )
                    ),
                    schema_configuration=cfn.SchemaConfigurationProperty(
                        catalog_id=stack.account,
                        database_name=catalog.database_name,
                        table_name=EVENTS_TABLE,
                        region=stack.region,
                        role_arn=self.delivery_role.role_arn,
                        version_id="LATEST",
                    ),
                ),
            ),
        )
        # Firehose checks its role's permissions, and reads the schema, when created.
        self.delivery_stream.node.add_dependency(self.delivery_role)
        self.delivery_stream.add_resource_dependency(self.table)
        acknowledge(
            self.delivery_stream,
            "AwsSolutions-KDF1",
            "Firehose server-side encryption applies to DirectPut only; this stream reads "
            "the KMS-encrypted Kinesis stream and writes S3 objects with the same key.",
        )
