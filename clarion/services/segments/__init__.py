"""Segment use cases: create, version, preview and list segments, their members and SQL.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.segments.service import SegmentService

_HOMES: dict[str, str] = {
    "SegmentService": "clarion.services.segments.service",
}

__all__ = ["SegmentService"]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
