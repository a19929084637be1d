"""The flat row an endpoint becomes in the analytics stores.

Segments compile to SQL over one relation, ``endpoints``, with these columns, on DuckDB
locally and on Athena (Parquet written by the change feed) on AWS. The columns are
declared once, in ``clarion/resources/contracts/endpoint_columns.json``, which the CDK
stacks read too: that is what lets one compiled query run on both.
"""

from __future__ import annotations

import json
from typing import Any

from clarion.domain.audience.endpoint import Endpoint, parse_iso8601
from clarion.resources import read_json

# The Trino spelling of each Hive type the contract uses: what segment SQL and the local
# tables are written against (the local adapter maps these to DuckDB and Arrow types).
_TRINO_TYPES = {
    "string": "varchar",
    "bigint": "bigint",
    "double": "double",
    "map<string,array<string>>": "map(varchar, array(varchar))",
    "map<string,double>": "map(varchar, double)",
}

# (column, Trino type), in the contract's order: the Parquet and DuckDB column order.
ENDPOINT_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (column["name"], _TRINO_TYPES[column["type"]])
    for column in read_json("contracts/endpoint_columns.json")["columns"]
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
