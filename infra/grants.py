"""Least-privilege grants with explicit actions, on resources named by ARN.

Feature stacks reach the shared bucket and tables by name (not by cross-stack
references to the objects), so their policies read ``arn:...:s3:::clarion-data-.../x/*``
and the one unavoidable wildcard per statement (objects under a prefix) is acknowledged
for cdk-nag with a finding id that does not depend on generated export names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import IConstruct

from infra.nag import acknowledge


def bucket_arn(scope: IConstruct, bucket_name: str) -> str:
    return Stack.of(scope).format_arn(
        service="s3",
        region="",
        account="",
        resource=bucket_name,
        arn_format=ArnFormat.NO_RESOURCE_NAME,
    )


def table_arn(scope: IConstruct, table_name: str) -> str:
    return Stack.of(scope).format_arn(
        service="dynamodb", resource="table", resource_name=table_name
    )


def nag_notation(scope: IConstruct, value: str) -> str:
    """``value`` as cdk-nag prints it in a finding id (``<AWS::Region>`` for a pseudo
    parameter, ``<Logical.Arn>`` for an attribute)."""
    return _render(Stack.of(scope).resolve(value))


def _render(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    if "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if "Fn::GetAtt" in resolved:
        logical_id, attribute = resolved["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    raise ValueError(f"cannot render {resolved!r} as cdk-nag does")


def grant_objects(
    grantee: iam.IRole,
    *,
    bucket_name: str,
    prefix: str,
    key: kms.IKey,
    read: bool = False,
    write: bool = False,
    delete: bool = False,
    reason: str,
) -> None:
    """Let ``grantee`` read and/or write the objects under ``prefix`` of the bucket.

    Listing is allowed on the bucket only for keys under ``prefix``. ``reason`` says why
    this role needs every object under the prefix (it becomes the cdk-nag
    acknowledgement of the ``prefix*`` resource).
    """
    if not (read or write):
        raise ValueError("grant read, write or both")
    bucket = bucket_arn(grantee, bucket_name)
    objects = f"{bucket}/{prefix}*"
    object_actions: list[str] = []
    kms_actions: list[str] = []
    if read:
        object_actions += ["s3:GetObject"]
        kms_actions += ["kms:Decrypt"]
    if write:
        object_actions += ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        # Multipart uploads decrypt the data key of the parts they assemble.
        kms_actions += ["kms:GenerateDataKey", "kms:Decrypt"]
    if delete:
        object_actions += ["s3:DeleteObject"]
    grantee.add_to_principal_policy(
        iam.PolicyStatement(actions=object_actions, resources=[objects])
    )
    grantee.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
    )
    grantee.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], resources=[bucket]
        )
    )
    key.grant(grantee, *sorted(set(kms_actions)))
    acknowledge(grantee, f"AwsSolutions-IAM5[Resource::{nag_notation(grantee, objects)}]", reason)


# DynamoDB actions by table, named after what the adapters (clarion/adapters/aws/) call
# on it, so that each role is granted the union of the calls its handler's adapters
# make and nothing else (tests/unit/test_dynamodb_grants.py reads the adapters' code
# and checks these sets against it). Scan is needed only to list definitions, DeleteItem
# only where something is deleted by key; IAM authorises each item of a
# TransactWriteItems call as its PutItem or UpdateItem, and a BatchWriteItem call as
# itself, puts and deletes alike (IAM cannot tell them apart).
ENDPOINTS_READ = ("dynamodb:BatchGetItem", "dynamodb:GetItem")
ENDPOINTS_WRITE = ("dynamodb:BatchWriteItem", "dynamodb:UpdateItem")
DEFINITIONS_READ = ("dynamodb:GetItem", "dynamodb:Query")
DEFINITIONS_LIST = ("dynamodb:Scan",)
DEFINITIONS_WRITE = ("dynamodb:PutItem",)
DEFINITIONS_DELETE = ("dynamodb:DeleteItem",)
SENDS_READ = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query")
SENDS_WRITE = ("dynamodb:UpdateItem",)
JOURNEYS_READ = ("dynamodb:BatchGetItem", "dynamodb:Query")
JOURNEYS_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem")
JOURNEYS_DELETE = ("dynamodb:DeleteItem",)
SOCIAL_READ = ("dynamodb:Query",)
SOCIAL_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem")
_WRITE_ACTIONS = frozenset(
    {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    }
)
_ITEM_ACTIONS = _WRITE_ACTIONS | {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
}


def grant_table_data(
    grantee: iam.IRole,
    *,
    table_name: str,
    key: kms.IKey,
    actions: Sequence[str],
    index_names: Sequence[str] = (),
) -> None:
    """Let ``grantee`` make exactly ``actions`` (the module's ``*_READ``, ``*_WRITE``...
    sets, joined) on the items of a table, and query its named indexes.

    Raises
    ------
    ValueError
        An action is not a DynamoDB item action (``dynamodb:*`` or a table action).
    """
    wanted = sorted(set(actions))
    unknown = [action for action in wanted if action not in _ITEM_ACTIONS]
    if unknown or not wanted:
        raise ValueError(f"not DynamoDB item actions: {unknown or 'none given'}")
    table = table_arn(grantee, table_name)
    grantee.add_to_principal_policy(iam.PolicyStatement(actions=wanted, resources=[table]))
    indexes = [f"{table}/index/{name}" for name in index_names]
    if indexes:
        # The adapters only query indexes (keys-only lookups); none scans one.
        grantee.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=indexes)
        )
    kms_actions = ["kms:Decrypt", "kms:DescribeKey"]
    if _WRITE_ACTIONS & set(wanted):
        kms_actions += ["kms:Encrypt", "kms:GenerateDataKey"]
    key.grant(grantee, *kms_actions)


def grant_query_objects(
    grantee: iam.IRole,
    *,
    bucket_name: str,
    key: kms.IKey,
    reads: Mapping[str, str],
    results_prefix: str,
    results_reason: str,
) -> None:
    """What Athena needs in the bucket to run a query with ``grantee``'s permissions:
    reading the objects under each prefix of ``reads`` (prefix → reason), then reading
    and writing the results under ``results_prefix``."""
    for prefix, reason in reads.items():
        grant_objects(
            grantee, bucket_name=bucket_name, prefix=prefix, key=key, read=True, reason=reason
        )
    grant_objects(
        grantee,
        bucket_name=bucket_name,
        prefix=results_prefix,
        key=key,
        read=True,
        write=True,
        reason=results_reason,
    )
