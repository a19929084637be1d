"""Sample data: the whitepaper's customer file and a churn behaviour simulator."""

from clarion_devkit.samples.churn_history import (
    EVENT_TYPES,
    EventColumns,
    Population,
    SimulationConfig,
    customer_index,
    endpoint_id,
    event_id_prefix,
    event_records,
)
from clarion_devkit.samples.customers import WHITEPAPER_HEADER, write_customers

__all__ = [
    "EVENT_TYPES",
    "WHITEPAPER_HEADER",
    "EventColumns",
    "Population",
    "SimulationConfig",
    "customer_index",
    "endpoint_id",
    "event_id_prefix",
    "event_records",
    "write_customers",
]
