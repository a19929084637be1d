"""Local audience adapters: the DuckDB ProfileStore and EndpointLocator."""

from clarion.adapters.local.audience.endpoint_locator import DuckDBEndpointLocator
from clarion.adapters.local.audience.profile_store import (
    DuckDBProfileStore,
    endpoints_to_arrow,
    rows_to_arrow,
)

__all__ = ["DuckDBEndpointLocator", "DuckDBProfileStore", "endpoints_to_arrow", "rows_to_arrow"]
