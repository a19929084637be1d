"""``clarion analytics journey-conversions`` and ``goals set|get --journey`` through the
real CLI on a temporary home: a segment journey whose Holdout activity holds out part of
its six endpoints before a welcome email, everyone buying an hour later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clarion.domain.common.intervals import difference_of_proportions
from clarion.entrypoints.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "campaigns"
NOW = "2025-03-03T09:00:00Z"

runner = CliRunner()


def _run(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _file(tmp_path: Path, name: str, body: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def _journey(tmp_path: Path, home: Path) -> tuple[str, list[str]]:
    imported = _run(
        home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"), "--segment", "s"
    )
    _run(home, "templates", "create", str(FIXTURES / "template.json"))
    body = {
        "Name": "held-then-welcomed",
        "StartCondition": {"SegmentStartCondition": {"SegmentId": imported["segment_id"]}},
        "StartActivity": "hold",
        "Activities": {
            "hold": {"Holdout": {"Percentage": 50, "NextActivity": "welcome"}},
            "welcome": {
                "EMAIL": {
                    "TemplateName": "whitepaper-email",
                    "MessageConfig": {"FromAddress": "Clarion <hello@example.com>"},
                }
            },
        },
    }
    journey = _run(home, "journeys", "create", _file(tmp_path, "journey.json", body))["id"]
    _run(home, "journeys", "activate", journey)
    _run(home, "journeys", "tick", "--now", NOW)
    endpoints = [
        json.loads(line)["Id"] for line in (FIXTURES / "endpoints.ndjson").read_text().splitlines()
    ]
    return journey, endpoints


def test_journey_goals_and_conversions_against_its_holdout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    journey, endpoints = _journey(tmp_path, home)
    goals = {
        "Goals": [
            {
                "Name": "purchase",
                "EventFilter": {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {"EventType": {"Values": ["_monetization.purchase"]}},
                },
                "AttributionWindow": "P1D",
            }
        ]
    }
    assert _run(home, "analytics", "goals", "get", "--journey", journey)["Scope"] == "default"
    stored = _run(
        home,
        "analytics",
        "goals",
        "set",
        _file(tmp_path, "goals.json", goals),
        "--journey",
        journey,
    )
    assert (stored["Scope"], stored["Version"]) == (f"journey:{journey}", 1)
    assert _run(home, "analytics", "goals", "get", "--journey", journey)["Scope"] == (
        f"journey:{journey}"
    )
    purchase = {
        "EventType": "_monetization.purchase",
        "Timestamp": "2025-03-03T10:00:00Z",
        "Attributes": {"_currency": "USD"},
        "Metrics": {"_item_price": 10.0, "_quantity": 1},
    }
    batch = {
        "BatchItem": {e: {"Endpoint": {}, "Events": {f"buy-{e}": purchase}} for e in endpoints}
    }
    assert _run(home, "events", "put", _file(tmp_path, "events.json", batch))["rejected"] == []

    data = _run(home, "analytics", "journey-conversions", journey)

    assert (data["journey_id"], data["goals_scope"]) == (journey, f"journey:{journey}")
    (goal,) = data["goals"]
    lift = goal["incrementality"]["lift"]
    held = {
        e
        for e in endpoints
        if any(
            step["Outcome"] == "HOLDOUT"
            for step in _run(home, "journeys", "explain", journey, "--endpoint", e).get("Path", [])
        )
    }
    # c-3 opted out and never entered; everyone else reached the Holdout activity and is
    # in one arm, and bought.
    reached = [e for e in endpoints if e != "c-3"]
    treated = [e for e in reached if e not in held]
    assert held and treated
    assert (lift["treated"]["endpoints"], lift["holdout"]["endpoints"]) == (
        len(treated),
        len(held),
    )
    assert lift["treated"]["converted_endpoints"] == len(treated)
    assert lift["holdout"]["converted_endpoints"] == len(held)
    assert lift["conversion_rate_difference"] == (
        difference_of_proportions(len(treated), len(treated), len(held), len(held)).to_json()
    )
    # Attributed: the welcome emails took the credit, each purchase an hour after its
    # message (c-6 is an SMS endpoint: the email skipped it, so nothing to credit); the
    # held-out ones' would-be messages took theirs.
    emailed = [e for e in treated if e != "c-6"]
    attributed = goal["attributed"]
    assert (attributed["messages"], attributed["conversions"]) == (len(emailed), len(emailed))
    assert attributed["avg_seconds_to_convert"] == 3600
    assert attributed["revenue"] == 10.0 * len(emailed)
    assert [(a["activity_id"], a["conversions"]) for a in goal["activities"]] == [
        ("welcome", len(emailed))
    ]
    assert goal["holdout"]["conversions"] == len(held)

    table = runner.invoke(app, ["--home", str(home), "analytics", "journey-conversions", journey])
    assert table.exit_code == 0, table.output
    assert "activity welcome" in table.output and "against holdout" in table.output


def test_goals_belong_to_a_campaign_or_a_journey_not_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refused = runner.invoke(
        app,
        ["--home", str(home), "analytics", "goals", "get", "--campaign", "c1", "--journey", "j1"],
    )
    assert refused.exit_code != 0
    assert "not both" in refused.output
