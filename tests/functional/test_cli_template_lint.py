"""``clarion templates lint``, the warnings of ``templates create`` and ``campaigns
create``, and the rendering warnings of ``campaigns runs``, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "campaigns"

runner = CliRunner()


def _invoke(home: Path, *args: str, json_output: bool = True) -> Any:
    flags = ["--json"] if json_output else []
    return runner.invoke(app, ["--home", str(home), *flags, *args])


def _run(home: Path, *args: str) -> Any:
    result = _invoke(home, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _template(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(
        json.dumps(
            {"TemplateName": name, "EmailTemplateRequest": {"Subject": "Hello", "HtmlPart": html}}
        )
    )
    return path


def _home_with_endpoints(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    imported = _run(
        home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"), "--segment", "all"
    )
    return home, str(imported["segment_id"])


def test_create_returns_the_lint_warnings_beside_pinpoints_response(tmp_path: Path) -> None:
    home, _ = _home_with_endpoints(tmp_path)
    created = _run(
        home,
        "templates",
        "create",
        str(_template(tmp_path, "hi", "Hi {{User.UserAttributes.Firstname}}")),
    )
    assert created["Message"] == "Created" and created["Arn"]
    assert created["Warnings"] == [
        "HtmlPart line 1, column 4: `User.UserAttributes.Firstname`: no endpoint has it; "
        "did you mean `FirstName`?"
    ]
    good = _run(home, "templates", "create", str(FIXTURES / "template.json"))
    assert good["Warnings"] == []


def test_templates_lint_names_part_line_column_and_suggestion(tmp_path: Path) -> None:
    home, _ = _home_with_endpoints(tmp_path)
    html = "<p>Hi {{User.UserAttributes.FirstName}}</p>\n<p>{{capitalise Location.Cty}}</p>"
    _run(home, "templates", "create", str(_template(tmp_path, "two", html)))

    report = _run(home, "templates", "lint", "two")

    assert (report["TemplateName"], report["TemplateType"], report["Version"]) == (
        "two",
        "EMAIL",
        "1",
    )
    assert [
        (f["Kind"], f["Line"], f["Column"], f.get("Suggestion")) for f in report["Findings"]
    ] == [("UNKNOWN_HELPER", 2, 4, "capitalize")]
    human = _invoke(home, "templates", "lint", "two", json_output=False)
    assert human.exit_code == 0
    assert "HtmlPart line 2, column 4: `capitalise`: no such helper" in human.stdout
    strict = _invoke(home, "templates", "lint", "two", "--strict")
    assert strict.exit_code == 1
    assert _invoke(home, "templates", "lint", "nope").exit_code == 1


def test_campaign_create_warns_and_runs_count_rendering_warnings(tmp_path: Path) -> None:
    home, segment_id = _home_with_endpoints(tmp_path)
    _run(
        home,
        "templates",
        "create",
        str(_template(tmp_path, "zone", "<p>{{Demographic.Timezone}}</p>")),
    )
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps(
            {
                "Name": "zone",
                "SegmentId": segment_id,
                "TemplateConfiguration": {"EmailTemplate": {"Name": "zone"}},
                "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
            }
        )
    )

    created = _run(home, "campaigns", "create", str(campaign))
    launched = _run(home, "campaigns", "launch", created["id"])
    (run,) = _run(home, "campaigns", "runs", created["id"])

    # Of the 4 email endpoints the campaign reaches (one more opted out), 2 have no zone.
    (warning,) = created["warnings"]
    assert "`Demographic.Timezone` has no value on 2 of the 4 endpoints" in warning
    assert warning.startswith("zone: HtmlPart line 1, column 4: ")
    assert launched["run"]["Preflight"][0]["Missing"] == 2
    assert run["Sent"] == 4
    assert run["RenderWarnings"] == {
        "Messages": 2,
        "Share": 0.5,
        "Warnings": {"HtmlPart: {{Demographic.Timezone}}: missing value": 2},
    }
    table = _invoke(home, "campaigns", "runs", created["id"], json_output=False)
    assert "2 (50%)" in table.stdout
    assert "2 messages: HtmlPart: {{Demographic.Timezone}}: missing value" in table.stdout
