"""What the local adapters share: the embedded DuckDB database and versioned documents."""

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.adapters.local.common.documents import VersionedDocuments, create_versions_table, dumps

__all__ = ["LocalDatabase", "VersionedDocuments", "create_versions_table", "dumps", "schema"]
