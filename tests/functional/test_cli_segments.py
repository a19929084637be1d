"""``clarion segments`` end to end on the local backend: the whitepaper's refined segment
(an imported segment narrowed by channel and user attributes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.entrypoints.cli.main import app
from clarion.services.segments.service import SegmentService

runner = CliRunner()


def _endpoint(
    endpoint_id: str, channel: str, address: str, company: str, first_name: str
) -> dict[str, Any]:
    return {
        "Id": endpoint_id,
        "ChannelType": channel,
        "Address": address,
        "User": {
            "UserId": endpoint_id,
            "UserAttributes": {"Company": [company], "FirstName": [first_name]},
        },
    }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A CLARION_HOME with five endpoints, four of them in an imported segment."""
    database = LocalDatabase(tmp_path)
    DuckDBProfileStore(database).put_endpoints(
        [
            validate_endpoint(e)
            for e in (
                _endpoint("match", "EMAIL", "ana@example.com", "AnyCompany", "Ana"),
                _endpoint("sms", "SMS", "+14155550100", "AnyCompany", "Ana"),
                _endpoint("other-co", "EMAIL", "bo@example.com", "Example Corp", "Ana"),
                _endpoint("lower-case", "EMAIL", "cy@example.com", "anycompany", "Ana"),
                _endpoint("not-imported", "EMAIL", "di@example.com", "AnyCompany", "Ana"),
            )
        ]
    )
    service = SegmentService(DuckDBSegmentRepository(database), DuckDBAudienceQuery(database))
    imported = service.create_imported_segment("customers.csv")
    service.add_imported_members(imported, ["match", "sms", "other-co", "lower-case"])
    (tmp_path / "imported-id").write_text(imported)
    database.close()
    return tmp_path


def _invoke(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", "segments", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _refined(imported: str) -> dict[str, Any]:
    return {
        "Name": "AnyCompany Anas by email",
        "SegmentGroups": {
            "Include": "ALL",
            "Groups": [
                {
                    "SourceSegments": [{"Id": imported}],
                    "SourceType": "ANY",
                    "Type": "ALL",
                    "Dimensions": [
                        {
                            "Demographic": {
                                "Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}
                            }
                        },
                        {
                            "UserAttributes": {
                                "Company": {"AttributeType": "INCLUSIVE", "Values": ["AnyCompany"]}
                            }
                        },
                        {
                            "UserAttributes": {
                                "FirstName": {"AttributeType": "INCLUSIVE", "Values": ["Ana"]}
                            }
                        },
                    ],
                }
            ],
        },
    }


def test_refined_segment_selects_imported_email_endpoints_of_the_company(home: Path) -> None:
    imported = (home / "imported-id").read_text()
    request = home / "refined.json"
    request.write_text(json.dumps({"WriteSegmentRequest": _refined(imported)}))

    segment_id = _invoke(home, "create", str(request))["id"]

    assert _invoke(home, "preview", segment_id) == {"count": 1}
    assert _invoke(home, "members", segment_id) == ["match"]
    stored = _invoke(home, "get", segment_id)
    assert stored["Version"] == 1
    assert stored["SegmentType"] == "DIMENSIONAL"
    assert stored["SegmentGroups"]["Groups"][0]["SourceSegments"] == [{"Id": imported}]
    listed = {s["Id"]: s for s in _invoke(home, "list")}
    assert set(listed) == {segment_id, imported}
    assert listed[imported]["ImportDefinition"]["Size"] == 4
    sql = _invoke(home, "sql", segment_id)["sql"]
    assert sql.startswith("SELECT id FROM endpoints WHERE")
    assert "imported_segment_members" in sql


def test_update_makes_a_new_version_and_old_versions_stay_readable(home: Path) -> None:
    imported = (home / "imported-id").read_text()
    first = home / "v1.json"
    first.write_text(json.dumps(_refined(imported)))
    segment_id = _invoke(home, "create", str(first))["id"]
    wider = _refined(imported)
    wider["SegmentGroups"]["Groups"][0]["Dimensions"] = wider["SegmentGroups"]["Groups"][0][
        "Dimensions"
    ][1:]
    second = home / "v2.json"
    second.write_text(json.dumps(wider))

    assert _invoke(home, "update", segment_id, str(second)) == {"id": segment_id, "version": 2}

    assert sorted(_invoke(home, "members", segment_id)) == ["match", "sms"]
    assert _invoke(home, "members", segment_id, "--version", "1") == ["match"]
    assert _invoke(home, "get", segment_id, "--version", "1")["Version"] == 1


def test_members_prints_one_id_a_line_without_json(home: Path) -> None:
    imported = (home / "imported-id").read_text()
    request = home / "refined.json"
    request.write_text(json.dumps(_refined(imported)))
    segment_id = _invoke(home, "create", str(request))["id"]

    result = runner.invoke(app, ["--home", str(home), "segments", "members", segment_id])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["match"]


def test_invalid_segment_is_reported_with_the_field_and_reason(home: Path) -> None:
    request = home / "bad.json"
    request.write_text(
        json.dumps(
            {
                "Name": "bad",
                "Dimensions": {
                    "UserAttributes": {"Joined": {"AttributeType": "BETWEEN", "Values": ["2024"]}}
                },
            }
        )
    )

    result = runner.invoke(app, ["--home", str(home), "--json", "segments", "create", str(request)])

    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert "Dimensions.UserAttributes.Joined.Values" in error
    assert "BETWEEN takes exactly two values" in error


def test_missing_source_segment_is_an_error(home: Path) -> None:
    body = _refined("no-such-segment")
    request = home / "missing.json"
    request.write_text(json.dumps(body))

    result = runner.invoke(app, ["--home", str(home), "--json", "segments", "create", str(request)])

    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert "SegmentGroups.Groups[0].SourceSegments[0].Id" in error
    assert "no-such-segment" in error


def test_unknown_segment_id_is_reported(home: Path) -> None:
    result = runner.invoke(app, ["--home", str(home), "--json", "segments", "preview", "nope"])

    assert result.exit_code == 1
    assert "not found" in json.loads(result.stderr)["error"]
