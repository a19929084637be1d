"""Cost: the monthly AWS cost of running Clarion for a workload, itemised, beside
Amazon Pinpoint's published price for the same workload.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.cost.model import (
        DEFAULT_USAGE,
        CostEstimate,
        CostLine,
        PriceList,
        UsageProfile,
        Workload,
        estimate,
    )

_HOMES: dict[str, str] = {
    "CostEstimate": "clarion.domain.cost.model",
    "CostLine": "clarion.domain.cost.model",
    "DEFAULT_USAGE": "clarion.domain.cost.model",
    "PriceList": "clarion.domain.cost.model",
    "UsageProfile": "clarion.domain.cost.model",
    "Workload": "clarion.domain.cost.model",
    "estimate": "clarion.domain.cost.model",
}

__all__ = [
    "DEFAULT_USAGE",
    "CostEstimate",
    "CostLine",
    "PriceList",
    "UsageProfile",
    "Workload",
    "estimate",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
