"""The local PersonalDataEraser: the person taken out of every table of the project's
DuckDB database and every file under its home, then the database file rewritten.

Why the home is scanned rather than a list of known stores: the promise is that no byte
of the person remains under the home, whatever feature wrote it (the outbox, dead
letters, event-stream files, churn files, reports, import files kept beside the data).
A list of stores would silently miss the next feature's files; the scan cannot.

- Tables: a row is the person's when any of its values holds them (an id standing
  alone, an address anywhere). The ``events`` table keeps its rows for the campaign
  metrics, with the person replaced by the erase token; in every other table a row
  whose key columns name the person is deleted, and any other row that mentions them is
  kept with the mention scrubbed.
- Files: an email in the outbox (``.eml``), or a file whose name holds the person, is
  deleted; line files (JSON lines, CSV, text) lose the person's lines; JSON documents
  are scrubbed in place; Parquet files are rewritten without the person's rows; any
  other file that holds them is deleted.
- DuckDB does not overwrite freed blocks, so once the rows are gone (the profile
  store's too: ``compact`` runs last) the database is copied into a new file that holds
  only live data, and the old file replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.audience.erasure import ErasedItem, ErasureSubject

__all__ = ["LocalPersonalDataEraser"]

# The profile store's own table: the erasure service deletes through the profile store.
_PROFILE_TABLES = frozenset({"endpoints"})
# Tables whose rows stay (their counts feed analytics), with the person tokenised.
_KEPT_TABLES = frozenset({"events"})
# Columns that say whose a row is: a row whose value here holds the person is theirs.
_OWNER_COLUMNS = frozenset(
    {"id", "endpoint_id", "user_id", "endpoint_ids", "address", "author_key", "handle"}
)
_LINE_SUFFIXES = frozenset({".jsonl", ".ndjson", ".csv", ".tsv", ".txt", ".log", ".delivered"})
_DELETED_SUFFIXES = frozenset({".eml"})
_DATABASE_FILES = ("clarion.duckdb", "clarion.duckdb.wal")
_HIT_FUNCTION = "clarion_erasure_hit"


class LocalPersonalDataEraser:
    """PersonalDataEraser over ``database`` and the files under ``home`` (module
    docstring). ``skip`` names folders under the home that belong to someone else (the
    other projects' homes, under the default project's)."""

    def __init__(self, database: LocalDatabase, home: Path, *, skip: tuple[str, ...] = ()) -> None:
        self._database = database
        self._home = home
        self._skip = skip

    def erase(self, subject: ErasureSubject, token: str) -> list[ErasedItem]:
        if subject.empty:
            return []
        items = self._erase_tables(subject, token)
        items.extend(self._erase_files(subject, token))
        return [item for item in items if item.count]

    def compact(self) -> None:
        self._database.rewrite()

    # -- the database --------------------------------------------------------------------

    def _erase_tables(self, subject: ErasureSubject, token: str) -> list[ErasedItem]:
        connection = self._database.connection()
        pattern = subject.pattern()
        with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
            connection.remove_function(_HIT_FUNCTION)
        connection.create_function(
            _HIT_FUNCTION,
            lambda text: text is not None and bool(pattern.search(text)),
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("BOOLEAN"),
            side_effects=False,
        )
        items: list[ErasedItem] = []
        try:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = "
                    "current_database() AND schema_name = 'main' ORDER BY table_name"
                ).fetchall()
            ]
            for table in tables:
                items.extend(self._erase_table(connection, table, subject, token))
        finally:
            connection.remove_function(_HIT_FUNCTION)
        return items

    def _erase_table(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: str,
        subject: ErasureSubject,
        token: str,
    ) -> list[ErasedItem]:
        quoted = _quote(table)
        if table in _PROFILE_TABLES:
            return []
        found = connection.sql(
            f"SELECT rowid AS __rowid, * FROM {quoted} AS t "
            f"WHERE {_HIT_FUNCTION}(CAST(t AS VARCHAR))"
        ).to_arrow_table()
        if found.num_rows == 0:
            return []
        rows = found.to_pylist()
        owned = {
            row["__rowid"]
            for row in rows
            if table not in _KEPT_TABLES
            and any(_holds(subject, row.get(column)) for column in _OWNER_COLUMNS)
        }
        kept = [row for row in rows if row["__rowid"] not in owned]
        connection.execute("BEGIN TRANSACTION")
        try:
            ids = [row["__rowid"] for row in rows]
            connection.execute(f"DELETE FROM {quoted} WHERE rowid IN (SELECT unnest(?))", [ids])
            if kept:
                schema = found.schema.remove(found.schema.get_field_index("__rowid"))
                scrubbed = pa.Table.from_pylist(
                    [
                        {
                            k: _scrub_cell(subject, v, token)
                            for k, v in row.items()
                            if k != "__rowid"
                        }
                        for row in kept
                    ],
                    schema=schema,
                )
                connection.register("__erasure_rows", scrubbed)
                try:
                    connection.execute(f"INSERT INTO {quoted} SELECT * FROM __erasure_rows")
                finally:
                    connection.unregister("__erasure_rows")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        items = []
        if owned:
            items.append(ErasedItem("database", table, "deleted", len(owned)))
        if kept:
            items.append(ErasedItem("database", table, "rewritten", len(kept)))
        return items

    # -- files ---------------------------------------------------------------------------

    def _files(self) -> Iterator[Path]:
        skipped = {self._home / name for name in self._skip}
        database = {self._home / name for name in _DATABASE_FILES}
        for folder, names, files in os.walk(self._home):
            here = Path(folder)
            names[:] = sorted(n for n in names if here / n not in skipped)
            for name in sorted(files):
                path = here / name
                if path not in database and not path.is_symlink():
                    yield path

    def _erase_files(self, subject: ErasureSubject, token: str) -> list[ErasedItem]:
        needles = [value.encode() for value in subject.values]
        items: list[ErasedItem] = []
        for path in self._files():
            relative = path.relative_to(self._home).as_posix()
            if subject.matches(relative) or path.suffix in _DELETED_SUFFIXES:
                if subject.matches(relative) or _file_holds(path, needles, subject):
                    path.unlink()
                    items.append(ErasedItem("files", relative, "deleted", 1))
                continue
            if not _file_holds(path, needles, subject):
                continue
            items.append(_erase_file(path, relative, subject, token))
        return items


def _file_holds(path: Path, needles: list[bytes], subject: ErasureSubject) -> bool:
    data = path.read_bytes()
    if not any(needle in data for needle in needles):
        return False
    # The bytes are there; for text, only a real match (an id standing alone) counts.
    try:
        return subject.matches(data.decode("utf-8"))
    except UnicodeDecodeError:
        return True


def _erase_file(path: Path, relative: str, subject: ErasureSubject, token: str) -> ErasedItem:
    if path.suffix == ".parquet":
        return _erase_parquet(path, relative, subject)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        path.unlink()
        return ErasedItem("files", relative, "deleted", 1)
    if path.suffix in _LINE_SUFFIXES:
        lines = text.splitlines(keepends=True)
        remaining = [line for line in lines if not subject.matches(line)]
        _replace(path, "".join(remaining))
        return ErasedItem("files", relative, "rewritten", len(lines) - len(remaining))
    if path.suffix == ".json":
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            document = None
        if document is not None:
            _replace(path, json.dumps(subject.scrub(document, token), indent=2) + "\n")
            return ErasedItem("files", relative, "rewritten", 1)
    _replace(path, subject.scrub_text(text, token))
    return ErasedItem("files", relative, "rewritten", 1)


def _erase_parquet(path: Path, relative: str, subject: ErasureSubject) -> ErasedItem:
    pattern = subject.pattern()
    connection = duckdb.connect()
    try:
        connection.create_function(
            _HIT_FUNCTION,
            lambda text: text is not None and bool(pattern.search(text)),
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("BOOLEAN"),
            side_effects=False,
        )
        source = str(path).replace("'", "''")
        table = connection.sql(f"SELECT * FROM read_parquet('{source}') AS t").to_arrow_table()
        kept = connection.sql(
            f"SELECT * FROM read_parquet('{source}') AS t "
            f"WHERE NOT {_HIT_FUNCTION}(CAST(t AS VARCHAR))"
        ).to_arrow_table()
    finally:
        connection.close()
    import pyarrow.parquet as pq

    partial = path.with_name(path.name + ".erasing")
    pq.write_table(kept, partial)
    os.replace(partial, path)
    return ErasedItem("files", relative, "rewritten", table.num_rows - kept.num_rows)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` over ``path`` through a new file (the old bytes are not reused)."""
    partial = path.with_name(path.name + ".erasing")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _holds(subject: ErasureSubject, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return subject.matches(value)
    if isinstance(value, dict):
        return any(_holds(subject, v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds(subject, v) for v in value)
    return False


def _scrub_cell(subject: ErasureSubject, value: Any, token: str) -> Any:
    """One value of an Arrow row scrubbed: strings (JSON text scrubbed as JSON), structs
    field by field, map entries (key, value pairs) whose key is the person's dropped,
    list items that hold the person dropped."""
    if isinstance(value, str):
        stripped = value.lstrip()
        if stripped[:1] in ("{", "[") and subject.matches(value):
            try:
                return json.dumps(subject.scrub(json.loads(value), token))
            except (ValueError, RecursionError):
                pass
        return subject.scrub_text(value, token)
    if isinstance(value, dict):
        return {k: _scrub_cell(subject, v, token) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return [
                (k, _scrub_cell(subject, v, token))
                for k, v in value
                if not (isinstance(k, str) and subject.matches(k))
            ]
        return [_scrub_cell(subject, v, token) for v in value if not _holds(subject, v)]
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
