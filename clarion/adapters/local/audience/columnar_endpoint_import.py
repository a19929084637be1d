"""CSV endpoint imports as columns: the local ColumnarEndpointImport.

The per-row importer (:class:`clarion.services.audience.EndpointImportService`) builds a
pydantic endpoint, a merge and a document for every row: about 6,000 rows a second. This
adapter does the same work a block of the file at a time, as columns:

1. the block is cut at a line end and parsed by pyarrow's CSV reader (every cell a
   string), with each row's physical line number worked out from the lines pyarrow
   could not take (ragged rows, which go to the per-row importer as they are);
2. one DuckDB statement keys the rows (``Id``, or the uuid5 of ``ChannelType:Address``
   that :func:`~clarion.domain.audience.address_endpoint_id` gives), joins the stored
   endpoints, merges each row onto its stored endpoint the way UpdateEndpoint does, and
   builds the relation's columns and the stored document (``json_merge_patch`` onto the
   stored one);
3. the same statement decides, per row, whether the row is *plainly valid*: every value
   passes a check at least as strict as the domain's rule (email domains, time zones
   and dates are checked once per distinct value, by the domain's own functions), the
   endpoint id appears once in the block, the row's user cannot be near Pinpoint's
   15-endpoint limit, and the document is far from 15 KB;
4. plainly valid rows are written in one transaction; every other row is *deferred*:
   handed back, with its line and cells, to the per-row importer, which gives it exactly
   the outcome (and the rejections) it always did.

So the per-row importer stays the reference: a row this adapter writes is one the
reference would have accepted with the same result, and a row it doubts costs only
speed. The differential test (tests/unit/test_columnar_import_differential.py) runs both
on random files, valid and broken, and requires identical results.

A block that is not simple CSV (a value with a line break, a quote the reference parser
would read differently, a lone carriage return, a NUL, bytes that are not UTF-8) ends
the columnar reading: from that block on the file goes to the per-row importer, read by
the reference parser. Memory stays flat: one block (``block_bytes``) of cells at a time.

Written here rather than with a library because no CSV or Arrow library knows
Pinpoint's import rules; pyarrow and DuckDB do the heavy lifting.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from clarion.adapters.local.audience.import_columns import (
    LOCATION_RANGES,
    NEEDS_ESCAPING,
    OPT_OUTS,
    STATUSES,
    Cells,
    Layout,
    address_ok,
    checked_by,
    document_bound,
    document_sql,
    duplicated,
    endpoint_keys,
    group_map,
    in_values,
    metric_map,
    number_in_range,
    relation_sql,
    values_short,
)
from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.audience.endpoint import (
    MAX_ENDPOINT_BYTES,
    MAX_ENDPOINTS_PER_USER,
    parse_iso8601,
    time_zones,
    valid_email_domain,
)
from clarion.domain.audience.import_formats import (
    FileFormat,
    ImportFileError,
    ParsedRecord,
    address_endpoint_id,
    csv_row_to_endpoint,
    csv_rows_from,
    parse_header,
    records_of,
)
from clarion.domain.audience.rows import COLUMN_NAMES
from clarion.domain.common.ids import MAX_ID_BYTES, RESERVED_ID_PREFIXES
from clarion.ports.audience import ImportChunk

DEFAULT_BLOCK_BYTES = 16 << 20

# A line the reference parser (Python's csv module, strict=False) reads as one whole
# record: each field empty, unquoted (no quote at its start), or quoted with its quotes
# doubled and closed, then possibly unquoted text. pyarrow reads such lines the same way.
_WHOLE_LINE = (
    r'^(?:"(?:[^"]|"")*"(?:[^",][^,]*)?|[^",][^,]*|)'
    r'(?:,(?:"(?:[^"]|"")*"(?:[^",][^,]*)?|[^",][^,]*|))*$'
)
# How much longer Python's ensure_ascii JSON of a document may be than its UTF-8 JSON
# here (values needing escapes are deferred): 3 characters a byte at most, for the
# \uXXXX escapes of non-ASCII characters; and a float may be written a little longer.
_JSON_GROWTH = 3
_FLOAT_SLACK = 16


# -- reading the file in blocks -------------------------------------------------------


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``stream``: the file again, for the reference parser."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(target), len(self._head))
            target[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(target))
        target[: len(data)] = data
        return len(data)


class _Blocks:
    """The file in blocks of whole lines."""

    def __init__(self, stream: IO[bytes], block_bytes: int) -> None:
        self._stream = stream
        self._block_bytes = block_bytes
        self._pending = b""
        self._done = False

    def _fill(self, wanted: int) -> None:
        while not self._done and len(self._pending) < wanted:
            data = self._stream.read(max(wanted - len(self._pending), 1 << 16))
            if not data:
                self._done = True
            else:
                self._pending += data

    def first_line(self) -> bytes:
        """The first line (with its line break), left in place."""
        size = 1 << 16
        while True:
            self._fill(size)
            end = self._pending.find(b"\n")
            if end >= 0:
                return self._pending[: end + 1]
            if self._done:
                return self._pending
            size *= 2

    def skip(self, size: int) -> None:
        self._pending = self._pending[size:]

    def next_block(self) -> bytes | None:
        """The next run of whole lines, about ``block_bytes`` long (the last of the file
        may lack its line break), or None when nothing is left."""
        size = self._block_bytes
        self._fill(size)
        while not self._done and b"\n" not in self._pending:  # a line longer than a block
            self._fill(len(self._pending) * 2)
        if not self._pending:
            return None
        cut = self._pending.rfind(b"\n", 0, size) + 1 or self._pending.find(b"\n") + 1
        if cut == 0 or (self._done and len(self._pending) <= size):
            cut = len(self._pending)
        block, self._pending = self._pending[:cut], self._pending[cut:]
        return block

    def rest(self, block: bytes) -> IO[bytes]:
        """``block`` and everything after it, as a stream."""
        head = block + self._pending
        self._pending = b""
        return io.BufferedReader(_Prefixed(head, self._stream), buffer_size=1 << 16)


@dataclass
class _Block:
    """One parsed block: its cells (``c0``...) and lines, and the rows pyarrow did not
    take (left to the per-row importer)."""

    cells: pa.Table
    lines: int
    deferred: list[ParsedRecord]


def _line_starts(block: bytes) -> np.ndarray:
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A)
    starts = np.concatenate(([0], ends + 1))
    if starts[-1] == len(block):
        starts = starts[:-1]
    return starts


def _simple(block: bytes, starts: np.ndarray) -> pa.Array | None:
    """The block's lines (without line breaks) when every one is a whole record both
    parsers read alike; None otherwise."""
    if b"\x00" in block:
        return None
    returns = block.count(b"\r")
    if returns and returns != block.count(b"\r\n"):
        return None
    offsets = np.concatenate((starts, [len(block)])).astype(np.int32)
    lines = pa.BinaryArray.from_buffers(
        pa.binary(), len(starts), [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(block)]
    )
    try:
        text = lines.cast(pa.string())
    except pa.ArrowInvalid:
        return None  # not UTF-8
    stripped = pc.utf8_rtrim(text, characters="\r\n")
    quoted = pc.filter(stripped, pc.match_substring(stripped, '"'))
    if len(quoted) and not pc.all(pc.match_substring_regex(quoted, _WHOLE_LINE)).as_py():
        return None
    return stripped


def _parse_block(block: bytes, layout: Layout, first_line: int) -> _Block | None:
    """The block as cells, or None when it is not simple CSV (see the module docstring)."""
    starts = _line_starts(block)
    lines = _simple(block, starts)
    if lines is None:
        return None
    names = [f"c{i}" for i in range(layout.width)]
    refused: list[tuple[int, str]] = []

    def take(row: Any) -> str:
        refused.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=len(block) + 1
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=False, ignore_empty_lines=False, invalid_row_handler=take
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None  # a line pyarrow cannot read: the reference decides
    refused_lines = {number for number, _ in refused if number is not None}
    if len(refused_lines) != len(refused) or table.num_rows + len(refused) != len(starts):
        return None
    taken = np.setdiff1d(np.arange(1, len(starts) + 1), np.fromiter(refused_lines, dtype=np.int64))
    escapes = pc.match_substring_regex(lines, NEEDS_ESCAPING).to_numpy(zero_copy_only=False)
    table = table.append_column("line", pa.array(taken + (first_line - 1), type=pa.int64()))
    table = table.append_column("escapes", pa.array(escapes[taken - 1]))
    deferred = []
    for number, text in refused:
        cells = next(csv.reader([text], strict=False), [])
        if cells and any(cells):
            deferred.append(csv_row_to_endpoint(layout.columns, cells, first_line + number - 1))
    return _Block(table, len(starts), deferred)


# -- the adapter ----------------------------------------------------------------------


class DuckDBColumnarEndpointImport:
    """ColumnarEndpointImport on the embedded database (module docstring).

    Parameters
    ----------
    database
        The database whose ``endpoints`` table is imported into.
    block_bytes
        Bytes of the file read, parsed and written at a time.
    profiles
        The profile store writing the same table, told when this import wrote to it
        (it keeps the attribute names in use for a moment).
    """

    def __init__(
        self,
        database: LocalDatabase,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
        profiles: DuckDBProfileStore | None = None,
    ) -> None:
        self._database = database
        self._block_bytes = block_bytes
        self._profiles = profiles

    def import_csv(
        self,
        source: IO[bytes],
        *,
        now: str,
        accepts: Callable[[Sequence[str]], bool],
        batch_size: int,
    ) -> Iterator[ImportChunk]:
        blocks = _Blocks(source, self._block_bytes)
        header = blocks.first_line()
        layout = _header_layout(header)
        if layout is None:
            # Whatever is unusual about the header, the reference reads it (or refuses
            # the file, now, before any chunk).
            return _deferred(records_of(FileFormat.CSV, blocks.rest(b"")), batch_size)
        blocks.skip(len(header))
        if not accepts([column.header for column in layout.columns]):
            return _deferred(csv_rows_from(blocks.rest(b""), layout.columns, 2), batch_size)
        return self._chunks(blocks, layout, now, batch_size)

    def _chunks(
        self, blocks: _Blocks, layout: Layout, now: str, batch_size: int
    ) -> Iterator[ImportChunk]:
        session = _Session(self._database, layout, now)
        line = 2
        try:
            while (block := blocks.next_block()) is not None:
                parsed = _parse_block(block, layout, line)
                if parsed is None:
                    rest = blocks.rest(block)
                    yield from _deferred(csv_rows_from(rest, layout.columns, line), batch_size)
                    return
                chunk = session.write(parsed)
                if chunk.written_ids and self._profiles is not None:
                    self._profiles.forget_attribute_names()
                yield chunk
                line += parsed.lines
        finally:
            session.close()


def _header_layout(header: bytes) -> Layout | None:
    """The header's layout, or None when the reference should read the header itself."""
    text = header.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if not text or b"\r" in text or b"\x00" in text:
        return None
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if '"' in decoded and not pc.match_substring_regex(pa.array([decoded]), _WHOLE_LINE)[0].as_py():
        return None
    try:
        cells = next(csv.reader([decoded], strict=False), [])
        columns = parse_header(cells)
    except (ImportFileError, csv.Error):  # a header cell over csv's field limit too
        return None
    return Layout.of(columns)


def _deferred(records: Iterable[ParsedRecord], size: int) -> Iterator[ImportChunk]:
    batch: list[ParsedRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield ImportChunk(deferred=batch)
            batch = []
    if batch:
        yield ImportChunk(deferred=batch)


class _Session:
    """One import's cursor, the statements it runs, and the dates it has checked."""

    def __init__(self, database: LocalDatabase, layout: Layout, now: str) -> None:
        self._database = database
        self.layout = layout
        self.now = now
        self.zones = time_zones()
        self._dates: dict[str, int | None] = {now: _epoch_ms(now)}
        self._cursor = database.cursor()
        self._cursor.execute(
            "CREATE OR REPLACE TEMP TABLE import_existing AS "
            "SELECT 0::BIGINT AS pos, * FROM endpoints LIMIT 0"
        )
        self._insert_sql = "INSERT INTO endpoints " + relation_sql(layout, COLUMN_NAMES)
        self._merged_sql = (
            "SELECT r.pos, json_merge_patch(e.document, "
            f"{document_sql(layout)})::VARCHAR AS document FROM import_rows r "
            "JOIN import_existing e ON e.id = r.key WHERE r.candidate"
        )

    def close(self) -> None:
        self._cursor.execute("DROP TABLE IF EXISTS import_existing")
        self._cursor.close()

    def write(self, block: _Block) -> ImportChunk:
        """Write the block's plain rows; the chunk says what was written and deferred."""
        table = block.cells
        cells = Cells(table, self.layout)
        if cells.blank.any():
            table = table.filter(pa.array(~cells.blank))
            cells = Cells(table, self.layout)
        deferred = list(block.deferred)
        imported = updated = 0
        written: list[str] = []
        if cells.rows:
            rows = _Rows(self, cells, table.column("escapes").to_numpy())
            frame = table.select([f"c{i}" for i in range(self.layout.width)]).append_column(
                "key", rows.keys
            )
            for name, column in rows.maps().items():
                frame = frame.append_column(name, column)
            frame = frame.append_column("effective_ms", self.date_ms(rows.effective))
            frame = frame.append_column("pos", pa.array(np.arange(cells.rows)))
            plain = rows.plain(frame)
            if block.deferred:
                # A line the reference parses may name an endpoint a plain row of the
                # block names too; the plain row would be written before it, out of line
                # order, so every row of such an endpoint goes to the reference.
                held = pa.array(sorted(_endpoint_ids_named(block.deferred)), pa.string())
                plain &= ~pc.fill_null(pc.is_in(rows.keys, value_set=held), False).to_numpy(
                    zero_copy_only=False
                )
            frame = frame.append_column("plain", pa.array(plain))
            if plain.any():
                self._insert(frame)
            stored = rows.stored
            imported, updated = int((plain & ~stored).sum()), int((plain & stored).sum())
            written = pc.filter(rows.keys, pa.array(plain)).to_pylist()
            deferred.extend(self._doubtful(table, ~plain))
        deferred.sort(key=_line)
        return ImportChunk(imported, updated, written, deferred)

    def _doubtful(self, table: pa.Table, doubtful: np.ndarray) -> list[ParsedRecord]:
        if not doubtful.any():
            return []
        rows = table.filter(pa.array(doubtful))
        columns = [rows.column(f"c{i}").to_pylist() for i in range(self.layout.width)]
        lines = rows.column("line").to_pylist()
        return [
            csv_row_to_endpoint(self.layout.columns, list(values), line)
            for line, *values in zip(lines, *columns, strict=True)
        ]

    # -- the store --------------------------------------------------------------------

    def existing(self, keys: pa.Array) -> pa.Table | None:
        """The stored endpoints of ``keys``, aligned with them (nulls where none is
        stored; None when none is), copied into ``import_existing`` for the insert."""
        cursor = self._cursor
        cursor.execute("DELETE FROM import_existing")
        frame = pa.table({"pos": pa.array(np.arange(len(keys))), "key": keys})
        cursor.register("import_keys", frame)
        try:
            # The ids alone first: reading whole rows would read the whole table.
            ((found,),) = cursor.execute(
                "SELECT count(*) FROM import_keys k JOIN endpoints e ON e.id = k.key"
            ).fetchall()
            if not found:
                return None
            cursor.execute(
                "INSERT INTO import_existing SELECT k.pos, e.* FROM import_keys k "
                "JOIN endpoints e ON e.id = k.key"
            )
        finally:
            cursor.unregister("import_keys")
        stored = cursor.sql("SELECT * FROM import_existing").to_arrow_table()
        return _aligned(stored, len(keys))

    def held(self, users: pa.Array) -> dict[str, int]:
        """How many stored endpoints each of ``users`` has."""
        self._cursor.register("import_users", pa.table({"user_id": users}))
        try:
            rows = self._cursor.execute(
                "SELECT user_id, count(*) FROM endpoints "
                "WHERE user_id IN (SELECT user_id FROM import_users) GROUP BY user_id"
            ).fetchall()
        finally:
            self._cursor.unregister("import_users")
        return {user: int(count) for user, count in rows}

    def merged_documents(self, frame: pa.Table) -> pa.Array:
        """Each stored row's document with the row merged in (null for new rows)."""
        self._cursor.register("import_rows", frame)
        try:
            merged = self._cursor.sql(self._merged_sql, params={"now": self.now}).to_arrow_table()
        finally:
            self._cursor.unregister("import_rows")
        return _aligned(merged, frame.num_rows).column("document")

    def _insert(self, frame: pa.Table) -> None:
        """Replace the stored endpoints of the plain rows and insert the new ones, in
        one transaction."""
        cursor = self._cursor
        cursor.register("import_rows", frame)
        try:
            with self._database.writing():
                cursor.execute("BEGIN TRANSACTION")
                try:
                    cursor.execute(
                        "DELETE FROM endpoints WHERE id IN (SELECT e.id FROM import_existing e"
                        " JOIN import_rows r ON r.key = e.id WHERE r.plain)"
                    )
                    cursor.execute(self._insert_sql, {"now": self.now})
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
        finally:
            cursor.unregister("import_rows")

    # -- dates ------------------------------------------------------------------------

    def date_ok(self, value: str) -> bool:
        if value not in self._dates:
            self._dates[value] = _epoch_ms(value)
        return self._dates[value] is not None

    def date_ms(self, values: pa.Array) -> pa.Array:
        distinct = pc.unique(values)
        for value in distinct.to_pylist():
            self.date_ok(value)
        milliseconds = pa.array([self._dates[v] for v in distinct.to_pylist()], pa.int64())
        return milliseconds.take(pc.index_in(values, value_set=distinct))


def _aligned(table: pa.Table, rows: int) -> pa.Table:
    """``table`` (with a ``pos`` column) as ``rows`` rows, row ``pos`` at ``pos``."""
    index = np.full(rows, -1, dtype=np.int64)
    index[table.column("pos").to_numpy()] = np.arange(table.num_rows)
    return table.take(pa.array(index, mask=index < 0))


def _endpoint_ids_named(records: Sequence[ParsedRecord]) -> set[str]:
    """Every endpoint id the records may write: each one's ``Id`` and the id its channel
    and address give (both, when both are there: more than needed is only slower)."""
    ids = set()
    for record in records:
        given, channel, address = (
            record.data.get("Id"),
            record.data.get("ChannelType"),
            record.data.get("Address"),
        )
        if isinstance(given, str) and given:
            ids.add(given)
        if isinstance(channel, str) and isinstance(address, str):
            ids.add(address_endpoint_id(channel, address))
    return ids


def _line(record: ParsedRecord) -> int:
    return record.line


def _epoch_ms(value: str) -> int | None:
    """``last_active``'s milliseconds of an ISO-8601 date, or None when the domain would
    refuse it."""
    try:
        return int(parse_iso8601(value).timestamp() * 1000)
    except ValueError:
        return None


class _Rows:
    """Every row of one block at once: keys, the stored endpoints, the values as merged
    onto them, and the checks."""

    def __init__(self, session: _Session, cells: Cells, escapes: np.ndarray) -> None:
        self._session = session
        self.cells = cells
        self.layout = cells.layout
        self._escapes = escapes
        self.keys = endpoint_keys(cells)
        self._stored = session.existing(self.keys)
        self.stored = (
            np.zeros(cells.rows, dtype=bool)
            if self._stored is None
            else self._stored.column("pos").is_valid().to_numpy(zero_copy_only=False)
        )
        self._new = {dotted: cells.field(dotted) for dotted in self.layout.scalars}
        self._metrics = metric_map(cells, self.layout.metrics)
        self.effective = pc.coalesce(self._given("EffectiveDate"), pa.scalar(session.now))

    def _given(self, dotted: str) -> pa.Array:
        value = self._new.get(dotted)
        return pa.nulls(self.cells.rows, pa.string()) if value is None else value

    def _stored_column(self, column: str) -> pa.Array:
        if self._stored is None:
            return pa.nulls(self.cells.rows, pa.string())
        return self._stored.column(column).combine_chunks()

    def merged(self, dotted: str, column: str) -> pa.Array:
        """The row's value if it gives one, else the stored endpoint's."""
        given = self._new.get(dotted)
        if self._stored is None:
            return self._given(dotted)
        stored = self._stored_column(column)
        return stored if given is None else pc.coalesce(given, stored)

    def maps(self) -> dict[str, pa.Array]:
        return {
            "attributes": group_map(self.cells, self.layout.lists["Attributes"]),
            "user_attributes": group_map(self.cells, self.layout.lists["User.UserAttributes"]),
            "metrics": self._metrics.relation,
        }

    def plain(self, frame: pa.Table) -> np.ndarray:
        """Rows the domain is sure to accept with exactly the columns the insert builds."""
        cells, layout, session = self.cells, self.layout, self._session
        ok = self.keys.is_valid().to_numpy(zero_copy_only=False) & ~duplicated(self.keys)
        ok &= _ids_plainly_ok(self.keys)
        given_user = self._new.get("User.UserId")
        if given_user is not None:
            ok &= _ids_plainly_ok(given_user, empty_ok=True)
        ok &= ~self._escapes & ~cells.quotes & ~self._metrics.doubtful
        ok &= address_ok(
            self.merged("ChannelType", "channel_type"),
            self.merged("Address", "address"),
            valid_email_domain,
        )
        for name, limit in LOCATION_RANGES.items():
            _, inside = number_in_range(self._new.get(f"Location.{name}"), limit)
            if len(inside):
                ok &= inside
        for found in (
            in_values(self._new.get("OptOut"), OPT_OUTS),
            in_values(self._new.get("EndpointStatus"), STATUSES),
            in_values(self._new.get("Demographic.Timezone"), session.zones),
            checked_by(self._new.get("EffectiveDate"), session.date_ok),
            checked_by(self._new.get("CreationDate"), session.date_ok),
        ):
            if found is not None:
                ok &= found
        ok &= values_short(cells, [i for n in layout.lists.values() for c in n.values() for i in c])
        if layout.bad_names:
            ok &= ~cells.present[:, layout.bad_names].any(axis=1)
        ok &= ~self._near_user_limit()
        floats = np.diff(self._metrics.relation.offsets.to_numpy()) + 2
        bound = document_bound(cells, session.now)
        if (self.stored & ok).any():
            # Only rows whose values need no escaping make well-formed partial documents.
            merged = session.merged_documents(frame.append_column("candidate", pa.array(ok)))
            lengths = pc.binary_length(merged).to_numpy(zero_copy_only=False)
            bound = np.where(self.stored, lengths, bound)
            ok &= ~pc.fill_null(pc.match_substring(merged, "\x7f"), False).to_numpy(
                zero_copy_only=False
            )
        ok &= _JSON_GROWTH * bound + _FLOAT_SLACK * floats <= MAX_ENDPOINT_BYTES
        return ok

    def _near_user_limit(self) -> np.ndarray:
        """Rows touching a user who could reach the per-user endpoint limit in this
        block: their outcome depends on the order of rows, so the reference decides."""
        rows = self.cells.rows
        user = self.merged("User.UserId", "user_id")
        stored_user = self._stored_column("user_id")
        joining = pc.and_(
            pc.is_valid(user),
            pc.or_(pa.array(~self.stored), pc.fill_null(pc.not_equal(stored_user, user), True)),
        )
        if not pc.any(joining).as_py():
            return np.zeros(rows, dtype=bool)
        pairs = pa.table({"user": pc.filter(user, joining), "key": pc.filter(self.keys, joining)})
        joiners = pairs.group_by("user").aggregate([("key", "count_distinct")])
        names = joiners.column("user")
        counts = joiners.column("key_count_distinct").to_numpy()
        held = self._session.held(names)
        if held:
            counts = counts + np.array([held.get(n, 0) for n in names.to_pylist()])
        risky = pc.filter(names, pa.array(counts > MAX_ENDPOINTS_PER_USER))
        if len(risky) == 0:
            return np.zeros(rows, dtype=bool)
        touches = pc.or_(
            pc.fill_null(pc.is_in(user, value_set=risky), False),
            pc.fill_null(pc.is_in(stored_user, value_set=risky), False),
        )
        return touches.to_numpy(zero_copy_only=False)


# Ids the domain's id rule (clarion.domain.common.ids) might refuse: a folder name, a
# reserved prefix, a separator or control character. At least as strict as the rule
# (rows it doubts go to the per-row importer, which applies the rule itself).
_DOUBTFUL_ID = (
    r"^\.\.?$|^(?:"
    + "|".join(re.escape(prefix) for prefix in RESERVED_ID_PREFIXES)
    + r")|[/\\\x00-\x1f\x7f]"
)


def _ids_plainly_ok(values: pa.Array, *, empty_ok: bool = False) -> np.ndarray:
    """True where the id is null (no value given) or plainly meets the id rule (an empty
    user id is no user id, which the rule leaves alone)."""
    doubtful = pc.or_(
        pc.match_substring_regex(values, _DOUBTFUL_ID),
        pc.greater(pc.binary_length(values), MAX_ID_BYTES),
    )
    if not empty_ok:
        doubtful = pc.or_(doubtful, pc.equal(values, ""))
    return ~pc.fill_null(doubtful, False).to_numpy(zero_copy_only=False)
