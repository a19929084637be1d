"""One block of a CSV import as Arrow columns: the endpoint ids, the relation's columns,
the stored documents, and the checks that tell a plainly valid row from a doubtful one.

Used by :mod:`clarion.adapters.local.audience.columnar_endpoint_import`, whose docstring
says how the columnar import works and why the per-row importer stays the reference.
Every check here is at least as strict as the domain rule it stands for, so a row it
passes is one the domain accepts; a row it fails is only handed to the per-row path.
Values are compared as the domain compares them where that is cheap, and otherwise
looked up among the block's distinct values checked by the domain's own functions
(email domains, dates, time zones).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from clarion.domain.audience.endpoint import (
    MAX_ATTRIBUTE_NAME_LENGTH,
    MAX_ATTRIBUTE_VALUE_LENGTH,
    ChannelType,
    EndpointStatus,
    OptOut,
)
from clarion.domain.audience.import_formats import ADDRESS_ID_NAMESPACE, CsvColumn

MAP_OF_LISTS = pa.map_(pa.string(), pa.list_(pa.string()))
MAP_OF_NUMBERS = pa.map_(pa.string(), pa.float64())

# A JSON number that Python's float() reads as the same double pyarrow's cast does.
JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
E164 = r"^\+[1-9][0-9]{1,14}$"
# A plain ASCII dot-atom local part and what follows the last "@": the addresses the
# domain accepts without email_validator when that domain is valid.
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
PLAIN_EMAIL = f"^{_ATOM}+(?:\\.{_ATOM}+)*@[^@]*$"
# Besides the double quote, the characters a JSON string would have to escape (and DEL,
# which Python's ensure_ascii escapes too), looked for in a whole line (the line break
# and a CRLF's carriage return stripped): rows holding them are left to the per-row path.
NEEDS_ESCAPING = r"[\\\x00-\x1f\x7f]"

TOP_LEVEL_ORDER = (
    "Id",
    "ChannelType",
    "Address",
    "EndpointStatus",
    "OptOut",
    "EffectiveDate",
    "CreationDate",
    "RequestId",
    "ApplicationId",
    "CohortId",
)
DEMOGRAPHIC = (
    "AppVersion",
    "Locale",
    "Make",
    "Model",
    "ModelVersion",
    "Platform",
    "PlatformVersion",
    "Timezone",
)
LOCATION = ("City", "Country", "Latitude", "Longitude", "PostalCode", "Region")
LOCATION_RANGES = {"Latitude": 90.0, "Longitude": 180.0}
MAP_GROUPS = ("Attributes", "User.UserAttributes")

_NAMESPACE = ADDRESS_ID_NAMESPACE.bytes
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASHES = (8, 13, 18, 23)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _json_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Layout:
    """Which cell holds which Pinpoint field, for one header."""

    columns: list[CsvColumn]
    scalars: dict[str, int] = field(default_factory=dict)  # dotted field -> cell
    lists: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # group -> name
    metrics: dict[str, int] = field(default_factory=dict)
    bad_names: list[int] = field(default_factory=list)  # cells under names the domain refuses

    @classmethod
    def of(cls, columns: list[CsvColumn]) -> Layout:
        layout = cls(columns, lists={group: {} for group in MAP_GROUPS})
        for index, column in enumerate(columns):
            if column.kind == "list":
                layout.lists[".".join(column.parents)].setdefault(column.leaf, []).append(index)
            elif column.kind == "metric":
                layout.metrics[column.leaf] = index
            else:
                layout.scalars[".".join(column.path)] = index
            if column.kind in ("list", "metric") and not (
                0 < len(column.leaf) <= MAX_ATTRIBUTE_NAME_LENGTH
            ):
                layout.bad_names.append(index)
        return layout

    @property
    def width(self) -> int:
        return len(self.columns)


class Cells:
    """One block's cells (every cell a string, ``""`` when empty), read by field."""

    def __init__(self, table: pa.Table, layout: Layout) -> None:
        self.layout = layout
        self.rows = table.num_rows
        self._text = [table.column(i).combine_chunks() for i in range(layout.width)]
        self._cells: dict[int, pa.Array] = {}

    def text(self, index: int) -> pa.StringArray:
        return self._text[index]

    @cached_property
    def present(self) -> np.ndarray:
        """(rows, cells) True where a cell is not empty."""
        lengths = [pc.binary_length(column).to_numpy(zero_copy_only=False) for column in self._text]
        return np.stack(lengths, axis=1) > 0 if lengths else np.zeros((self.rows, 0), bool)

    def cell(self, index: int) -> pa.Array:
        """The cells of a column, null where empty."""
        if index not in self._cells:
            self._cells[index] = pc.if_else(
                pa.array(self.present[:, index]), self._text[index], None
            )
        return self._cells[index]

    def field(self, dotted: str) -> pa.Array | None:
        index = self.layout.scalars.get(dotted)
        return None if index is None else self.cell(index)

    @cached_property
    def blank(self) -> np.ndarray:
        """Rows with every cell empty (the reference skips them)."""
        return np.asarray(~self.present.any(axis=1), dtype=bool)

    @cached_property
    def quotes(self) -> np.ndarray:
        """Rows with a double quote in a value (a JSON string would escape it; the other
        such characters are looked for per line, see :data:`NEEDS_ESCAPING`)."""
        found = np.zeros(self.rows, dtype=bool)
        for column in self._text:
            found |= pc.match_substring(column, '"').to_numpy(zero_copy_only=False)
        return found


# -- endpoint ids ---------------------------------------------------------------------


def uuid5_texts(names: Sequence[str]) -> pa.StringArray:
    """``str(uuid.uuid5(ADDRESS_ID_NAMESPACE, name))`` of each name, formatted as columns."""
    if not names:
        return pa.array([], type=pa.string())
    digests = b"".join(
        hashlib.sha1(_NAMESPACE + name.encode(), usedforsecurity=False).digest() for name in names
    )
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20)[:, :16].copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = np.empty((len(names), 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    text = np.empty((len(names), 36), dtype=np.uint8)
    text[:, _DASHES] = ord("-")
    keep = [i for i in range(36) if i not in _DASHES]
    text[:, keep] = hexed
    offsets = np.arange(0, 36 * (len(names) + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(names), pa.py_buffer(offsets.tobytes()), pa.py_buffer(text.tobytes())
    )


def endpoint_keys(cells: Cells) -> pa.Array:
    """Each row's endpoint id: its Id, else the uuid5 of ``ChannelType:Address`` (as
    :func:`~clarion.domain.audience.address_endpoint_id`), else null."""
    given = cells.field("Id")
    channel, address = cells.field("ChannelType"), cells.field("Address")
    if channel is None or address is None:
        derived = pa.nulls(cells.rows, pa.string())
    else:
        wanted = pc.and_(pc.is_valid(channel), pc.is_valid(address))
        if given is not None:
            wanted = pc.and_(wanted, pc.is_null(given))
        names = pc.binary_join_element_wise(
            pc.filter(channel, wanted), pc.filter(address, wanted), ":"
        )
        hashed = uuid5_texts(names.to_pylist())
        positions = np.flatnonzero(wanted.to_numpy(zero_copy_only=False))
        index = np.full(cells.rows, -1, dtype=np.int64)
        index[positions] = np.arange(len(positions))
        derived = hashed.take(pa.array(index, mask=index < 0))
    return derived if given is None else pc.coalesce(given, derived)


def duplicated(keys: pa.Array) -> np.ndarray:
    """Rows whose key appears more than once in the block."""
    valid = keys.is_valid().to_numpy(zero_copy_only=False)
    out = np.zeros(len(keys), dtype=bool)
    if not valid.any():
        return out
    codes = pc.fill_null(pc.dictionary_encode(keys).indices, -1).to_numpy()
    counts = np.bincount(codes[valid])
    out[valid] = counts[codes[valid]] > 1
    return out


# -- maps ---------------------------------------------------------------------------


def _empty_map(rows: int, item: pa.DataType) -> pa.MapArray:
    return pa.MapArray.from_arrays(
        pa.array(np.zeros(rows + 1, np.int32)), pa.array([], pa.string()), pa.array([], item)
    )


def group_map(cells: Cells, names: dict[str, list[int]]) -> pa.MapArray:
    """One attribute map (Attributes or User.UserAttributes) of every row: each name with
    its non-empty cells as values, names in header order (the relation's map column)."""
    rows = cells.rows
    if not names:
        return _empty_map(rows, pa.list_(pa.string()))
    order = [
        (position, index) for position, cells_of in enumerate(names.values()) for index in cells_of
    ]
    present = cells.present[:, [index for _, index in order]]
    # One list item per non-empty cell, in row order, then name order, then header order.
    row_of, slot = np.nonzero(present)
    values = pa.concat_arrays([cells.text(index) for _, index in order]).take(
        pa.array(slot.astype(np.int64) * rows + row_of)
    )
    name_of = np.array([position for position, _ in order], dtype=np.int64)[slot]
    starts = np.ones(len(slot), dtype=bool)  # a new (row, name) pair starts an entry
    if len(slot):
        starts[1:] = (row_of[1:] != row_of[:-1]) | (name_of[1:] != name_of[:-1])
    entry_starts = np.flatnonzero(starts)
    lists = pa.ListArray.from_arrays(
        pa.array(np.append(entry_starts, len(slot)).astype(np.int32)), values
    )
    keys = pa.array(list(names), pa.string()).take(pa.array(name_of[entry_starts]))
    offsets = np.searchsorted(row_of[entry_starts], np.arange(rows + 1)).astype(np.int32)
    return pa.MapArray.from_arrays(pa.array(offsets), keys, lists)


@dataclass
class Metrics:
    """Metrics.<Name> cells: the relation's map, and rows whose cells are not plain,
    finite JSON numbers."""

    relation: pa.MapArray
    doubtful: np.ndarray


def metric_map(cells: Cells, metrics: dict[str, int]) -> Metrics:
    rows = cells.rows
    doubtful = np.zeros(rows, dtype=bool)
    if not metrics:
        return Metrics(_empty_map(rows, pa.float64()), doubtful)
    numbers = []
    for index in metrics.values():
        cell = cells.cell(index)
        plain = pc.fill_null(pc.match_substring_regex(cell, JSON_NUMBER), True)
        value = pc.cast(pc.if_else(plain, cell, None), pa.float64())
        finite = pc.fill_null(pc.is_finite(value), True)
        doubtful |= ~pc.and_(plain, finite).to_numpy(zero_copy_only=False)
        numbers.append(value)
    present = np.stack([n.is_valid().to_numpy(zero_copy_only=False) for n in numbers], axis=1)
    row_of, slot = np.nonzero(present)
    values = pa.concat_arrays(numbers).take(pa.array(slot.astype(np.int64) * rows + row_of))
    keys = pa.array(list(metrics), pa.string()).take(pa.array(slot.astype(np.int64)))
    offsets = np.searchsorted(row_of, np.arange(rows + 1)).astype(np.int32)
    return Metrics(pa.MapArray.from_arrays(pa.array(offsets), keys, values), doubtful)


# -- checks ---------------------------------------------------------------------------


def in_values(values: pa.Array | None, allowed: Iterable[str]) -> np.ndarray | None:
    """True where the value is null or one of ``allowed`` (None when no column)."""
    if values is None:
        return None
    found = pc.is_in(values, value_set=pa.array(sorted(allowed), pa.string()))
    return pc.or_(pc.is_null(values), found).to_numpy(zero_copy_only=False)


def checked_by(values: pa.Array | None, check: Callable[[str], bool]) -> np.ndarray | None:
    """True where the value is null or ``check`` accepts it, each distinct value checked
    once (None when no column)."""
    if values is None:
        return None
    distinct = [value for value in pc.unique(values).to_pylist() if value is not None]
    good = [value for value in distinct if check(value)]
    return in_values(values, good)


CHANNELS = frozenset(channel.value for channel in ChannelType)
OPT_OUTS = frozenset(value.value for value in OptOut)
STATUSES = frozenset(value.value for value in EndpointStatus)


def address_ok(
    channel: pa.Array, address: pa.Array, email_domain_ok: Callable[[str], bool]
) -> np.ndarray:
    """Rows whose channel is a Pinpoint channel and whose address is plainly valid for it."""
    has = pc.and_(pc.is_valid(address), pc.not_equal(address, ""))
    known = pc.is_in(channel, value_set=pa.array(sorted(CHANNELS)))
    email = pc.equal(channel, ChannelType.EMAIL.value)
    phone = pc.is_in(channel, value_set=pa.array(["SMS", "VOICE"]))
    plain_email = pc.match_substring_regex(address, PLAIN_EMAIL)
    split = pc.split_pattern(address, "@", max_splits=1, reverse=True)
    domain = pc.list_element(pc.if_else(pc.fill_null(plain_email, False), split, None), 1)
    local = pc.list_element(pc.if_else(pc.fill_null(plain_email, False), split, None), 0)
    email_ok = pc.and_(
        pc.and_(plain_email, pc.less_equal(pc.binary_length(address), 254)),
        pc.less_equal(pc.binary_length(local), 64),
    )
    email_ok = pc.and_(email_ok, pa.array(checked_by(domain, email_domain_ok)))
    phone_ok = pc.match_substring_regex(address, E164)
    ok = pc.if_else(email, email_ok, pc.if_else(phone, phone_ok, True))
    result = pc.and_(pc.and_(has, known), ok)
    return pc.fill_null(result, False).to_numpy(zero_copy_only=False)


def values_short(cells: Cells, indexes: Iterable[int]) -> np.ndarray:
    """Rows whose cells among ``indexes`` are all within the attribute value limit (in
    bytes, which are never fewer than characters)."""
    ok = np.ones(cells.rows, dtype=bool)
    for index in indexes:
        lengths = pc.binary_length(cells.text(index)).to_numpy(zero_copy_only=False)
        ok &= lengths <= MAX_ATTRIBUTE_VALUE_LENGTH
    return ok


def number_in_range(values: pa.Array | None, limit: float) -> tuple[pa.Array | None, np.ndarray]:
    """A Location coordinate: the numbers, and rows where the cell is absent or a plain
    JSON number within ``[-limit, limit]``."""
    if values is None:
        return None, np.ones(0, dtype=bool)
    plain = pc.fill_null(pc.match_substring_regex(values, JSON_NUMBER), True)
    number = pc.cast(pc.if_else(plain, values, None), pa.float64())
    inside = pc.fill_null(
        pc.and_(pc.greater_equal(number, -limit), pc.less_equal(number, limit)), True
    )
    return number, pc.and_(plain, inside).to_numpy(zero_copy_only=False)


def document_bound(cells: Cells, now: str) -> np.ndarray:
    """An upper bound on the bytes of each row's new document: every present cell with
    its member's name and punctuation, the id and the dates."""
    bound = np.full(cells.rows, 160 + 36 + 2 * len(now), dtype=np.int64)
    for index, column in enumerate(cells.layout.columns):
        lengths = pc.binary_length(cells.text(index)).to_numpy(zero_copy_only=False)
        overhead = len(column.header) + 16
        bound += np.where(cells.present[:, index], lengths + overhead, 0)
    return bound


# -- the relation's columns and the stored document, in SQL ---------------------------


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cell(layout: Layout, dotted: str) -> str | None:
    index = layout.scalars.get(dotted)
    return None if index is None else f"r.c{index}"


def _string_member(name: str, cell: str) -> str:
    """``"name":"value"`` when the cell is not empty (values needing escapes are never
    written here)."""
    return (
        f"CASE WHEN {cell} <> '' THEN {_lit(_json_text(name) + ':')} || '\"' || {cell} || '\"' END"
    )


def _object_sql(name: str, members: Sequence[str]) -> str | None:
    if not members:
        return None
    inner = f"concat_ws(',', {', '.join(members)})"
    return f"CASE WHEN {inner} <> '' THEN {_lit(_json_text(name) + ':{')} || {inner} || '}}' END"


def _group_sql(layout: Layout, group: str, name: str) -> str | None:
    members = []
    for attribute, indexes in layout.lists[group].items():
        if len(indexes) == 1:
            cell = f"r.c{indexes[0]}"
            members.append(
                f"CASE WHEN {cell} <> '' THEN "
                f"{_lit(_json_text(attribute) + ':[')} || '\"' || {cell} || '\"]' END"
            )
        else:
            values = ", ".join(
                f"CASE WHEN r.c{i} <> '' THEN '\"' || r.c{i} || '\"' END" for i in indexes
            )
            inner = f"concat_ws(',', {values})"
            members.append(
                f"CASE WHEN {inner} <> '' THEN {_lit(_json_text(attribute) + ':[')} "
                f"|| {inner} || ']' END"
            )
    return _object_sql(name, members)


def document_sql(layout: Layout) -> str:
    """The row's partial Pinpoint document, fields in the model's order (``$now`` for
    absent dates; ``e`` the stored endpoint, if any, for CreationDate)."""
    members = []
    for name in TOP_LEVEL_ORDER:
        cell = _cell(layout, name)
        if name == "Id":
            members.append("'\"Id\":\"' || r.key || '\"'")
        elif name == "EffectiveDate":
            value = f"coalesce(NULLIF({cell}, ''), $now)" if cell else "$now"
            members.append(f"'\"EffectiveDate\":\"' || {value} || '\"'")
        elif name == "CreationDate":
            given = f"NULLIF({cell}, ''), " if cell else ""
            members.append(
                f"'\"CreationDate\":\"' || coalesce({given}e.creation_date, $now) || '\"'"
            )
        elif cell is not None:
            members.append(_string_member(name, cell))
    attributes = _group_sql(layout, "Attributes", "Attributes")
    metrics = [
        f"CASE WHEN r.c{index} <> '' THEN {_lit(_json_text(metric) + ':')} || r.c{index} END"
        for metric, index in layout.metrics.items()
    ]
    demographic = [
        _string_member(name, cell)
        for name in DEMOGRAPHIC
        if (cell := _cell(layout, f"Demographic.{name}")) is not None
    ]
    location = [
        f"CASE WHEN {cell} <> '' THEN {_lit(_json_text(name) + ':')} || {cell} END"
        if name in LOCATION_RANGES
        else _string_member(name, cell)
        for name in LOCATION
        if (cell := _cell(layout, f"Location.{name}")) is not None
    ]
    user_members = []
    if (cell := _cell(layout, "User.UserId")) is not None:
        user_members.append(_string_member("UserId", cell))
    if (user_attributes := _group_sql(layout, "User.UserAttributes", "UserAttributes")) is not None:
        user_members.append(user_attributes)
    for part in (
        attributes,
        _object_sql("Metrics", metrics),
        _object_sql("Demographic", demographic),
        _object_sql("Location", location),
        _object_sql("User", user_members),
    ):
        if part is not None:
            members.append(part)
    return "'{' || concat_ws(',', " + ", ".join(members) + ") || '}'"


_SCALAR_FIELDS = {
    "channel_type": "ChannelType",
    "address": "Address",
    "endpoint_status": "EndpointStatus",
    "opt_out": "OptOut",
    "user_id": "User.UserId",
    "cohort_id": "CohortId",
    **{f"demographic_{_snake(name)}": f"Demographic.{name}" for name in DEMOGRAPHIC},
    **{f"location_{_snake(name)}": f"Location.{name}" for name in LOCATION},
}
_DEFAULTS = {"endpoint_status": "'ACTIVE'", "opt_out": "'NONE'"}


def relation_sql(layout: Layout, column_names: Sequence[str]) -> str:
    """``SELECT`` of the ``endpoints`` relation's columns for the plain rows of
    ``import_rows r``, merged with their stored endpoints ``import_existing e``."""
    document = document_sql(layout)
    selected = []
    for name in column_names:
        if name == "id":
            selected.append("r.key")
        elif name in _SCALAR_FIELDS:
            dotted = _SCALAR_FIELDS[name]
            cell = _cell(layout, dotted)
            given = (
                (
                    f"TRY_CAST(NULLIF({cell}, '') AS DOUBLE)"
                    if dotted.removeprefix("Location.") in LOCATION_RANGES
                    else f"NULLIF({cell}, '')"
                )
                if cell
                else None
            )
            parts = [p for p in (given, f"e.{name}", _DEFAULTS.get(name)) if p]
            selected.append(f"coalesce({', '.join(parts)})")
        elif name == "effective_date":
            cell = _cell(layout, "EffectiveDate")
            selected.append(f"coalesce(NULLIF({cell}, ''), $now)" if cell else "$now")
        elif name == "creation_date":
            cell = _cell(layout, "CreationDate")
            given = f"NULLIF({cell}, ''), " if cell else ""
            selected.append(f"coalesce({given}e.creation_date, $now)")
        elif name in ("attributes", "user_attributes", "metrics"):
            selected.append(
                f"CASE WHEN e.id IS NULL THEN r.{name} ELSE map_concat(e.{name}, r.{name}) END"
            )
        elif name == "last_active_ms":
            selected.append("greatest(e.last_active_ms, r.effective_ms)")
        elif name == "document":
            selected.append(
                f"CASE WHEN e.id IS NULL THEN {document} "
                f"ELSE json_merge_patch(e.document, {document})::VARCHAR END"
            )
        else:
            raise ValueError(f"no source for endpoints column {name!r}")
    columns = ", ".join(
        f"{expression} AS {name}" for expression, name in zip(selected, column_names, strict=True)
    )
    return (
        f"SELECT {columns} FROM import_rows r "
        "LEFT JOIN import_existing e ON e.id = r.key WHERE r.plain"
    )
