"""The columnar CSV import against the per-row importer, its reference: for random files
of valid and broken rows (and stores already holding some of their endpoints), both give
the same result (counts, every rejection with its line, field and reason, in order), the
same stored endpoints and the same imported segment.

The vocabularies are small on purpose: endpoint ids, addresses and users repeat, so rows
update each other, users reach the 15-endpoint limit, and blocks of a few hundred bytes
put rows that depend on each other in different blocks.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.adapters.local.audience.columnar_endpoint_import import (
    DuckDBColumnarEndpointImport,
)
from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository
from clarion.domain.audience import ImportFileError
from clarion.services.audience import EndpointImportService
from clarion.services.segments import SegmentService

NOW = "2026-01-02T03:04:05.000Z"
LONG_NAME = "N" * 51

# Per column: values the domain accepts (most cells), and values it refuses or that the
# columnar checks leave to the reference (one cell in ten or so).
CELLS: dict[str, tuple[list[str], list[str]]] = {
    "Id": (["", "", "", "ep-1", "ep-2", "ep-3"], []),
    "User.UserId": (["", "u1", "u1", "u2", "u3"], []),
    "Attributes.Plan": (["gold", "", "Zoë", "a,b", "silver"], ['say "hi"', "x" * 101, "b\\s"]),
    "Attributes.Team": (["red", "", "blue"], ["tab\there"]),
    "User.UserAttributes.FirstName": (["Zoë", "Liam", "", "José"], []),
    f"Attributes.{LONG_NAME}": ([""], ["v"]),
    "Metrics.Visits": (["", "1", "2.5", "1e3", "-0"], ["01", "abc", "1e400", " 3", "NaN"]),
    "Demographic.Timezone": (["", "Europe/Paris", "America/New_York"], ["Mars/Olympus"]),
    "Demographic.Locale": (["", "en_US"], []),
    "Location.Latitude": (["", "48.85", "-90", "1e1"], ["91", "x"]),
    "Location.Country": (["", "FR"], []),
    "OptOut": (["", "NONE", "ALL"], ["none"]),
    "EndpointStatus": (["", "ACTIVE", "INACTIVE"], ["DELETED"]),
    "EffectiveDate": (["", "2024-01-01", "2024-05-01T10:00:00Z"], ["2024-02-30", "soon"]),
    "CreationDate": (["", "2023-06-01T00:00:00+02:00"], ["yesterday"]),
    "CohortId": (["", "7"], []),
}
# Channel and address go together: mostly matching pairs, now and then a mismatch.
ADDRESSES = {
    "EMAIL": ["zoe@example.com", "liam@example.org", "mia.o'brien@example.net", "z@example.com"],
    "SMS": ["+14155550100", "+14155550101", "+14155550102"],
    "VOICE": ["+14155550100"],
    "CUSTOM": ["anything at all"],
}
BAD_ADDRESSES = ["4155550100", "not-an-address", "a@b@example.com", "zoë@example.com", ""]
BAD_CHANNELS = ["email", "FAX", ""]
REPEATABLE = ("Attributes.Plan",)
# Raw lines that are not one well-formed record: the columnar reader must hand them (and,
# for a value with a line break, what follows) to the reference parser.
ODD_LINES = [
    "",
    ",,,",
    'EMAIL,"multi\nline@example.com"',
    'EMAIL,ab"c@example.com',
    'EMAIL,"q"x@example.com',
    "EMAIL,zoe@example.com,extra,cells,beyond,the,header,and,more,still,more,x,y,z",
    "\tEMAIL,zoe@example.com",
]


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=0, max_size=8, unique=True))
    position = draw(st.integers(min_value=0, max_value=len(chosen)))
    for name in ("Address", "ChannelType"):
        if draw(st.integers(min_value=0, max_value=7)):
            chosen.insert(position, name)
    for name in REPEATABLE:
        if name in chosen and draw(st.booleans()):
            chosen.append(name)
    return chosen


@st.composite
def files(draw: st.DrawFn, header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        if draw(st.integers(min_value=0, max_value=12)) == 0:
            out.write(draw(st.sampled_from(ODD_LINES)) + "\n")
            continue
        row = [_cell(draw, name) for name in header]
        channel = draw(st.sampled_from(sorted(ADDRESSES)))
        address = draw(st.sampled_from(ADDRESSES[channel]))
        if _broken(draw):
            channel = draw(st.sampled_from(BAD_CHANNELS + sorted(ADDRESSES)))
        if _broken(draw):
            address = draw(st.sampled_from(BAD_ADDRESSES + ADDRESSES["EMAIL"]))
        for name, value in (("ChannelType", channel), ("Address", address)):
            if name in header:
                row[header.index(name)] = value
        if draw(st.integers(min_value=0, max_value=15)) == 0:
            row = row[: draw(st.integers(min_value=0, max_value=len(row)))]
        writer.writerow(row)
    return out.getvalue()


def _broken(draw: st.DrawFn) -> bool:
    return draw(st.integers(min_value=0, max_value=9)) == 0


def _cell(draw: st.DrawFn, name: str) -> str:
    if name not in CELLS:
        return ""
    good, bad = CELLS[name]
    return draw(st.sampled_from(bad if bad and _broken(draw) else good))


class _Backend:
    """One in-memory database with the import service, columnar or not."""

    def __init__(self, columnar: bool, block_bytes: int) -> None:
        self.database = LocalDatabase(None)
        profiles = DuckDBProfileStore(self.database)
        segments = SegmentService(
            DuckDBSegmentRepository(self.database), DuckDBAudienceQuery(self.database)
        )
        self.service = EndpointImportService(
            profiles,
            segments,
            batch_size=7,
            columnar=DuckDBColumnarEndpointImport(self.database, block_bytes) if columnar else None,
            clock=lambda: NOW,
        )

    def run(self, text: str, segment: str | None) -> dict[str, Any]:
        try:
            result = self.service.import_stream(
                io.BytesIO(text.encode("utf-8")), name="endpoints.csv", segment_name=segment
            )
        except ImportFileError as exc:  # the whole file refused: the same way
            return {"refused": str(exc)}
        outcome = result.to_json() | {
            "rejected_lines": result.rejected_lines,
            "rejected_total": result.rejected_total,
        }
        outcome.pop("segment_id")
        return outcome

    def state(self) -> dict[str, Any]:
        cursor = self.database.cursor()
        rows = cursor.execute("SELECT * FROM endpoints ORDER BY id").fetchall()
        names = [column[0] for column in cursor.description]
        endpoints = []
        for row in rows:
            record = dict(zip(names, row, strict=True))
            record["document"] = json.loads(record["document"])
            endpoints.append(record)
        members = cursor.execute(
            "SELECT endpoint_id FROM imported_segment_members ORDER BY endpoint_id"
        ).fetchall()
        return {"endpoints": endpoints, "members": members}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str | None, str, int]:
    header = draw(headers())
    before = draw(files(header)) if draw(st.booleans()) else None
    return before, draw(files(header)), draw(st.sampled_from([64, 300, 1 << 20]))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_columnar_import_gives_the_reference_result(
    scenario: tuple[str | None, str, int],
) -> None:
    before, text, block_bytes = scenario
    reference = _Backend(columnar=False, block_bytes=block_bytes)
    columnar = _Backend(columnar=True, block_bytes=block_bytes)
    if before is not None:
        # The same stored endpoints on both sides, imported by the reference.
        _Backend.run(_reference_into(columnar), before, None)
        reference.run(before, None)
    assert columnar.run(text, "imported") == reference.run(text, "imported")
    assert columnar.state() == reference.state()


def _reference_into(backend: _Backend) -> _Backend:
    """``backend`` importing through its per-row path (for the stored endpoints)."""
    plain = _Backend.__new__(_Backend)
    plain.database = backend.database
    plain.service = EndpointImportService(
        DuckDBProfileStore(backend.database),
        SegmentService(
            DuckDBSegmentRepository(backend.database), DuckDBAudienceQuery(backend.database)
        ),
        batch_size=7,
        clock=lambda: NOW,
    )
    return plain


def test_a_plain_file_is_written_as_columns_not_row_by_row() -> None:
    """The fast path is taken: a clean whitepaper-style file defers no row."""
    header = ["ChannelType", "Address", "User.UserAttributes.FirstName", "User.UserId"]
    lines = [",".join(header)] + [f"EMAIL,c{n}@example.com,Zoë,user-{n}" for n in range(50)]
    backend = _Backend(columnar=True, block_bytes=256)
    columnar = backend.service._columnar
    assert columnar is not None
    chunks = list(
        columnar.import_csv(
            io.BytesIO(("\n".join(lines) + "\n").encode()),
            now=NOW,
            accepts=lambda names: True,
            batch_size=10,
        )
    )
    assert sum(chunk.imported for chunk in chunks) == 50
    assert all(not chunk.deferred for chunk in chunks)
    assert len(chunks) > 1  # several blocks


def test_rows_beyond_the_attribute_name_budget_go_row_by_row() -> None:
    backend = _Backend(columnar=True, block_bytes=256)
    columnar = backend.service._columnar
    assert columnar is not None
    text = "ChannelType,Address,Attributes.Plan\nEMAIL,a@example.com,gold\n"
    chunks = list(
        columnar.import_csv(
            io.BytesIO(text.encode()), now=NOW, accepts=lambda names: False, batch_size=10
        )
    )
    assert [chunk.imported for chunk in chunks] == [0]
    assert [record.line for chunk in chunks for record in chunk.deferred] == [2]


def _same_outcome(text: str, before: str | None = None, block_bytes: int = 200) -> None:
    reference = _Backend(columnar=False, block_bytes=block_bytes)
    columnar = _Backend(columnar=True, block_bytes=block_bytes)
    if before is not None:
        _reference_into(columnar).run(before, None)
        reference.run(before, None)
    assert columnar.run(text, "imported") == reference.run(text, "imported")
    assert columnar.state() == reference.state()


def test_users_at_the_endpoint_limit_get_the_reference_rejections() -> None:
    header = "ChannelType,Address,User.UserId\n"
    before = header + "".join(f"EMAIL,old{n}@example.com,u1\n" for n in range(12))
    rows = "".join(f"EMAIL,new{n}@example.com,u{1 + n % 2}\n" for n in range(12))
    moves = "EMAIL,old0@example.com,u2\nEMAIL,extra@example.com,u1\n"
    _same_outcome(header + rows + moves, before)
    backend = _Backend(columnar=True, block_bytes=100)
    _reference_into(backend).run(before, None)
    outcome = backend.run(header + rows + moves, None)
    assert {item["field"] for item in outcome["rejected"]} == {"User.UserId"}


def test_the_whitepaper_sample_with_broken_rows_matches_the_reference() -> None:
    from clarion_devkit.samples.customers import write_customers

    out = io.StringIO()
    write_customers(out, 300, seed=7, bad_rows=9)
    _same_outcome(out.getvalue(), block_bytes=4096)
    _same_outcome(out.getvalue(), before=out.getvalue(), block_bytes=4096)


def test_a_short_line_before_a_plain_row_of_its_endpoint_keeps_line_order() -> None:
    # Found by the differential test: the short line goes to the reference parser, and
    # the later plain row of the same endpoint was written first, then overwritten.
    header = "ChannelType,Address,EffectiveDate,OptOut\n"
    _same_outcome(header + "EMAIL,zoe@example.com\nEMAIL,zoe@example.com,2024-01-01,\n")
