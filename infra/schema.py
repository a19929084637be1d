"""Glue schemas of the endpoint tables, in Hive types.

``ENDPOINT_COLUMNS`` mirrors ``clarion.domain.endpoint_rows.ENDPOINT_COLUMNS`` (infra
may not import the product); ``tests/infra`` compares the two so they never drift.
"""

from __future__ import annotations

ATTRIBUTE_MAP = "map<string,array<string>>"
METRIC_MAP = "map<string,double>"

ENDPOINT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "string"),
    ("channel_type", "string"),
    ("address", "string"),
    ("endpoint_status", "string"),
    ("opt_out", "string"),
    ("effective_date", "string"),
    ("creation_date", "string"),
    ("user_id", "string"),
    ("cohort_id", "string"),
    ("attributes", ATTRIBUTE_MAP),
    ("user_attributes", ATTRIBUTE_MAP),
    ("metrics", METRIC_MAP),
    ("demographic_app_version", "string"),
    ("demographic_locale", "string"),
    ("demographic_make", "string"),
    ("demographic_model", "string"),
    ("demographic_model_version", "string"),
    ("demographic_platform", "string"),
    ("demographic_platform_version", "string"),
    ("demographic_timezone", "string"),
    ("location_city", "string"),
    ("location_country", "string"),
    ("location_latitude", "double"),
    ("location_longitude", "double"),
    ("location_postal_code", "string"),
    ("location_region", "string"),
    ("last_active_ms", "bigint"),
    ("document", "string"),
)

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
