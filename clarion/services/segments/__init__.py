"""Segment use cases: create, version, preview and list segments, their members and SQL."""

from clarion.services.segments.service import SegmentService

__all__ = ["SegmentService"]
