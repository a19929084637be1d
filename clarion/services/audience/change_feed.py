"""The endpoint change feed: every change of the endpoints table as a row of the
``endpoint_changes`` relation, for the lake Athena reads endpoints from on AWS.

Each INSERT or MODIFY becomes the endpoint's flat row (the ``endpoints`` relation
columns) plus change metadata; each REMOVE becomes a tombstone (the id, ``deleted``
true). A change that cannot become a row, or that the feed still refuses after its
retries, is reported back by its sequence number so the stream delivers it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.audience.rows import COLUMN_NAMES, endpoint_row
from clarion.domain.common.errors import describe_without_values
from clarion.domain.common.ids import RESERVED_ID_PREFIX
from clarion.ports.audience import EndpointChangeFeed

# DynamoDB stream sequence numbers have 21 to 40 digits; padded, string order is numeric.
SEQUENCE_DIGITS = 40


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """One change of the endpoints table, as its stream reports it.

    ``endpoint_id`` is None when the record carried no table key; ``document`` is the
    new image's ``Document`` (the endpoint's Pinpoint JSON), None when it has none.
    """

    sequence_number: str
    endpoint_id: str | None
    removed: bool
    document: str | None = None
    last_active_ms: int | None = None
    changed_at_ms: int | None = None


def change_row(change: EndpointChange) -> dict[str, Any] | None:
    """The ``endpoint_changes`` row of one change, or None to skip it.

    Raises
    ------
    ValueError
        When the change carries no usable endpoint (no key, a broken ``Document``;
        pydantic's ValidationError is a ValueError too).
    """
    if change.endpoint_id is None:
        raise ValueError("stream record without the table key Id")
    endpoint_id = change.endpoint_id
    if endpoint_id.startswith(RESERVED_ID_PREFIX):
        return None
    metadata = {
        "change_sequence": change.sequence_number.zfill(SEQUENCE_DIGITS),
        "changed_at_ms": change.changed_at_ms,
    }
    if change.removed:
        tombstone: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
        return {**tombstone, "id": endpoint_id, **metadata, "deleted": True}
    if change.document is None:
        raise ValueError(f"endpoint {endpoint_id!r}: new image without Document")
    endpoint = Endpoint.model_validate(json.loads(change.document))
    row = endpoint_row(endpoint, last_active_ms=change.last_active_ms)
    # The table key is what tombstones carry: keep rows keyed the same way.
    row["id"] = endpoint_id
    return {**row, **metadata, "deleted": False}


class EndpointChangeFeedService:
    """Turns endpoint changes into rows and delivers them (module docstring).

    Parameters
    ----------
    feed
        Where the rows go (the Firehose stream on AWS).
    """

    def __init__(self, feed: EndpointChangeFeed) -> None:
        self._feed = feed

    def publish(self, changes: Sequence[EndpointChange]) -> dict[str, str]:
        """Deliver the rows of ``changes`` (in stream order); returns the changes that
        failed, by sequence number, with the reason."""
        rows: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        for change in changes:
            try:
                row = change_row(change)
            except ValueError as exc:
                failed[change.sequence_number] = f"not an endpoint: {describe_without_values(exc)}"
                continue
            if row is not None:
                rows[change.sequence_number] = row
        if rows:
            failed.update(self._feed.put_rows(rows))
        return failed
