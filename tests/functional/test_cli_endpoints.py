"""``clarion endpoints``: import, get and sample, through the real CLI on a temporary home."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clarion.domain.audience.import_formats import address_endpoint_id
from clarion.entrypoints.cli.main import app
from clarion_devkit.samples.customers import WHITEPAPER_HEADER

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "imports"

runner = CliRunner()


def _run(home: Path, *args: str, json_output: bool = True):
    flags = ["--home", str(home), *(["--json"] if json_output else [])]
    return runner.invoke(app, [*flags, "endpoints", *args])


def test_import_prints_the_result_json_and_exits_zero_despite_rejections(tmp_path: Path) -> None:
    result = _run(tmp_path, "import", str(FIXTURES / "customers.csv"))

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"imported", "updated", "rejected", "segment_id"}
    assert (data["imported"], data["updated"], data["segment_id"]) == (4, 0, None)
    assert [(r["line"], r["field"]) for r in data["rejected"]] == [
        (4, "Address"),
        (6, "Metrics.Visits"),
        (7, "Address"),
        (8, "Demographic.Timezone"),
    ]


def test_import_into_a_segment(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "import", str(FIXTURES / "pinpoint-export.gz"), "--segment", "Old customers"
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 3
    assert isinstance(data["segment_id"], str) and data["segment_id"]


def test_format_override(tmp_path: Path) -> None:
    source = tmp_path / "endpoints.txt"
    source.write_bytes((FIXTURES / "endpoints.ndjson").read_bytes())
    as_export = _run(tmp_path / "a", "import", str(source), "--format", "export")
    as_json = _run(tmp_path / "b", "import", str(source), "--format", "json")
    as_csv = _run(tmp_path / "c", "import", str(source), "--format", "csv")

    # Export lines must carry an Id (two of them do); plain NDJSON lines need not.
    assert json.loads(as_export.stdout)["imported"] == 2
    assert json.loads(as_json.stdout)["imported"] == 3
    # Read as CSV, the first line is a header of unknown columns.
    assert as_csv.exit_code == 2


def test_get_prints_the_endpoint_as_pinpoint_json(tmp_path: Path) -> None:
    _run(tmp_path, "import", str(FIXTURES / "customers.csv"))
    endpoint_id = address_endpoint_id("EMAIL", "zoe.muller@example.com")
    result = _run(tmp_path, "get", endpoint_id)

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["Id"] == endpoint_id
    assert document["User"]["UserAttributes"]["FirstName"] == ["Zoë"]
    assert document["Attributes"]["Interests"] == ["Cycling, road", "Books"]


def test_get_unknown_endpoint_fails_with_exit_one(tmp_path: Path) -> None:
    result = _run(tmp_path, "get", "no-such-endpoint")

    assert result.exit_code == 1
    assert "no-such-endpoint" in json.loads(result.stderr)["error"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "cannot read"),
        ("foo.csv", "ChannelType,Address,Foo\nEMAIL,a@example.com,1\n", "'Foo'"),
        ("empty.csv", "", "empty"),
    ],
)
def test_a_file_that_cannot_be_imported_exits_two(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = _run(tmp_path / "home", "import", str(path), "--segment", "x")

    assert result.exit_code == 2
    assert expected in json.loads(result.stderr)["error"]
    assert result.stdout == ""


def test_human_summary_lists_rejections(tmp_path: Path) -> None:
    result = _run(tmp_path, "import", str(FIXTURES / "customers.csv"), json_output=False)

    assert result.exit_code == 0, result.output
    assert "4 imported" in result.stdout
    assert "4 rows rejected" in result.stdout
    assert "Metrics.Visits" in result.stdout
    assert "Demographic.Timezone" in result.stdout


def test_sample_then_import_shows_the_injected_bad_rows(tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    sample = _run(tmp_path, "sample", "--count", "300", "--out", str(out), "--seed", "7",
                  "--bad-rows", "3")  # fmt: skip
    assert sample.exit_code == 0, sample.output
    written = json.loads(sample.stdout)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == WHITEPAPER_HEADER
    assert len(rows) == 301

    imported = json.loads(_run(tmp_path, "import", str(out)).stdout)
    rejected = [(r["line"], r["field"]) for r in imported["rejected"]]
    assert rejected == [(b["line"], b["field"]) for b in written["bad_rows"]]
    assert imported["imported"] + imported["updated"] == 297


def test_sample_is_repeatable(tmp_path: Path) -> None:
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    _run(tmp_path, "sample", "--count", "50", "--out", str(first), "--seed", "3")
    _run(tmp_path, "sample", "--count", "50", "--out", str(second), "--seed", "3")
    assert first.read_bytes() == second.read_bytes()
