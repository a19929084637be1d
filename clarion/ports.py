"""The ports: what services need from the outside world.

Each Protocol here has two adapters, ``clarion.adapters.local`` (DuckDB and files) and
``clarion.adapters.aws`` (boto3), and one contract test-suite in ``tests/integration``
that both pass. Services depend on these Protocols only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from clarion.domain.endpoint import Endpoint
from clarion.domain.messages import DeliveryResult, OutboundMessage


class ProfileStore(Protocol):
    """The source of truth for endpoints: single reads, batched writes.

    Writes are upserts keyed by endpoint id. ``last_active_ms`` values, when given, are
    kept beside the endpoint for Behavior.Recency (never part of its Pinpoint JSON).
    """

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """Create or replace these endpoints (one batch; adapters chunk as they need)."""
        ...

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        """The endpoints that exist among ``endpoint_ids``, keyed by id."""
        ...

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]: ...

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        """Delete (tombstone, where history is kept) these endpoints."""
        ...

    def attribute_names(self) -> set[str]:
        """Attribute names in use (``Attributes.X``, ``User.UserAttributes.X``,
        ``Metrics.X``), for the per-project limit."""
        ...

    def record_activity(self, activity_ms: Mapping[str, int]) -> None:
        """Raise each endpoint's last-activity time (epoch ms) to at least the given one."""
        ...


class SegmentRepository(Protocol):
    """Segment definitions (Pinpoint SegmentResponse JSON, versioned) and the members of
    imported segments."""

    def save_segment(self, segment: Mapping[str, Any]) -> None:
        """Store one version of a segment (``Id`` and ``Version`` identify it)."""
        ...

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version, or the latest. Raises ``NotFoundError``."""
        ...

    def list_segments(self) -> list[dict[str, Any]]:
        """The latest version of every segment."""
        ...

    def put_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        """Add endpoint ids to an imported segment; returns how many were written."""
        ...


class AudienceQuery(Protocol):
    """Runs segment SQL (Trino dialect, as Athena speaks it) over the relations
    ``endpoints`` (latest version of each endpoint, columns in
    ``clarion.domain.endpoint_rows``) and ``imported_segment_members(segment_id,
    endpoint_id)``. The local adapter transpiles it to DuckDB."""

    def count(self, sql: str) -> int:
        """Rows of ``SELECT id FROM (...)``: the audience size."""
        ...

    def endpoint_ids(self, sql: str) -> Iterator[str]:
        """The ids the query selects (a query selecting one column, ``id``)."""
        ...


# -- messaging ---------------------------------------------------------------------------


class DeliveryChannel(Protocol):
    """Delivers messages on every channel (email, SMS, voice, push, custom).

    Adapters batch where the provider's API allows, retry throttling with backoff, and
    classify what still fails (``DeliveryStatus.PERMANENT_FAILURE`` must never be
    retried). Exactly one result per message, in any order.
    """

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]: ...
