"""Local messaging adapters: the outbox DeliveryChannel (real MIME files) and the DuckDB
SendLedger."""

from clarion.adapters.local.messaging.delivery_channel import OutboxChannel
from clarion.adapters.local.messaging.send_ledger import DuckDBSendLedger

__all__ = ["DuckDBSendLedger", "OutboxChannel"]
