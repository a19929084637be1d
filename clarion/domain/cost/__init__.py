"""Cost: the monthly AWS cost of running Clarion for a workload, itemised, beside
Amazon Pinpoint's published price for the same workload."""

from clarion.domain.cost.model import (
    DEFAULT_USAGE,
    CostEstimate,
    CostLine,
    PriceList,
    UsageProfile,
    Workload,
    estimate,
)

__all__ = [
    "DEFAULT_USAGE",
    "CostEstimate",
    "CostLine",
    "PriceList",
    "UsageProfile",
    "Workload",
    "estimate",
]
