"""AWS segment adapters: the DynamoDB SegmentRepository and the Athena AudienceQuery."""

from clarion.adapters.aws.segments.audience_query import AthenaAudienceQuery, AthenaQueryError
from clarion.adapters.aws.segments.segment_repository import (
    DynamoDBSegmentRepository,
    definitions_table_spec,
    imported_members_prefix,
)

__all__ = [
    "AthenaAudienceQuery",
    "AthenaQueryError",
    "DynamoDBSegmentRepository",
    "definitions_table_spec",
    "imported_members_prefix",
]
