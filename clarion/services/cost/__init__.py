"""Cost use cases: Clarion's monthly AWS cost for a workload, beside Pinpoint's price."""

from clarion.services.cost.service import PRICES_RESOURCE, CostService

__all__ = ["PRICES_RESOURCE", "CostService"]
