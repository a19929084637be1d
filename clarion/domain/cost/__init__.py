"""Cost: the monthly AWS cost of running Clarion for a workload, itemised, beside
Amazon Pinpoint's published price for the same workload.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        try:  # a submodule, as an eager package would have it as an attribute
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
