"""Audience: Pinpoint endpoints and users, their validation and merge rules, the endpoint
row layout the segment SQL reads, and the import file formats.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    "ADDRESS_ID_NAMESPACE": "clarion.domain.audience.import_formats",
    "AttributeNameBudget": "clarion.domain.audience.endpoint",
    "COLUMN_NAMES": "clarion.domain.audience.rows",
    "ChannelType": "clarion.domain.audience.endpoint",
    "ENDPOINT_COLUMNS": "clarion.domain.audience.rows",
    "Endpoint": "clarion.domain.audience.endpoint",
    "EndpointStatus": "clarion.domain.audience.endpoint",
    "FileFormat": "clarion.domain.audience.import_formats",
    "ImportFileError": "clarion.domain.audience.import_formats",
    "MAX_ATTRIBUTE_NAMES_PER_PROJECT": "clarion.domain.audience.endpoint",
    "MAX_ENDPOINTS_PER_USER": "clarion.domain.audience.endpoint",
    "MAX_ENDPOINT_BYTES": "clarion.domain.audience.endpoint",
    "OptOut": "clarion.domain.audience.endpoint",
    "PUSH_CHANNELS": "clarion.domain.audience.endpoint",
    "ParsedRecord": "clarion.domain.audience.import_formats",
    "address_endpoint_id": "clarion.domain.audience.import_formats",
    "detect_format": "clarion.domain.audience.import_formats",
    "endpoint_document": "clarion.domain.audience.rows",
    "endpoint_row": "clarion.domain.audience.rows",
    "last_active": "clarion.domain.audience.rows",
    "merge_endpoint": "clarion.domain.audience.endpoint",
    "parse_header": "clarion.domain.audience.import_formats",
    "parse_iso8601": "clarion.domain.audience.endpoint",
    "read_records": "clarion.domain.audience.import_formats",
    "utc_now_iso": "clarion.domain.audience.endpoint",
    "validate_endpoint": "clarion.domain.audience.endpoint",
}

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
