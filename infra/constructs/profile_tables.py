"""The DynamoDB tables: endpoints (the source of truth for profiles) and definitions."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

USER_ID_INDEX = "UserIdIndex"
# "<ChannelType>#<Address>" → endpoint ids: delivery events without an endpoint id (a
# bounce, an SMS opt-out keyword) find their endpoints through it.
ADDRESS_INDEX = "AddressIndex"
# "<handle attribute>#<handle>" → endpoint ids: the sentiment function matches a post's
# author with one Query (clarion.adapters.aws.sentiment.social_store.DynamoDBHandleLookup).
SOCIAL_HANDLE_INDEX = "SocialHandleIndex"
SOCIAL_HANDLE_ATTRIBUTE = "SocialHandle"
# Item of the endpoints table that holds the attribute names in use, not an endpoint:
# the change feed must not turn it into a row.
ATTRIBUTE_NAMES_REGISTRY_ID = "#clarion/attribute-names"


class ProfileTables(Construct):
    """``endpoints`` (key ``Id``, indexes on ``UserId``, ``ChannelAddress`` and
    ``SocialHandle``, streamed)
    and ``definitions`` (segments, templates, campaigns: key ``Pk``/``Sk``).

    Both are on-demand, encrypted with the customer-managed ``key`` and have
    point-in-time recovery.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        endpoints_table_name: str,
        definitions_table_name: str,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        protections: dict[str, Any] = {
            "billing_mode": dynamodb.BillingMode.PAY_PER_REQUEST,
            "encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED,
            "encryption_key": key,
            "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            "deletion_protection": deletion_protection,
            "removal_policy": RemovalPolicy.RETAIN,
        }
        self.endpoints = dynamodb.Table(
            self,
            "Endpoints",
            table_name=endpoints_table_name,
            partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.STRING),
            # Both images: the change feed needs the new one, and REMOVE records carry
            # only the old one.
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            **protections,
        )
        self.endpoints.add_global_secondary_index(
            index_name=USER_ID_INDEX,
            partition_key=dynamodb.Attribute(name="UserId", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Only the keys: a lookup needs the endpoint ids, then reads the items it changes.
        self.endpoints.add_global_secondary_index(
            index_name=ADDRESS_INDEX,
            partition_key=dynamodb.Attribute(
                name="ChannelAddress", type=dynamodb.AttributeType.STRING
            ),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        # Likewise keys only: the handle lookup reads just the endpoint ids, then the
        # sentiment service reads the endpoints it changes. Sparse: the profile store
        # writes the attribute only for endpoints whose user has a handle.
        self.endpoints.add_global_secondary_index(
            index_name=SOCIAL_HANDLE_INDEX,
            partition_key=dynamodb.Attribute(
                name=SOCIAL_HANDLE_ATTRIBUTE, type=dynamodb.AttributeType.STRING
            ),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.definitions = dynamodb.Table(
            self,
            "Definitions",
            table_name=definitions_table_name,
            partition_key=dynamodb.Attribute(name="Pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="Sk", type=dynamodb.AttributeType.STRING),
            **protections,
        )
