"""Cost use cases: Clarion's monthly AWS cost for a workload, beside Pinpoint's price.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.cost.service import PRICES_RESOURCE, CostService

_HOMES: dict[str, str] = {
    "CostService": "clarion.services.cost.service",
    "PRICES_RESOURCE": "clarion.services.cost.service",
}

__all__ = ["PRICES_RESOURCE", "CostService"]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
