"""The local EndpointLocator: endpoints by (channel, address) in the endpoints table."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from clarion.adapters.local.audience import profile_store as _profiles  # noqa: F401  (creates `endpoints`)
from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.audience.endpoint import ChannelType


class DuckDBEndpointLocator:
    """EndpointLocator on the local ``endpoints`` table (by channel and address)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def endpoint_ids_by_address(
        self, addresses: Sequence[tuple[ChannelType, str]]
    ) -> dict[tuple[ChannelType, str], list[str]]:
        if not addresses:
            return {}
        table = pa.table(
            {
                "channel_type": [str(channel) for channel, _ in addresses],
                "address": [address for _, address in addresses],
            }
        )
        cursor = self._database.cursor()
        cursor.register("wanted_addresses", table)
        try:
            rows = cursor.execute(
                "SELECT DISTINCT w.channel_type, w.address, e.id FROM wanted_addresses w "
                "JOIN endpoints e ON e.channel_type = w.channel_type AND e.address = w.address "
                "ORDER BY e.id"
            ).fetchall()
        finally:
            cursor.unregister("wanted_addresses")
        found: dict[tuple[ChannelType, str], list[str]] = {}
        for channel, address, endpoint_id in rows:
            found.setdefault((ChannelType(channel), address), []).append(endpoint_id)
        return found
