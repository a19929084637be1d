"""The endpoint change feed: DynamoDB stream → Lambda → Firehose → Parquet in S3."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, TableNames
from infra.constructs.data_lake import Prefixes
from infra.constructs.lambda_runtime import (
    ClarionFunction,
    LambdaRuntime,
    StreamFailureObjects,
)
from infra.constructs.profile_tables import ATTRIBUTE_NAMES_REGISTRY_ID
from infra.environment import variable
from infra.grants import bucket_arn, grant_objects

CHANGE_FEED_HANDLER = "lambdas.endpoint_change_feed.handler.handler"
# Firehose needs at least 64 MiB of buffer to convert to Parquet; the interval bounds how
# late a change reaches the lake (the view's overlap window allows for it).
BUFFER_SIZE_MIB = 128
BUFFER_INTERVAL_S = 300


class EndpointChangeFeed(Construct):
    """Turns every write to the ``endpoints`` table into a row in ``endpoint_changes``.

    The stream is read in batches by the ``endpoint_change_feed`` function, which
    flattens each new image (or a tombstone for a removal) and puts it on a DirectPut
    Firehose delivery stream; Firehose converts the JSON rows to Parquet with the Glue
    table's schema and writes them under ``endpoint-changes/dt=YYYY-MM-DD/``.

    A batch that keeps failing is split (bisect) until the bad record is isolated; after
    the retries, the failed batch itself is kept in S3 under ``aws/lambda/``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        endpoints_table: dynamodb.ITable,
        catalog: AudienceCatalog,
        delivery_stream_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        stack = Stack.of(self)
        self.delivery_stream_name = delivery_stream_name
        self.delivery_role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"sts:ExternalId": stack.account}},
            ),
            description="Firehose: writes endpoint changes to the data lake as Parquet",
        )
        # "endpoint-changes" (no slash) covers the error prefix too: endpoint-changes-errors/.
        grant_objects(
            self.delivery_role,
            bucket_name=bucket_name,
            prefix=Prefixes.ENDPOINT_CHANGES.rstrip("/"),
            key=key,
            read=True,
            write=True,
            reason="Firehose writes change objects (and failed records) under endpoint-changes*.",
        )
        catalog.grant_read(self.delivery_role, TableNames.ENDPOINT_CHANGES)
        delivery_logs = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        delivery_log_stream = delivery_logs.add_stream("S3Delivery")
        delivery_logs.grant_write(self.delivery_role)

        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=delivery_stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="CUSTOMER_MANAGED_CMK", key_arn=key.key_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket_arn(self, bucket_name),
                role_arn=self.delivery_role.role_arn,
                prefix=Prefixes.ENDPOINT_CHANGES + "dt=!{timestamp:yyyy-MM-dd}/",
                error_output_prefix=(
                    Prefixes.ENDPOINT_CHANGE_ERRORS
                    + "!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
                ),
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_INTERVAL_S, size_in_m_bs=BUFFER_SIZE_MIB
                ),
                # Parquet compresses its own pages (Snappy, below).
                compression_format="UNCOMPRESSED",
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=delivery_logs.log_group_name,
                    log_stream_name=delivery_log_stream.log_stream_name,
                ),
                data_format_conversion_configuration=firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    # OpenX reads JSON objects into the Glue map columns.
                    input_format_configuration=firehose.CfnDeliveryStream.InputFormatConfigurationProperty(
                        deserializer=firehose.CfnDeliveryStream.DeserializerProperty(
                            open_x_json_ser_de=firehose.CfnDeliveryStream.OpenXJsonSerDeProperty(
                                case_insensitive=False
                            )
                        )
                    ),
                    output_format_configuration=firehose.CfnDeliveryStream.OutputFormatConfigurationProperty(
                        serializer=firehose.CfnDeliveryStream.SerializerProperty(
                            parquet_ser_de=firehose.CfnDeliveryStream.ParquetSerDeProperty(
                                compression="SNAPPY"
                            )
                        )
                    ),
                    schema_configuration=firehose.CfnDeliveryStream.SchemaConfigurationProperty(
                        catalog_id=stack.account,
                        database_name=catalog.database_name,
                        table_name=TableNames.ENDPOINT_CHANGES,
                        region=stack.region,
                        role_arn=self.delivery_role.role_arn,
                        version_id="LATEST",
                    ),
                ),
            ),
        )
        # Firehose checks its role's permissions when the stream is created.
        self.delivery_stream.node.add_dependency(self.delivery_role)

        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=CHANGE_FEED_HANDLER,
            service_name="endpoint_change_feed",
            description="Flattens endpoint table changes and puts them on Firehose",
            memory_size=512,
            timeout=Duration.minutes(2),
            extra_environment={variable("endpoint_changes_stream"): delivery_stream_name},
        )
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["firehose:PutRecordBatch", "firehose:PutRecord"],
                resources=[self.delivery_stream.attr_arn],
            )
        )
        self.function.function.add_event_source(
            event_sources.DynamoEventSource(
                endpoints_table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=500,
                max_batching_window=Duration.seconds(10),
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=10,
                # Stream records expire after 24 hours: stop retrying well before, and
                # keep the change itself (the whole batch) in S3 under aws/lambda/.
                max_record_age=Duration.hours(12),
                on_failure=StreamFailureObjects(bucket_name, key),
                # The attribute-name registry is not an endpoint: do not even invoke.
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "dynamodb": {
                                "Keys": {
                                    "Id": {
                                        "S": lambda_.FilterRule.not_equals(
                                            ATTRIBUTE_NAMES_REGISTRY_ID
                                        )
                                    }
                                }
                            }
                        }
                    )
                ],
            )
        )
