"""The flat row an endpoint becomes in the analytics stores.

Segments compile to SQL over one relation, ``endpoints``, with these columns, on DuckDB
locally and on Athena (Parquet written by the change feed) on AWS. Keeping the column
list in one place is what lets one compiled query run on both.
"""

from __future__ import annotations

import json
from typing import Any

from clarion.domain.endpoint import Endpoint, parse_iso8601

# (column, Trino type). Order matters: it is the Parquet and DuckDB column order.
ENDPOINT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "varchar"),
    ("channel_type", "varchar"),
    ("address", "varchar"),
    ("endpoint_status", "varchar"),
    ("opt_out", "varchar"),
    ("effective_date", "varchar"),
    ("creation_date", "varchar"),
    ("user_id", "varchar"),
    ("cohort_id", "varchar"),
    ("attributes", "map(varchar, array(varchar))"),
    ("user_attributes", "map(varchar, array(varchar))"),
    ("metrics", "map(varchar, double)"),
    ("demographic_app_version", "varchar"),
    ("demographic_locale", "varchar"),
    ("demographic_make", "varchar"),
    ("demographic_model", "varchar"),
    ("demographic_model_version", "varchar"),
    ("demographic_platform", "varchar"),
    ("demographic_platform_version", "varchar"),
    ("demographic_timezone", "varchar"),
    ("location_city", "varchar"),
    ("location_country", "varchar"),
    ("location_latitude", "double"),
    ("location_longitude", "double"),
    ("location_postal_code", "varchar"),
    ("location_region", "varchar"),
    # Epoch milliseconds of the endpoint's last activity: the later of its EffectiveDate
    # and its last session or purchase event. Behavior.Recency dimensions read it.
    ("last_active_ms", "bigint"),
    ("document", "varchar"),
)

COLUMN_NAMES = tuple(name for name, _ in ENDPOINT_COLUMNS)

_DEMOGRAPHIC = (
    "app_version",
    "locale",
    "make",
    "model",
    "model_version",
    "platform",
    "platform_version",
    "timezone",
)
_LOCATION = ("city", "country", "latitude", "longitude", "postal_code", "region")


def endpoint_document(endpoint: Endpoint) -> str:
    """The stored document: ``json.dumps(endpoint.to_pinpoint())``, compact, exactly.

    pydantic's own JSON writes the same bytes (same keys, order and ``ensure_ascii``
    escaping) much faster, except for floats (Python may write them differently), DEL
    (which pydantic leaves unescaped) and lone surrogates (which it cannot write); those
    endpoints take the exact, slower way.
    """
    location = endpoint.location
    if not endpoint.metrics and (
        location is None or (location.latitude is None and location.longitude is None)
    ):
        try:
            fast = endpoint.model_dump_json(by_alias=True, exclude_none=True, ensure_ascii=True)
        except ValueError:  # lone surrogates
            fast = None
        if fast is not None and "\x7f" not in fast:
            return fast
    return json.dumps(endpoint.to_pinpoint(), separators=(",", ":"))


def last_active(endpoint: Endpoint, last_active_ms: int | None = None) -> int | None:
    """The ``last_active_ms`` column: the later of ``last_active_ms`` and the endpoint's
    EffectiveDate, in epoch milliseconds."""
    effective_ms = (
        int(parse_iso8601(endpoint.effective_date).timestamp() * 1000)
        if endpoint.effective_date
        else None
    )
    candidates = [v for v in (last_active_ms, effective_ms) if v is not None]
    return max(candidates) if candidates else None


def endpoint_row(endpoint: Endpoint, last_active_ms: int | None = None) -> dict[str, Any]:
    """Flatten an endpoint to the ``endpoints`` relation's columns."""
    demographic = endpoint.demographic
    location = endpoint.location
    row: dict[str, Any] = {
        "id": endpoint.id,
        "channel_type": endpoint.channel_type.value if endpoint.channel_type else None,
        "address": endpoint.address,
        "endpoint_status": (endpoint.endpoint_status or "ACTIVE").__str__(),
        "opt_out": (endpoint.opt_out or "NONE").__str__(),
        "effective_date": endpoint.effective_date,
        "creation_date": endpoint.creation_date,
        "user_id": endpoint.user_id,
        "cohort_id": endpoint.cohort_id,
        "attributes": dict(endpoint.attributes or {}),
        "user_attributes": dict((endpoint.user.user_attributes or {}) if endpoint.user else {}),
        "metrics": {k: float(v) for k, v in (endpoint.metrics or {}).items()},
        "last_active_ms": last_active(endpoint, last_active_ms),
        "document": endpoint_document(endpoint),
    }
    for name in _DEMOGRAPHIC:
        row[f"demographic_{name}"] = getattr(demographic, name) if demographic else None
    for name in _LOCATION:
        row[f"location_{name}"] = getattr(location, name) if location else None
    return row
