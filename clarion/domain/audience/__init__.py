"""Audience: Pinpoint endpoints and users, their validation and merge rules, the endpoint
row layout the segment SQL reads, and the import file formats."""

from clarion.domain.audience.endpoint import (
    MAX_ATTRIBUTE_NAMES_PER_PROJECT,
    MAX_ENDPOINT_BYTES,
    MAX_ENDPOINTS_PER_USER,
    PUSH_CHANNELS,
    AttributeNameBudget,
    ChannelType,
    Endpoint,
    EndpointStatus,
    OptOut,
    merge_endpoint,
    parse_iso8601,
    utc_now_iso,
    validate_endpoint,
)
from clarion.domain.audience.import_formats import (
    ADDRESS_ID_NAMESPACE,
    FileFormat,
    ImportFileError,
    ParsedRecord,
    address_endpoint_id,
    detect_format,
    parse_header,
    read_records,
)
from clarion.domain.audience.rows import (
    COLUMN_NAMES,
    ENDPOINT_COLUMNS,
    endpoint_document,
    endpoint_row,
    last_active,
)

__all__ = [
    "ADDRESS_ID_NAMESPACE",
    "COLUMN_NAMES",
    "ENDPOINT_COLUMNS",
    "MAX_ATTRIBUTE_NAMES_PER_PROJECT",
    "MAX_ENDPOINTS_PER_USER",
    "MAX_ENDPOINT_BYTES",
    "PUSH_CHANNELS",
    "AttributeNameBudget",
    "ChannelType",
    "Endpoint",
    "EndpointStatus",
    "FileFormat",
    "ImportFileError",
    "OptOut",
    "ParsedRecord",
    "address_endpoint_id",
    "detect_format",
    "endpoint_document",
    "endpoint_row",
    "last_active",
    "merge_endpoint",
    "parse_header",
    "parse_iso8601",
    "read_records",
    "utc_now_iso",
    "validate_endpoint",
]
