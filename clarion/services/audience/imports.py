"""Endpoint imports: CSV, newline-delimited JSON and Pinpoint export files into the
profile store, optionally as an imported (static) segment.

Rows are read as a stream and written in batches (one ``get_endpoints`` and one
``put_endpoints`` call a batch), so memory stays flat however large the file. A bad row
is rejected with one :class:`Rejection` per problem, naming its line and Pinpoint field,
and every good row around it is still imported.

Where the backend has a columnar importer (locally), CSV files go through it: it writes
the rows it can prove valid as columns and defers the others, in line order, to the
per-row path here, which stays the reference for every outcome and rejection.
"""

from __future__ import annotations

import gc
import io
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, Protocol

from clarion.domain.audience.endpoint import (
    MAX_ENDPOINTS_PER_USER,
    AttributeNameBudget,
    Endpoint,
    merge_endpoint,
    utc_now_iso,
    validate_endpoint,
)
from clarion.domain.audience.import_formats import (
    FileFormat,
    ParsedRecord,
    address_endpoint_id,
    open_import,
    records_of,
)
from clarion.domain.audience.rows import last_active
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports.audience import ColumnarEndpointImport, ImportChunk, ProfileStore

MAX_STORED_REJECTIONS = 10_000
# Endpoint ids are remembered for the users of this many recent batches. Every batch is
# written before the next is read, so a user forgotten here is simply asked of the store
# again; the bound keeps memory flat when a file has millions of users.
_REMEMBERED_BATCHES = 4

Progress = Callable[[int], None]


class ImportedSegments(Protocol):
    """What imports need of the segment service."""

    def create_imported_segment(self, name: str) -> str: ...

    def add_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int: ...


@dataclass(frozen=True, slots=True)
class Rejection:
    """One problem with one row: the 1-based physical line in the file (the CSV header
    is line 1), the Pinpoint field as a dotted path, and why."""

    line: int
    field: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass
class ImportResult:
    """What an import did. ``rejected`` keeps the first 10,000 problems;
    ``rejected_total`` counts them all and ``rejected_lines`` the rows they are on."""

    imported: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_total: int = 0
    rejected_lines: int = 0
    segment_id: str | None = None

    def reject(self, rejection: Rejection) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_STORED_REJECTIONS:
            self.rejected.append(rejection)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "imported": self.imported,
            "updated": self.updated,
            "rejected": [r.to_json() for r in self.rejected],
            "segment_id": self.segment_id,
        }
        if self.rejected_total > len(self.rejected):
            data["rejected_total"] = self.rejected_total
        return data


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a stream (the compressed bytes, for gzip), for progress."""

    def __init__(self, stream: IO[bytes] | Any) -> None:
        super().__init__()
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        size = len(data)
        memoryview(buffer).cast("B")[:size] = data
        self.bytes_read += size
        return size


class _UserEndpoints:
    """Endpoint ids by user id, for Pinpoint's 15-endpoints-per-user limit.

    Seeded from the store the first time the import meets a user, then kept up to date
    as rows are accepted, for the most recently seen users only.
    """

    def __init__(self, profiles: ProfileStore, remembered: int) -> None:
        self._profiles = profiles
        self._remembered = remembered
        self._known: OrderedDict[str, set[str]] = OrderedDict()

    def prefetch(self, user_ids: Iterable[str]) -> None:
        missing = []
        for user_id in dict.fromkeys(user_ids):
            if user_id in self._known:
                self._known.move_to_end(user_id)
            else:
                missing.append(user_id)
        if not missing:
            return
        found = self._profiles.endpoint_ids_for_users(missing)
        for user_id in missing:
            self._known[user_id] = set(found.get(user_id, ()))

    def problem(self, endpoint_id: str, user_id: str) -> FieldProblem | None:
        if user_id not in self._known:
            self.prefetch([user_id])
        ids = self._known[user_id]
        if endpoint_id in ids or len(ids) < MAX_ENDPOINTS_PER_USER:
            return None
        return FieldProblem(
            "User.UserId",
            f"user {user_id!r} already has {MAX_ENDPOINTS_PER_USER} endpoints, the limit",
        )

    def commit(self, endpoint_id: str, user_id: str | None, previous_user_id: str | None) -> None:
        if previous_user_id and previous_user_id != user_id and previous_user_id in self._known:
            self._known[previous_user_id].discard(endpoint_id)
        if user_id:
            self._known.setdefault(user_id, set()).add(endpoint_id)

    def forget_oldest(self) -> None:
        """Drop the least recently seen users beyond the limit (call after a batch is
        written, when the store knows everything forgotten)."""
        while len(self._known) > self._remembered:
            self._known.popitem(last=False)


@dataclass
class _Run:
    """The state of one import, carried from batch to batch."""

    result: ImportResult
    budget: AttributeNameBudget
    users: _UserEndpoints
    now: str


class EndpointImportService:
    """Imports endpoint files into the profile store.

    Parameters
    ----------
    profiles
        Where endpoints are read and written.
    segments
        Creates imported segments and adds their members (the segment service).
    batch_size
        Rows a batch: one read and one write of the store each.
    columnar
        Imports CSV files as columns, deferring to this service the rows it cannot
        decide (locally); None to read every file row by row.
    clock
        The import's time, ISO-8601 (dates of rows that give none).
    """

    def __init__(
        self,
        profiles: ProfileStore,
        segments: ImportedSegments,
        batch_size: int = 1000,
        *,
        columnar: ColumnarEndpointImport | None = None,
        clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._profiles = profiles
        self._segments = segments
        self._batch_size = batch_size
        self._columnar = columnar
        self._clock = clock

    def import_file(
        self,
        path: str | Path,
        *,
        segment_name: str | None = None,
        file_format: FileFormat | str | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import a file from disk (see :meth:`import_stream`).

        Raises
        ------
        OSError
            When the file cannot be opened or read.
        ImportFileError
            When the file as a whole cannot be imported (for example an unknown column).
        """
        source = Path(path)
        with source.open("rb") as handle:
            return self.import_stream(
                handle,
                name=source.name,
                segment_name=segment_name,
                file_format=file_format,
                progress=progress,
            )

    def import_stream(
        self,
        stream: IO[bytes] | Any,
        *,
        name: str,
        segment_name: str | None = None,
        file_format: FileFormat | str | None = None,
        progress: Progress | None = None,
        segment_id: str | None = None,
    ) -> ImportResult:
        """Import endpoints from a binary stream (a file, or an S3 object body).

        Parameters
        ----------
        stream
            Anything with ``read(size)`` returning bytes, possibly gzipped.
        name
            The file name or object key, for format detection.
        segment_name
            When given, an imported segment of that name is created and every imported or
            updated endpoint becomes a member.
        file_format
            ``csv``, ``json`` or ``export``; detected from the name and content if omitted.
        segment_id
            An existing imported segment every imported or updated endpoint joins
            (instead of ``segment_name``).
        progress
            Called after each batch with the number of bytes consumed so far.

        Returns
        -------
        ImportResult
            Counts of new and updated endpoints, and the rejections.
        """
        counter = _CountingReader(stream)
        buffered = io.BufferedReader(counter, buffer_size=1 << 16)
        detected, source = open_import(buffered, name=name, file_format=file_format)
        columnar = self._columnar is not None and detected == FileFormat.CSV
        return self._import(
            None if columnar else records_of(detected, source),
            csv_source=source if columnar else None,
            segment_name=segment_name,
            segment_id=segment_id,
            progress=(lambda: progress(counter.bytes_read)) if progress is not None else None,
        )

    def update_endpoints(self, items: Iterable[Mapping[str, Any]]) -> ImportResult:
        """UpdateEndpoint and UpdateEndpointsBatch: each item (an EndpointRequest with
        its ``Id``) through the rules of an import row (merged onto the stored endpoint,
        validated, the attribute-name and per-user limits). ``Rejection.line`` is the
        item's 1-based position."""
        records = (
            ParsedRecord(line=index, data=dict(item))
            if isinstance(item, Mapping)
            else ParsedRecord(index, {}, [FieldProblem("(record)", "must be a JSON object")])
            for index, item in enumerate(items, start=1)
        )
        return self._import(records, segment_name=None, progress=None)

    def import_records(
        self, records: Iterable[ParsedRecord], *, segment_id: str | None = None
    ) -> ImportResult:
        """Import parsed records (one piece of an import job: rows the job's reader has
        already split, each with its line), every imported or updated endpoint joining
        the imported segment ``segment_id`` when given."""
        return self._import(iter(records), segment_name=None, progress=None, segment_id=segment_id)

    def _import(
        self,
        records: Iterator[ParsedRecord] | None,
        *,
        segment_name: str | None,
        progress: Callable[[], None] | None,
        segment_id: str | None = None,
        csv_source: IO[bytes] | None = None,
    ) -> ImportResult:
        """Import ``records`` row by row, or the CSV ``csv_source`` through the columnar
        importer (which defers to the row path what it cannot decide)."""
        run = _Run(
            result=ImportResult(),
            budget=AttributeNameBudget(self._profiles.attribute_names()),
            users=self._users(),
            now=self._clock(),
        )
        # Read before the segment is made, so that an unusable file makes none.
        chunks: Iterator[ImportChunk] = iter(())
        if csv_source is not None and self._columnar is not None:
            chunks = self._columnar.import_csv(
                csv_source, now=run.now, accepts=run.budget.fits, batch_size=self._batch_size
            )
        if segment_name is not None:
            run.result.segment_id = self._segments.create_imported_segment(segment_name)
        elif segment_id is not None:
            run.result.segment_id = segment_id
        with _young_collections_only():
            for chunk in chunks:
                self._take_chunk(chunk, run)
                gc.collect(1)
                if progress is not None:
                    progress()
            for batch in _batches(records or iter(()), self._batch_size):
                self._import_batch(batch, run)
                # The batch's garbage cycles (the young ones) go now, cheaply.
                gc.collect(1)
                if progress is not None:
                    progress()
        if progress is not None:
            progress()
        return run.result

    def _users(self) -> _UserEndpoints:
        return _UserEndpoints(self._profiles, _REMEMBERED_BATCHES * self._batch_size)

    def _take_chunk(self, chunk: ImportChunk, run: _Run) -> None:
        """Count what the columnar importer wrote, and import the rows it deferred."""
        run.result.imported += chunk.imported
        run.result.updated += chunk.updated
        if chunk.written_ids:
            if run.result.segment_id is not None:
                self._segments.add_imported_members(run.result.segment_id, chunk.written_ids)
            # The store changed under the remembered users: ask it again.
            run.users = self._users()
        for batch in _batches(iter(chunk.deferred), self._batch_size):
            self._import_batch(batch, run)

    def _import_batch(self, batch: list[ParsedRecord], run: _Run) -> None:
        keyed = [(record, *_endpoint_id(record.data)) for record in batch]
        existing = self._profiles.get_endpoints(
            list(dict.fromkeys(key for _, key, _ in keyed if key is not None))
        )
        run.users.prefetch(
            user_id
            for record, key, _ in keyed
            if key is not None
            and (user_id := _user_id(record.data)) is not None
            and (key not in existing or existing[key].user_id != user_id)
        )
        accepted: dict[str, Endpoint] = {}
        # Versions of an endpoint replaced within the batch never reach the store, but a
        # write never lowers last activity: their EffectiveDates are recorded after it.
        superseded: dict[str, int] = {}
        for record, key, key_problems in keyed:
            if record.problems and not record.data:
                # Nothing parsed (not JSON, not UTF-8): the parse error says it all.
                self._reject(run, record.line, record.problems)
                continue
            problems = [*record.problems, *key_problems]
            if key is None:
                problems.extend(_problems_without_id(record.data, problems))
                self._reject(run, record.line, problems)
                continue
            base = accepted[key] if key in accepted else existing.get(key)
            endpoint = None
            try:
                endpoint = validate_endpoint(_with_defaults(record.data, key, base, run.now))
            except InvalidRecordError as exc:
                problems.extend(exc.problems)
            if endpoint is not None and not problems:
                problem = self._limit_problem(endpoint, base, run)
                if problem is None:
                    previous_user = base.user_id if base else None
                    run.users.commit(endpoint.id, endpoint.user_id, previous_user)
                    if base is None:
                        run.result.imported += 1
                    else:
                        run.result.updated += 1
                    if key in accepted and (active := last_active(accepted[key])) is not None:
                        superseded[key] = max(active, superseded.get(key, active))
                    accepted[key] = endpoint
                    continue
                problems.append(problem)
            self._reject(run, record.line, problems)
        if accepted:
            self._profiles.put_endpoints(list(accepted.values()))
            if superseded:
                self._profiles.record_activity(superseded)
            if run.result.segment_id is not None:
                self._segments.add_imported_members(run.result.segment_id, list(accepted))
        run.users.forget_oldest()

    @staticmethod
    def _limit_problem(endpoint: Endpoint, base: Endpoint | None, run: _Run) -> FieldProblem | None:
        user_id = endpoint.user_id
        joins_user = user_id is not None and (base is None or base.user_id != user_id)
        if joins_user and user_id is not None:
            problem = run.users.problem(endpoint.id, user_id)
            if problem is not None:
                return problem
        # Last: the budget records the names of an endpoint it lets through.
        return run.budget.check(endpoint)

    @staticmethod
    def _reject(run: _Run, line: int, problems: list[FieldProblem]) -> None:
        if not problems:
            problems = [FieldProblem("(record)", "rejected")]
        run.result.rejected_lines += 1
        for problem in problems:
            run.result.reject(Rejection(line, problem.field, problem.reason))


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """Automatic garbage collection off for the duration (the import collects the young
    generations itself after each batch).

    Each batch leaves tens of thousands of long-lived objects behind it, which set off
    full collections of the whole heap every few batches: more than a third of an
    import's time, for almost no garbage. Whatever is left for the full collector is
    collected as usual once automatic collection is back on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _batches(records: Iterator[ParsedRecord], size: int) -> Iterator[list[ParsedRecord]]:
    while batch := list(islice(records, size)):
        yield batch


def _endpoint_id(data: dict[str, Any]) -> tuple[str | None, list[FieldProblem]]:
    """The id a row writes to: its Id, or for a new endpoint one derived from its
    ChannelType and Address (so re-importing the same file updates, not duplicates)."""
    given = data.get("Id")
    if isinstance(given, str) and given:
        return given, []
    if given not in (None, ""):
        return None, [FieldProblem("Id", "must be a non-empty string")]
    channel, address = data.get("ChannelType"), data.get("Address")
    problems = [
        FieldProblem(name, "is required for a row without Id")
        for name, value in (("ChannelType", channel), ("Address", address))
        if not isinstance(value, str) or not value
    ]
    if problems:
        return None, problems
    return address_endpoint_id(str(channel), str(address)), []


def _user_id(data: dict[str, Any]) -> str | None:
    user = data.get("User")
    user_id = user.get("UserId") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def _problems_without_id(data: dict[str, Any], known: list[FieldProblem]) -> list[FieldProblem]:
    """The row's other problems, for a row that could not be keyed (so one pass tells
    the user everything to fix)."""
    try:
        validate_endpoint({**data, "Id": "-"})
    except InvalidRecordError as exc:
        reported = {problem.field for problem in known}
        return [p for p in exc.problems if p.field not in reported and p.field != "Id"]
    return []


def _with_defaults(
    data: dict[str, Any], endpoint_id: str, base: Endpoint | None, now: str
) -> dict[str, Any]:
    """The row as a full endpoint: merged onto the existing one (UpdateEndpoint rules),
    with Pinpoint's dates filled in when the file does not give them."""
    body = {**data, "Id": endpoint_id}
    merged = merge_endpoint(base, body) if base is not None else body
    merged.setdefault("CreationDate", now)
    if "EffectiveDate" not in data:
        merged["EffectiveDate"] = now
    return merged
