"""Glue schemas of the endpoint tables, in Hive types.

``ENDPOINT_COLUMNS`` are the columns declared in
``clarion/resources/contracts/endpoint_columns.json``, which the runtime reads too (infra
may not import the product, so both read the file).
"""

from __future__ import annotations

import json

from infra.paths import RESOURCES_DIR

ENDPOINT_COLUMNS_FILE = RESOURCES_DIR / "contracts" / "endpoint_columns.json"

ATTRIBUTE_MAP = "map<string,array<string>>"
METRIC_MAP = "map<string,double>"


def _declared_endpoint_columns() -> tuple[tuple[str, str], ...]:
    declared = json.loads(ENDPOINT_COLUMNS_FILE.read_text(encoding="utf-8"))
    return tuple((column["name"], column["type"]) for column in declared["columns"])


# (column, Hive type), in order: the Parquet column order.
ENDPOINT_COLUMNS: tuple[tuple[str, str], ...] = _declared_endpoint_columns()

# What each change record adds: the stream sequence number (zero-padded so that string
# order is numeric order), when the change happened, and whether it is a deletion.
CHANGE_METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("change_sequence", "string"),
    ("changed_at_ms", "bigint"),
    ("deleted", "boolean"),
)

ENDPOINT_CHANGE_COLUMNS = ENDPOINT_COLUMNS + CHANGE_METADATA_COLUMNS

# Presto/Trino spelling of the Hive types, for the view definitions Athena reads.
_TRINO_TYPES = {
    "string": "varchar",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    ATTRIBUTE_MAP: "map(varchar,array(varchar))",
    METRIC_MAP: "map(varchar,double)",
}


def trino_type(hive_type: str) -> str:
    """The Trino spelling of one of the Hive types above."""
    return _TRINO_TYPES[hive_type]
