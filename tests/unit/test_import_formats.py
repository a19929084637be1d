"""Parsing endpoint import files: CSV headers and rows, NDJSON, Pinpoint exports."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from clarion.domain.audience.import_formats import (
    FileFormat,
    ImportFileError,
    ParsedRecord,
    address_endpoint_id,
    detect_format,
    parse_header,
    read_records,
)

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "imports"


def _records(content: bytes, name: str = "f.csv", file_format: str | None = None) -> list:
    return list(read_records(io.BytesIO(content), name=name, file_format=file_format))


def _by_line(records: list[ParsedRecord]) -> dict[int, ParsedRecord]:
    return {record.line: record for record in records}


# -- format detection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("customers.csv", b"ChannelType,Address", (FileFormat.CSV, False)),
        ("CUSTOMERS.CSV", b"ChannelType", (FileFormat.CSV, False)),
        ("e.json", b"{", (FileFormat.JSON, False)),
        ("e.jsonl", b"{", (FileFormat.JSON, False)),
        ("e.ndjson", b"{", (FileFormat.JSON, False)),
        ("export/part-0.gz", b"\x1f\x8b\x08", (FileFormat.EXPORT, True)),
        ("no-suffix", b"\x1f\x8b\x08", (FileFormat.EXPORT, True)),
        ("e.json.gz", b"\x1f\x8b\x08", (FileFormat.EXPORT, True)),
        ("customers.csv.gz", b"\x1f\x8b\x08", (FileFormat.CSV, True)),
        ("no-suffix", b'\xef\xbb\xbf  {"Id":"x"}', (FileFormat.JSON, False)),
        ("no-suffix", b"ChannelType,Address", (FileFormat.CSV, False)),
    ],
)
def test_format_is_detected_from_name_and_magic_bytes(name, head, expected) -> None:
    assert detect_format(name, head) == expected


def test_format_can_be_overridden() -> None:
    content = b"ChannelType,Address\nEMAIL,a@example.com\n"
    # Named .json, but the caller knows better.
    [record] = _records(content, name="mislabelled.json", file_format="csv")
    assert record.data == {"ChannelType": "EMAIL", "Address": "a@example.com"}


def test_unknown_format_name_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="xml"):
        _records(b"x", file_format="xml")


# -- CSV header -----------------------------------------------------------------------


def test_header_maps_dotted_names_to_nested_paths() -> None:
    columns = parse_header(
        [
            "ChannelType",
            " Address ",
            "User.UserId",
            "User.UserAttributes.First Name",
            "Attributes.Plan",
            "Metrics.Visits",
            "Demographic.Timezone",
            "Location.Latitude",
        ]
    )
    assert [c.path for c in columns] == [
        ("ChannelType",),
        ("Address",),
        ("User", "UserId"),
        ("User", "UserAttributes", "First Name"),
        ("Attributes", "Plan"),
        ("Metrics", "Visits"),
        ("Demographic", "Timezone"),
        ("Location", "Latitude"),
    ]


@pytest.mark.parametrize(
    "bad", ["Foo", "Demographic.ShoeSize", "Location.Planet", "Attributes.", "User.Name", ""]
)
def test_unknown_column_is_a_whole_file_error_naming_it(bad: str) -> None:
    content = f"ChannelType,Address,{bad}\nEMAIL,a@example.com,x\n".encode()
    with pytest.raises(ImportFileError) as caught:
        _records(content)
    assert caught.value.column == (bad or "(empty)")
    assert repr(bad or "(empty)") in str(caught.value)


def test_unknown_column_fails_before_any_row_is_read() -> None:
    # Raised by the call itself, not on iteration, so callers can refuse the file before
    # creating a segment or writing anything.
    content = b"ChannelType,Foo\n" + b"EMAIL,x\n" * 3
    with pytest.raises(ImportFileError, match="Foo"):
        read_records(io.BytesIO(content), name="x.csv")


def test_a_repeated_non_attribute_column_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="Address"):
        _records(b"ChannelType,Address,Address\nEMAIL,a@example.com,b@example.com\n")


def test_undecodable_header_is_a_file_error() -> None:
    # UTF-16 (what some spreadsheet exports write) is not UTF-8.
    content = "ChannelType,Address\nEMAIL,a@example.com\n".encode("utf-16")
    with pytest.raises(ImportFileError, match="UTF-8"):
        _records(content)


def test_empty_file_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="empty"):
        _records(b"")


# -- CSV rows -------------------------------------------------------------------------


def test_fixture_rows_parse_to_nested_pinpoint_json() -> None:
    records = _by_line(_records((FIXTURES / "customers.csv").read_bytes()))
    zoe = records[2]
    assert zoe.problems == []
    assert zoe.data == {
        "ChannelType": "EMAIL",
        "Address": "zoe.muller@example.com",
        "User": {
            "UserId": "cust-1",
            "UserAttributes": {"FirstName": ["Zoë"], "LastName": ["Müller"]},
        },
        # Repeated column: values in column order, the empty third cell skipped.
        "Attributes": {"Interests": ["Cycling, road", "Books"]},
        "Metrics": {"Visits": 12.0},
        "Location": {"Country": "DE", "City": "Berlin", "Latitude": 52.52, "Longitude": 13.405},
        "Demographic": {"Timezone": "Europe/Berlin", "Locale": "de_DE"},
        "OptOut": "NONE",
        "EndpointStatus": "ACTIVE",
    }
    jose = records[5]
    assert jose.data["Id"] == "ep-jose"
    assert jose.data["User"]["UserAttributes"]["LastName"] == ["García, Jr."]
    assert jose.data["Attributes"] == {"Interests": ["Travel", "Music"]}
    assert jose.data["Metrics"] == {"Visits": 3.5}
    amelia = records[9]
    assert amelia.data["User"]["UserAttributes"]["LastName"] == ['O\'Brien, "Amy"']


def test_empty_cells_are_absent_fields() -> None:
    records = _by_line(_records((FIXTURES / "customers.csv").read_bytes()))
    sms = records[3].data
    assert "Id" not in sms
    assert "Metrics" not in sms
    assert "Attributes" not in sms
    assert "EndpointStatus" not in sms
    assert "Latitude" not in sms["Location"]


def test_bad_metric_is_a_record_problem_naming_the_column() -> None:
    records = _by_line(_records((FIXTURES / "customers.csv").read_bytes()))
    visits = records[6]
    assert [p.field for p in visits.problems] == ["Metrics.Visits"]
    assert "'lots'" in visits.problems[0].reason
    # The rest of the row still parsed, so validation can report more.
    assert visits.data["Address"] == "visits@example.net"
    assert "Metrics" not in visits.data


@pytest.mark.parametrize(("cell", "ok"), [("nan", False), ("inf", False), ("1e3", True)])
def test_metrics_must_be_finite_numbers(cell: str, ok: bool) -> None:
    [record] = _records(f"ChannelType,Address,Metrics.X\nEMAIL,a@example.com,{cell}\n".encode())
    assert (record.problems == []) is ok
    if ok:
        assert record.data["Metrics"] == {"X": 1000.0}


def test_bad_latitude_is_a_record_problem() -> None:
    [record] = _records(b"ChannelType,Address,Location.Latitude\nEMAIL,a@example.com,north\n")
    assert [p.field for p in record.problems] == ["Location.Latitude"]


def test_line_numbers_are_physical_lines_with_the_header_as_line_one() -> None:
    content = (
        b"ChannelType,Address,Attributes.Note\n"
        b"EMAIL,a@example.com,one\n"
        b"\n"  # blank line: skipped but counted
        b'EMAIL,b@example.com,"two\nlines"\n'  # a quoted line break spans lines 4-5
        b"EMAIL,c@example.com,three\n"
    )
    records = _records(content)
    assert [(r.line, r.data["Address"]) for r in records] == [
        (2, "a@example.com"),
        (4, "b@example.com"),
        (6, "c@example.com"),
    ]


def test_utf8_bom_and_crlf_are_tolerated() -> None:
    content = (
        "\ufeffChannelType,Address,User.UserAttributes.FirstName\r\nEMAIL,z@example.com,Zoë\r\n"
    )
    [record] = _records(content.encode("utf-8"))
    assert record.data["ChannelType"] == "EMAIL"
    assert record.data["User"]["UserAttributes"]["FirstName"] == ["Zoë"]


def test_invalid_utf8_rejects_that_row_only() -> None:
    content = (
        b"ChannelType,Address\nEMAIL,a@example.com\nEMAIL,b\xff@example.com\nEMAIL,c@example.com\n"
    )
    records = _by_line(_records(content))
    assert records[2].problems == [] and records[4].problems == []
    assert [p.reason for p in records[3].problems] == ["the line is not valid UTF-8"]


def test_too_many_values_is_a_record_problem() -> None:
    [record] = _records(b"ChannelType,Address\nEMAIL,a@example.com,extra\n")
    assert record.problems[0].field == "(record)"
    assert "3 values" in record.problems[0].reason


def test_gzipped_csv_is_read() -> None:
    content = gzip.compress(b"ChannelType,Address\nEMAIL,a@example.com\n")
    [record] = _records(content, name="customers.csv.gz")
    assert record.data == {"ChannelType": "EMAIL", "Address": "a@example.com"}


def test_parsing_is_lazy() -> None:
    # A million-row file must not be read up front: take two records of a long stream.
    body = b"".join(b"EMAIL,user%d@example.com\n" % i for i in range(50_000))
    records = read_records(io.BytesIO(b"ChannelType,Address\n" + body), name="big.csv")
    first = next(records)
    second = next(records)
    assert (first.line, second.line) == (2, 3)


# -- NDJSON and exports ----------------------------------------------------------------


def test_ndjson_fixture() -> None:
    records = _by_line(_records((FIXTURES / "endpoints.ndjson").read_bytes(), name="e.ndjson"))
    assert sorted(records) == [1, 2, 4, 5, 6]  # line 3 is blank
    assert records[1].data["Attributes"] == {"Ride": ["Bus", "Tram"]}
    assert records[1].problems == []
    assert records[5].problems[0].field == "(record)"
    assert "not valid JSON" in records[5].problems[0].reason
    # Shape errors are for validation; the parser passes the object on.
    assert records[4].problems == [] and records[4].data["Attributes"] == {"Ride": "Bus"}


def test_ndjson_line_that_is_not_an_object_is_rejected() -> None:
    records = _records(b'[1, 2]\n{"ChannelType": "EMAIL", "Address": "a@example.com"}\n', "x.json")
    assert records[0].problems[0].reason == "each line must be one JSON object"
    assert records[1].problems == []


def test_gzipped_export_fixture_requires_ids() -> None:
    path = FIXTURES / "pinpoint-export.gz"
    records = _by_line(_records(path.read_bytes(), name=path.name))
    assert set(records) == {1, 2, 3, 4}
    assert records[1].data["ApplicationId"] == "0123456789abcdef0123456789abcdef"
    assert records[1].data["CreationDate"] == "2024-03-01T10:00:00.000Z"
    assert records[1].problems == []
    assert [p.field for p in records[3].problems] == ["Id"]


def test_plain_export_can_be_chosen_explicitly() -> None:
    line = json.dumps({"ChannelType": "EMAIL", "Address": "a@example.com"}).encode()
    [as_json] = _records(line, name="x.json")
    [as_export] = _records(line, name="x.json", file_format="export")
    assert as_json.problems == []
    assert [p.field for p in as_export.problems] == ["Id"]


def test_address_ids_are_deterministic_and_distinct() -> None:
    first = address_endpoint_id("EMAIL", "a@example.com")
    assert first == address_endpoint_id("EMAIL", "a@example.com")
    assert first != address_endpoint_id("SMS", "a@example.com")
    assert first != address_endpoint_id("EMAIL", "b@example.com")
