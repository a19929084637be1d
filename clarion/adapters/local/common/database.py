"""The embedded database under CLARION_HOME: one DuckDB file shared by the local adapters.

Tables are created on first use; each adapter module declares its own DDL and registers
it here, so the schema lives beside the code that reads it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

_SCHEMAS: list[Callable[[duckdb.DuckDBPyConnection], None]] = []


def schema(create: Callable[[duckdb.DuckDBPyConnection], None]) -> Callable[..., None]:
    """Register a function that creates tables (idempotently) on a new connection."""
    _SCHEMAS.append(create)
    return create


class LocalDatabase:
    """A DuckDB database file in ``home`` (or in memory when ``home`` is None)."""

    def __init__(self, home: Path | None) -> None:
        self.home = home
        if home is not None:
            home.mkdir(parents=True, exist_ok=True)
            path = str(home / "clarion.duckdb")
        else:
            path = ":memory:"
        self._connection = duckdb.connect(path)
        self._lock = threading.RLock()
        self._writes = threading.RLock()
        self._ready: set[int] = set()

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection, with every registered schema applied."""
        with self._lock:
            for create in list(_SCHEMAS):
                if id(create) not in self._ready:
                    create(self._connection)
                    self._ready.add(id(create))
        return self._connection

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Held by bulk writers that replace stored rows and insert in one transaction
        (the profile store's batches, the columnar import), so that two threads never
        replace and insert the same ids at once."""
        with self._writes:
            yield

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for use from another thread."""
        return self.connection().cursor()

    def close(self) -> None:
        self._connection.close()

    def rewrite(self) -> None:
        """Copy the database into a new file holding only live data and put it in place
        of the old one. DuckDB leaves deleted rows' bytes in freed blocks until they are
        reused; an erase must not, so it rewrites the file (a no-op in memory)."""
        if self.home is None:
            return
        path = self.home / "clarion.duckdb"
        fresh = self.home / "clarion.duckdb.rewrite"
        with self._lock:
            fresh.unlink(missing_ok=True)
            name = self._connection.execute("SELECT current_database()").fetchone()
            assert name is not None
            self._connection.execute(f"ATTACH '{_literal(fresh)}' AS clarion_rewrite")
            try:
                self._connection.execute(f'COPY FROM DATABASE "{name[0]}" TO clarion_rewrite')
            finally:
                self._connection.execute("DETACH clarion_rewrite")
            self._connection.close()
            os.replace(fresh, path)
            (self.home / "clarion.duckdb.wal").unlink(missing_ok=True)
            self._connection = duckdb.connect(str(path))
            self._ready.clear()


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
