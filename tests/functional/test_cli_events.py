"""``clarion events`` and ``clarion analytics`` on the local backend, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

EVENTS = Path(__file__).resolve().parent.parent / "events"
runner = CliRunner()


def run(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    endpoints = tmp_path / "endpoints.ndjson"
    endpoints.write_text(
        json.dumps(
            {
                "Id": "endpoint-ana",
                "ChannelType": "EMAIL",
                "Address": "ana@example.org",
                "OptOut": "NONE",
            }
        )
        + "\n"
        + json.dumps({"Id": "sms-1", "ChannelType": "SMS", "Address": "+14255550156"})
        + "\n"
    )
    run(home, "endpoints", "import", str(endpoints))
    return home


def test_an_opt_out_event_opts_the_endpoint_out(home: Path, tmp_path: Path) -> None:
    before = run(home, "endpoints", "get", "endpoint-ana")
    assert before["OptOut"] == "NONE"
    file = tmp_path / "unsubscribe.json"
    file.write_text((EVENTS / "ses" / "subscription_unsubscribe.json").read_text())
    out = run(home, "events", "ingest", str(file), "--source", "ses")
    assert out["accepted"] == 1
    assert out["effects"]["opted_out"] == ["endpoint-ana"]
    # What the campaign engine reads before the next send: the endpoint is opted out.
    after = run(home, "endpoints", "get", "endpoint-ana")
    assert after["OptOut"] == "ALL"


def test_sms_stop_reply_through_the_cli(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "sms.jsonl"
    lines = [
        json.loads((EVENTS / "sms_v2" / n).read_text())
        for n in ("text_delivered.json", "inbound_stop.json")
    ]
    file.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    out = run(home, "events", "ingest", str(file), "--source", "sms-v2")
    assert out["accepted"] == 2
    assert out["rejected"][0]["line"] == 3
    assert out["rejected"][0]["field"] == "(line)"
    assert out["effects"]["opted_out"] == ["sms-1"]
    assert run(home, "endpoints", "get", "sms-1")["OptOut"] == "ALL"
    dead = list((home / "dead-letters").glob("*.jsonl"))
    assert len(dead) == 1 and "not json" in dead[0].read_text()


def test_put_events_and_counts(home: Path) -> None:
    out = run(home, "events", "put", str(EVENTS / "put_events" / "limit_violations.json"))
    assert out["accepted"] == 1
    fields = {item["field"] for item in out["rejected"]}
    assert {"Attributes.query", "EventType", "Timestamp", "Metrics.count"} <= fields
    assert all("index" in item and item["reason"] for item in out["rejected"])
    again = run(home, "events", "put", str(EVENTS / "put_events" / "mixed_batch.json"))
    assert again["accepted"] == 3
    counts = run(home, "analytics", "events", "--type", "Checkout", "--since", "2026-03-01")
    assert counts["total"] == 1
    assert counts["counts"][0]["event_type"] == "Checkout"
    assert run(home, "analytics", "events", "--since", "2099-01-01")["total"] == 0


def test_campaign_metrics_and_report(home: Path, tmp_path: Path) -> None:
    names = ("send.json", "delivery.json", "open.json", "open.json", "click.json")
    file = tmp_path / "ses.jsonl"
    file.write_text(
        "\n".join(json.dumps(json.loads((EVENTS / "ses" / n).read_text())) for n in names) + "\n"
    )
    run(home, "events", "ingest", str(file), "--source", "ses")
    campaign = json.loads((EVENTS / "ses" / "open.json").read_text())["mail"]["tags"][
        "clarion-campaign-id"
    ][0]
    metrics = run(home, "analytics", "campaign", campaign)
    assert (metrics["sent"], metrics["delivered"], metrics["opened"], metrics["clicked"]) == (
        1,
        1,
        1,
        1,
    )
    assert metrics["delivery_rate"] == 1.0 and metrics["open_rate"] == 1.0
    assert [t["treatment_id"] for t in metrics["treatments"]] == ["0"]
    assert metrics["runs"][0]["emails_opened"] == 1

    written = run(home, "analytics", "report", campaign)
    page = Path(written["html"])
    assert page.is_relative_to(home / "reports")
    text = page.read_text()
    # The funnel, the rates, the timeline and the conversion lift over the holdout.
    assert set(written["charts"]) == {"funnel", "rates", "timeline", "lift"}
    assert text.count("data:image/png;base64,") == 4
    for chart in written["charts"].values():
        assert Path(chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_campaign_fails(home: Path) -> None:
    result = runner.invoke(app, ["--home", str(home), "--json", "analytics", "campaign", "zz"])
    assert result.exit_code == 1
