"""The shared data layer: key, bucket, tables, Glue catalog, Athena workgroup."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match

ENDPOINT_COLUMNS_JSON = (
    Path(__file__).resolve().parents[2]
    / "clarion"
    / "resources"
    / "contracts"
    / "endpoint_columns.json"
)
# Hive (Glue) → Trino spelling of the endpoint column types, as Athena's view encoding
# writes them.
TRINO_TYPES = {
    "string": "varchar",
    "double": "double",
    "bigint": "bigint",
    "map<string,array<string>>": "map(varchar,array(varchar))",
    "map<string,double>": "map(varchar,double)",
}
CHANGE_METADATA = [
    {"Name": "change_sequence", "Type": "string"},
    {"Name": "changed_at_ms", "Type": "bigint"},
    {"Name": "deleted", "Type": "boolean"},
]


def glue_table(template: dict[str, Any], name: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Glue::Table":
            table_input = resource["Properties"]["TableInput"]
            if table_input["Name"] == name:
                return table_input
    raise AssertionError(f"no Glue table {name}")


def declared_endpoint_columns() -> list[tuple[str, str]]:
    """(column, Hive type) of the endpoints relation, as the contract declares them."""
    declared = json.loads(ENDPOINT_COLUMNS_JSON.read_text(encoding="utf-8"))
    return [(column["name"], column["type"]) for column in declared["columns"]]


def expected_endpoint_columns() -> list[dict[str, str]]:
    return [{"Name": name, "Type": kind} for name, kind in declared_endpoint_columns()]


def test_the_key_rotates(synthesized: Any) -> None:
    synthesized.template("Data").has_resource_properties(
        "AWS::KMS::Key", {"EnableKeyRotation": True}
    )


def test_the_data_bucket_is_encrypted_private_versioned_logged_and_sends_events(
    synthesized: Any,
) -> None:
    synthesized.template("Data").has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": {
                "Fn::Join": [
                    "",
                    ["clarion-data-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}],
                ]
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": Match.any_value(),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": {
                "DestinationBucketName": Match.any_value(),
                "LogFilePrefix": "data-bucket/",
            },
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        },
    )


def test_the_data_bucket_lifecycle_keeps_changes_and_aborts_uploads(synthesized: Any) -> None:
    template = synthesized.templates["Data"]
    (bucket,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket"
        and "LifecycleConfiguration" in r["Properties"]
        and r["Properties"].get("VersioningConfiguration")
    ]
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    # No rule expires endpoint changes: the compaction deletes them once a snapshot holds
    # them (a rule would expire them during a long compaction failure).
    assert not [r for r in rules.values() if r.get("Prefix") == "endpoint-changes/"]
    assert rules["expire-endpoint-change-errors"]["ExpirationInDays"] == 30
    assert rules["abort-incomplete-uploads-and-old-versions"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7
    }
    snapshots = rules["archive-endpoint-snapshots"]
    assert snapshots["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    # Nor snapshots: the compaction deletes old ones, never the newest.
    assert "ExpirationInDays" not in snapshots


def test_every_prefix_with_personal_data_expires(synthesized: Any) -> None:
    """Each prefix the runtime writes people's data to has a lifecycle rule; all but the
    live imported-segment member lists expire (docs/deploy.md states the defaults)."""
    from clarion.adapters.aws.audience.personal_data_eraser import PARQUET_PREFIXES, TEXT_PREFIXES

    template = synthesized.templates["Data"]
    (bucket,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket" and r["Properties"].get("VersioningConfiguration")
    ]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry = {rule.get("Prefix"): rule.get("ExpirationInDays") for rule in rules}
    personal = set(TEXT_PREFIXES) | set(PARQUET_PREFIXES) | {"events-errors/"}
    # Endpoint changes are deleted by the compaction after a snapshot absorbed them
    # (tests/infra/test_infra_audience_stack.py), never by a lifecycle rule.
    # Snapshots likewise (the newest is always kept).
    assert not expiry.get("endpoint-changes/") and not expiry.get("endpoint-snapshot/")
    personal -= {"endpoint-changes/", "endpoint-snapshot/"}
    assert personal <= set(expiry), personal - set(expiry)
    kept = {prefix for prefix in personal if not expiry[prefix]}
    assert kept == {"imported-segments/"}
    assert expiry["dead-letters/"] == 30 and expiry["events/"] == 395
    assert expiry["exports/"] == 7 and expiry["imports/"] == 30


def test_every_bucket_refuses_plain_http(synthesized: Any) -> None:
    template = synthesized.templates["Data"]
    buckets = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    denied = {
        policy["Properties"]["Bucket"]["Ref"]
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }
    assert denied == set(buckets)


def test_the_endpoints_table(synthesized: Any) -> None:
    synthesized.template("Data").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "clarion-endpoints",
            "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": Match.any_value(),
            },
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "UserIdIndex",
                    "KeySchema": [{"AttributeName": "UserId", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "AddressIndex",
                    "KeySchema": [{"AttributeName": "ChannelAddress", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
                {
                    "IndexName": "SocialHandleIndex",
                    "KeySchema": [{"AttributeName": "SocialHandle", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        },
    )


def test_the_definitions_table(synthesized: Any) -> None:
    synthesized.template("Data").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "clarion-definitions",
            "KeySchema": [
                {"AttributeName": "Pk", "KeyType": "HASH"},
                {"AttributeName": "Sk", "KeyType": "RANGE"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": Match.object_like({"SSEType": "KMS"}),
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "StreamSpecification": Match.absent(),
        },
    )


def test_endpoint_changes_columns_are_the_endpoint_columns_plus_change_metadata(
    synthesized: Any,
) -> None:
    table = glue_table(synthesized.templates["Data"], "endpoint_changes")

    assert table["StorageDescriptor"]["Columns"] == expected_endpoint_columns() + CHANGE_METADATA
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.dt.type"] == "date"
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_the_snapshot_table_has_the_change_columns_and_a_snapshot_partition(
    synthesized: Any,
) -> None:
    table = glue_table(synthesized.templates["Data"], "endpoint_snapshot")

    assert table["StorageDescriptor"]["Columns"] == expected_endpoint_columns() + CHANGE_METADATA
    assert table["PartitionKeys"] == [{"Name": "snapshot_ms", "Type": "bigint"}]


def test_imported_segment_members_is_csv_with_an_injected_segment_partition(
    synthesized: Any,
) -> None:
    table = glue_table(synthesized.templates["Data"], "imported_segment_members")

    assert table["StorageDescriptor"]["Columns"] == [{"Name": "endpoint_id", "Type": "string"}]
    assert table["PartitionKeys"] == [{"Name": "segment_id", "Type": "string"}]
    assert table["Parameters"]["projection.segment_id.type"] == "injected"
    template_parts = table["Parameters"]["storage.location.template"]["Fn::Join"][1]
    assert template_parts[-1] == "/imported-segments/segment_id=${segment_id}/"


def decoded_view(table_input: dict[str, Any]) -> dict[str, Any]:
    text = table_input["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    return json.loads(base64.b64decode(text.removeprefix("/* Presto View: ").removesuffix(" */")))


def test_the_endpoints_view_exposes_exactly_the_endpoint_columns(synthesized: Any) -> None:
    view = glue_table(synthesized.templates["Data"], "endpoints")
    document = decoded_view(view)

    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["StorageDescriptor"]["Columns"] == expected_endpoint_columns()
    assert [(c["name"], c["type"]) for c in document["columns"]] == [
        (name, TRINO_TYPES[kind]) for name, kind in declared_endpoint_columns()
    ]
    assert document["schema"] == "clarion"
    assert "FROM endpoint_latest" in document["originalSql"]


def test_the_workgroup_enforces_encrypted_results_and_a_scan_limit(synthesized: Any) -> None:
    synthesized.template("Data").has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "Name": "clarion",
            "WorkGroupConfiguration": {
                "EnforceWorkGroupConfiguration": True,
                "PublishCloudWatchMetricsEnabled": True,
                "BytesScannedCutoffPerQuery": 100 * 1024**3,
                "ResultConfiguration": {
                    "OutputLocation": Match.any_value(),
                    "EncryptionConfiguration": {
                        "EncryptionOption": "SSE_KMS",
                        "KmsKey": Match.any_value(),
                    },
                },
                "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
            },
        },
    )


def test_outputs_name_what_the_cli_needs(synthesized: Any) -> None:
    outputs = synthesized.templates["Data"]["Outputs"]
    assert {
        "EndpointsTable",
        "DefinitionsTable",
        "DataBucket",
        "GlueDatabase",
        "AthenaWorkgroup",
    } <= set(outputs)
    assert outputs["GlueDatabase"]["Value"] == "clarion"
