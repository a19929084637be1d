"""``clarion templates|campaigns|messages`` through the real CLI on a temporary home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "campaigns"
DEMO = Path(__file__).resolve().parents[2] / "demo"

runner = CliRunner()


def _run(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _import(home: Path) -> str:
    data = _run(
        home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"), "--segment", "whitepaper"
    )
    assert data["imported"] == 6
    return str(data["segment_id"])


def _with_segment(tmp_path: Path, source: Path, segment_id: str) -> Path:
    target = tmp_path / source.name
    target.write_text(source.read_text().replace("${SEGMENT_ID}", segment_id))
    return target


def test_templates_create_and_render(tmp_path: Path):
    home = tmp_path / "home"
    _import(home)
    created = _run(home, "templates", "create", str(FIXTURES / "template.json"))
    assert created["TemplateName"] == "whitepaper-email"
    assert created["Version"] == "1"

    rendered = _run(home, "templates", "render", "whitepaper-email", "--endpoint", "c-1")
    assert rendered["Subject"] == "Your whitepaper, Sofia"
    assert rendered["HtmlPart"] == (
        "<p>Hello Sofia,</p><p>We will post a copy to 1 Rue de Rivoli.</p>"
    )
    # A missing first name takes the DefaultSubstitutions value.
    assert (
        _run(home, "templates", "render", "whitepaper-email", "--endpoint", "c-6")["Subject"]
        == "Your whitepaper, there"
    )


def test_templates_render_unknown_endpoint_fails_with_a_message(tmp_path: Path):
    home = tmp_path / "home"
    _run(home, "templates", "create", str(FIXTURES / "template.json"))
    result = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "--json",
            "templates",
            "render",
            "whitepaper-email",
            "--endpoint",
            "nope",
        ],
    )
    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_campaign_create_launch_and_runs(tmp_path: Path):
    home = tmp_path / "home"
    segment_id = _import(home)
    _run(home, "templates", "create", str(FIXTURES / "template.json"))
    campaign_file = _with_segment(tmp_path, FIXTURES / "campaign.json", segment_id)
    campaign_id = _run(home, "campaigns", "create", str(campaign_file))["id"]

    launched = _run(home, "campaigns", "launch", campaign_id)
    runs = _run(home, "campaigns", "runs", campaign_id)
    assert [r["RunId"] for r in runs] == [launched["run_id"]]
    run = runs[0]
    assert run["Targeted"] == 6
    assert run["Skipped"].get("SKIPPED_OPT_OUT") == 1
    assert run["Skipped"].get("SKIPPED_CHANNEL") == 1  # the SMS endpoint: email campaign
    assert run["Sent"] + run["HeldOut"] == 4
    emails = list((home / "outbox" / "email").glob("*.eml"))
    assert len(emails) == run["Sent"]
    assert not any("optout@example.com" in p.read_text(errors="replace") for p in emails)
    # The outbox recorded SES's Send event for each email: sent right after the launch,
    # nothing delivered until delivery records come in.
    metrics = _run(home, "analytics", "campaign", campaign_id)
    assert (metrics["sent"], metrics["delivered"]) == (run["Sent"], 0)
    assert sum(t["sent"] for t in metrics["treatments"]) == run["Sent"]


def test_demo_campaign_request_is_valid(tmp_path: Path):
    home = tmp_path / "home"
    segment_id = _import(home)
    campaign_file = _with_segment(tmp_path, DEMO / "campaign.json", segment_id)
    campaign_id = _run(home, "campaigns", "create", str(campaign_file))["id"]
    campaign = _run(home, "campaigns", "get", campaign_id)
    assert campaign["HoldoutPercent"] == 10
    assert campaign["AdditionalTreatments"][0]["SizePercent"] == 45
    assert _run(home, "templates", "create", str(DEMO / "template.json"))["Version"] == "1"


def test_campaign_create_refuses_a_bad_body_naming_the_field(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "SegmentId": "s",
                "Schedule": {
                    "StartTime": "IMMEDIATE",
                    "QuietTime": {"Start": "7pm", "End": "07:00"},
                },
                "MessageConfiguration": {"SMSMessage": {"Body": "x"}},
            }
        )
    )
    result = runner.invoke(
        app, ["--home", str(tmp_path / "h"), "--json", "campaigns", "create", str(bad)]
    )
    assert result.exit_code == 1
    assert "Schedule.QuietTime.Start" in result.stderr


def test_messages_send(tmp_path: Path):
    home = tmp_path / "home"
    _import(home)
    response = _run(home, "messages", "send", str(FIXTURES / "send_messages.json"))
    assert response["Result"]["+14155550199"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["EndpointResult"]["c-1"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["EndpointResult"]["c-3"]["DeliveryStatus"] == "OPT_OUT"
    again = _run(home, "messages", "send", str(FIXTURES / "send_messages.json"))
    assert again["EndpointResult"]["c-1"]["DeliveryStatus"] == "DUPLICATE"

    users = _run(home, "messages", "send", str(FIXTURES / "send_users_messages.json"))
    assert set(users["Result"]["u-1"]) == {"c-1", "c-6"}
