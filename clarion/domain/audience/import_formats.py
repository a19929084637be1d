"""Endpoint import files, parsed to Pinpoint's nested endpoint JSON.

Three formats, as Pinpoint users have them (docs/pinpoint-formats.md, "Import files"):

- ``csv``: a header row of dotted Pinpoint names (``ChannelType``, ``Address``,
  ``User.UserAttributes.FirstName``, ``Metrics.Visits``...). A repeated attribute column
  is a multi-valued attribute; values with commas are quoted; UTF-8, with or without a
  byte-order mark.
- ``json``: newline-delimited JSON, one nested endpoint a line.
- ``export``: what Pinpoint's export jobs wrote, gzipped (or not) newline-delimited JSON
  with ``Id``, ``CreationDate``, ``EffectiveDate``, ``EndpointStatus``, ``ApplicationId``.

Any format may be gzipped; compression is detected from the content, not the name.
Parsing is streaming: records are yielded one at a time with their 1-based physical line
number, so memory does not grow with the file. A record-level problem (a bad number, a
row with too many values) travels with the record, so the rest of the file is still
read; a file-level problem (an unknown CSV column) raises :class:`ImportFileError` before
any row is read.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import math
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath
from typing import IO, Any, cast

from clarion.domain.common.errors import FieldProblem, ImportFileError
from clarion.domain.common.json_input import JsonInputError, parse_json

GZIP_MAGIC = b"\x1f\x8b"

# Addresses without an Id become this namespace's uuid5 of "ChannelType:Address", so the
# same file imported twice updates the same endpoints instead of duplicating them.
ADDRESS_ID_NAMESPACE = uuid.UUID("5b0f6a8e-3c1d-5e7a-9f3b-2d4c6e8a0b1c")
_NAMESPACE_BYTES = ADDRESS_ID_NAMESPACE.bytes
# RFC 4122 version 5 and variant bits, and the bits of the hash they leave.
_UUID_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID5_BITS = (5 << 76) | (0x8000 << 48)

# Top-level scalar columns a CSV may carry, as Pinpoint spells them.
_TOP_LEVEL = (
    "Id",
    "ChannelType",
    "Address",
    "OptOut",
    "EndpointStatus",
    "EffectiveDate",
    "CreationDate",
    "RequestId",
    "CohortId",
    "ApplicationId",
)
_DEMOGRAPHIC_FIELDS = (
    "AppVersion",
    "Locale",
    "Make",
    "Model",
    "ModelVersion",
    "Platform",
    "PlatformVersion",
    "Timezone",
)
_LOCATION_FIELDS = ("City", "Country", "Latitude", "Longitude", "PostalCode", "Region")
_LOCATION_NUMBERS = frozenset({"Latitude", "Longitude"})
_ATTRIBUTE_PREFIXES = ("Attributes.", "User.UserAttributes.")


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    EXPORT = "export"


@dataclass(slots=True)
class ParsedRecord:
    """One record of an import file: its physical line, its Pinpoint JSON, and any
    problems found while parsing (a record with problems is still yielded, with the
    fields that did parse, so validation can report everything wrong with it)."""

    line: int
    data: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)


def address_endpoint_id(channel_type: str, address: str) -> str:
    """The endpoint id given to an imported row that has no ``Id``."""
    # uuid.uuid5, without building a UUID object (a third of the cost).
    digest = hashlib.sha1(
        _NAMESPACE_BYTES + f"{channel_type}:{address}".encode(), usedforsecurity=False
    ).digest()
    number = (int.from_bytes(digest[:16]) & _UUID_KEEP) | _UUID5_BITS
    text = f"{number:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def detect_format(name: str, head: bytes = b"") -> tuple[FileFormat, bool]:
    """Guess an import file's format and whether it is gzipped.

    Parameters
    ----------
    name
        The file name (or S3 key); only its suffixes are used.
    head
        The first bytes of the content, for the gzip magic number and, failing a
        telling suffix, a ``{`` that marks newline-delimited JSON.

    Returns
    -------
    tuple[FileFormat, bool]
        The format, and True when the content is gzipped. A gzipped file whose name
        says nothing more (``endpoints.gz``, a Pinpoint export object) is an export.
    """
    gzipped = head.startswith(GZIP_MAGIC)
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if last == ".csv":
        return FileFormat.CSV, gzipped
    if last in (".json", ".jsonl", ".ndjson"):
        return (FileFormat.EXPORT if gzipped else FileFormat.JSON), gzipped
    if gzipped or name.lower().endswith(".gz"):
        return FileFormat.EXPORT, gzipped
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    return (FileFormat.JSON if stripped.startswith(b"{") else FileFormat.CSV), gzipped


def open_import(
    stream: IO[bytes], *, name: str = "", file_format: FileFormat | str | None = None
) -> tuple[FileFormat, IO[bytes]]:
    """An import file's format and its content, decompressed when gzipped.

    Parameters
    ----------
    stream
        The file's bytes, possibly gzipped. A buffered stream (with ``peek``) lets the
        content be sniffed without consuming it; others are wrapped.
    name
        The file name, for format detection.
    file_format
        ``csv``, ``json`` or ``export`` to override detection.

    Raises
    ------
    ImportFileError
        For an unknown format name.
    """
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(cast(Any, stream))
    head = bytes(buffered.peek(64)[:64])
    detected, gzipped = detect_format(name, head)
    if file_format is not None:
        try:
            detected = FileFormat(str(file_format).lower())
        except ValueError:
            choices = ", ".join(f.value for f in FileFormat)
            raise ImportFileError(
                f"unknown format {file_format!r}; expected one of {choices}"
            ) from None
    source: IO[bytes] = (
        cast(IO[bytes], gzip.GzipFile(fileobj=buffered, mode="rb")) if gzipped else buffered
    )
    return detected, source


def read_records(
    stream: IO[bytes], *, name: str = "", file_format: FileFormat | str | None = None
) -> Iterator[ParsedRecord]:
    """Parse an import file into endpoint records, lazily.

    Parameters
    ----------
    stream
        The file's bytes, possibly gzipped (see :func:`open_import`).
    name
        The file name, for format detection.
    file_format
        ``csv``, ``json`` or ``export`` to override detection.

    Raises
    ------
    ImportFileError
        Before yielding anything, when the file cannot be imported at all (an unknown
        or misplaced CSV column, an empty CSV, an unknown format name).
    """
    detected, source = open_import(stream, name=name, file_format=file_format)
    return records_of(detected, source)


def records_of(file_format: FileFormat, source: IO[bytes]) -> Iterator[ParsedRecord]:
    """The records of a decompressed import file of a known format (see
    :func:`read_records`)."""
    if file_format == FileFormat.CSV:
        return _csv_records(source)
    return _json_records(source, require_id=file_format == FileFormat.EXPORT)


# -- CSV -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvColumn:
    """Where one CSV column goes in the nested JSON (``path``), and how its text is read
    (``kind``: ``text``, ``list`` for attribute values, ``metric`` or ``float``)."""

    header: str
    path: tuple[str, ...]
    kind: str  # "text", "list" (attribute values), "metric" or "float"
    parents: tuple[str, ...] = field(init=False)
    leaf: str = field(init=False)
    is_number: bool = field(init=False)
    is_list: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parents", self.path[:-1])
        object.__setattr__(self, "leaf", self.path[-1])
        object.__setattr__(self, "is_number", self.kind in ("metric", "float"))
        object.__setattr__(self, "is_list", self.kind == "list")


def parse_header(columns: Iterable[str]) -> list[CsvColumn]:
    """Map a CSV header to nested JSON paths.

    Raises
    ------
    ImportFileError
        Naming the first column that is not a Pinpoint endpoint field, or a non-attribute
        column that appears twice.
    """
    parsed: list[CsvColumn] = []
    seen: set[str] = set()
    for position, raw in enumerate(columns, start=1):
        header = raw.strip()
        column = _column_for(header, position)
        if column.kind != "list" and header in seen:
            raise ImportFileError(
                f"column {header!r} appears more than once; only Attributes and "
                "User.UserAttributes columns may repeat (one value each)",
                column=header,
            )
        seen.add(header)
        parsed.append(column)
    if not parsed:
        raise ImportFileError("the header row is empty")
    return parsed


def _column_for(header: str, position: int) -> CsvColumn:
    if header in _TOP_LEVEL:
        return CsvColumn(header, (header,), "text")
    if header == "User.UserId":
        return CsvColumn(header, ("User", "UserId"), "text")
    for prefix in _ATTRIBUTE_PREFIXES:
        if header.startswith(prefix) and len(header) > len(prefix):
            return CsvColumn(
                header, (*prefix.rstrip(".").split("."), header[len(prefix) :]), "list"
            )
    if header.startswith("Metrics.") and len(header) > len("Metrics."):
        return CsvColumn(header, ("Metrics", header[len("Metrics.") :]), "metric")
    group, _, leaf = header.partition(".")
    if group == "Demographic" and leaf in _DEMOGRAPHIC_FIELDS:
        return CsvColumn(header, (group, leaf), "text")
    if group == "Location" and leaf in _LOCATION_FIELDS:
        return CsvColumn(header, (group, leaf), "float" if leaf in _LOCATION_NUMBERS else "text")
    shown = header or "(empty)"
    raise ImportFileError(
        f"column {position} {shown!r} is not a Pinpoint endpoint field (expected names such "
        "as ChannelType, Address, Id, User.UserId, Attributes.<Name>, "
        "User.UserAttributes.<Name>, Metrics.<Name>, Demographic.Timezone, Location.Country)",
        column=shown,
    )


def _decoded_lines(
    source: Iterable[bytes], bad_lines: set[int], first_line: int = 1
) -> Iterator[str]:
    """UTF-8 text lines; an undecodable line is noted in ``bad_lines`` (so that record is
    rejected) and passed on with replacement characters (so the file goes on)."""
    for number, raw in enumerate(source, start=first_line):
        chunk = (
            raw[len(codecs.BOM_UTF8) :] if number == 1 and raw.startswith(codecs.BOM_UTF8) else raw
        )
        try:
            yield chunk.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.add(number)
            yield chunk.decode("utf-8", errors="replace")


def _csv_records(source: IO[bytes]) -> Iterator[ParsedRecord]:
    bad_lines: set[int] = set()
    lines = _decoded_lines(source, bad_lines)
    reader = csv.reader(lines, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: a CSV import needs a header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"the header row is not valid CSV: {exc}") from None
    if 1 in bad_lines:
        raise ImportFileError("the header row is not valid UTF-8")
    columns = parse_header(header)
    return _csv_rows(reader, columns, bad_lines)


def csv_rows_from(
    lines: Iterable[bytes], columns: list[CsvColumn], first_line: int
) -> Iterator[ParsedRecord]:
    """The records of a CSV file's body read from line ``first_line`` on (``lines`` are
    its raw lines from there, each with its line break), as :func:`read_records` would
    yield them: what a reader that read the header and some whole records itself hands
    over for the rest."""
    bad_lines: set[int] = set()
    reader = csv.reader(_decoded_lines(lines, bad_lines, first_line), strict=False)
    return _csv_rows(reader, columns, bad_lines, first_line - 1)


def _csv_rows(
    reader: Any, columns: list[CsvColumn], bad_lines: set[int], offset: int = 0
) -> Iterator[ParsedRecord]:
    previous_end = reader.line_num + offset
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_end = reader.line_num + offset
            yield ParsedRecord(start, {}, [FieldProblem("(record)", f"not valid CSV: {exc}")])
            continue
        previous_end = reader.line_num + offset
        if not cells or all(not cell for cell in cells):
            continue  # blank lines carry nothing
        record = csv_row_to_endpoint(columns, cells, start)
        if any(line in bad_lines for line in range(start, previous_end + 1)):
            bad_lines.difference_update(range(start, previous_end + 1))
            record.problems.insert(0, FieldProblem("(record)", "the line is not valid UTF-8"))
        yield record


def csv_row_to_endpoint(columns: list[CsvColumn], cells: list[str], line: int) -> ParsedRecord:
    """Build one endpoint's nested JSON from a CSV row; empty cells are absent fields."""
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    if len(cells) > len(columns):
        problems.append(
            FieldProblem(
                "(record)", f"the row has {len(cells)} values but the header has {len(columns)}"
            )
        )
    for column, cell in zip(columns, cells, strict=False):
        if not cell:
            continue
        value: Any = cell
        if column.is_number:
            try:
                value = float(cell)
            except ValueError:
                problems.append(FieldProblem(column.header, f"{cell!r} is not a number"))
                continue
            if not math.isfinite(value):
                problems.append(FieldProblem(column.header, f"{cell!r} is not a finite number"))
                continue
        target = data
        for key in column.parents:
            child = target.get(key)
            if child is None:
                child = target[key] = {}
            target = child
        if column.is_list:
            values = target.get(column.leaf)
            if values is None:
                target[column.leaf] = [value]
            else:
                values.append(value)
        else:
            target[column.leaf] = value
    return ParsedRecord(line, data, problems)


# -- newline-delimited JSON -----------------------------------------------------------


def _json_records(source: IO[bytes], *, require_id: bool) -> Iterator[ParsedRecord]:
    for number, raw in enumerate(source, start=1):
        chunk = (
            raw[len(codecs.BOM_UTF8) :] if number == 1 and raw.startswith(codecs.BOM_UTF8) else raw
        )
        if not chunk.strip():
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            yield ParsedRecord(
                number, {}, [FieldProblem("(record)", "the line is not valid UTF-8")]
            )
            continue
        try:
            data = parse_json(text)
        except JsonInputError as exc:
            reason = str(exc).replace("is not JSON:", "not valid JSON:", 1)
            yield ParsedRecord(number, {}, [FieldProblem("(record)", reason)])
            continue
        if not isinstance(data, dict):
            yield ParsedRecord(
                number, {}, [FieldProblem("(record)", "each line must be one JSON object")]
            )
            continue
        problems = []
        if require_id and not data.get("Id"):
            problems.append(FieldProblem("Id", "is required in an export file"))
        yield ParsedRecord(number, data, problems)
