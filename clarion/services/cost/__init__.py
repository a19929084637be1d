"""Cost use cases: Clarion's monthly AWS cost for a workload, beside Pinpoint's price.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clarion.services.cost.service import PRICES_RESOURCE, CostService

_HOMES: dict[str, str] = {
    "CostService": "clarion.services.cost.service",
    "PRICES_RESOURCE": "clarion.services.cost.service",
}

__all__ = ["PRICES_RESOURCE", "CostService"]


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
