"""``clarion analytics`` conversions and goals, and ``campaigns create --goals``, through
the real CLI on a temporary home: a launched campaign, purchases put as a PutEvents body,
the conversions, the funnel and the report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "campaigns"

runner = CliRunner()


def _run(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _goals_file(tmp_path: Path, **goal: Any) -> Path:
    body = {
        "Goals": [
            {
                "Name": "install",
                "EventFilter": {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {"EventType": {"Values": ["app.install"]}},
                },
                "AttributionWindow": "P2D",
                **goal,
            }
        ]
    }
    path = tmp_path / "goals.json"
    path.write_text(json.dumps(body))
    return path


def _launched(tmp_path: Path, home: Path, *options: str) -> tuple[str, dict[str, Any]]:
    segment = _run(
        home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"), "--segment", "s"
    )["segment_id"]
    _run(home, "templates", "create", str(FIXTURES / "template.json"))
    campaign_file = tmp_path / "campaign.json"
    body = json.loads((FIXTURES / "campaign.json").read_text().replace("${SEGMENT_ID}", segment))
    body["HoldoutPercent"] = 0
    campaign_file.write_text(json.dumps(body))
    created = _run(home, "campaigns", "create", str(campaign_file), *options)
    _run(home, "campaigns", "launch", created["id"])
    (run,) = _run(home, "campaigns", "runs", created["id"])
    return created["id"], run


def _put_events(tmp_path: Path, home: Path, events: dict[str, list[dict[str, Any]]]) -> None:
    body = {
        "BatchItem": {
            endpoint: {
                "Endpoint": {},
                "Events": {f"{endpoint}-{n}": event for n, event in enumerate(items)},
            }
            for endpoint, items in events.items()
        }
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps(body))
    result = _run(home, "events", "put", str(path))
    assert result["rejected"] == []


def test_goals_given_with_the_campaign_measure_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    goals = _goals_file(tmp_path)
    campaign_id, run = _launched(tmp_path, home, "--goals", str(goals))
    sent_at = datetime.fromisoformat(run["StartTime"].replace("Z", "+00:00"))

    def at(hours: float) -> str:
        return (sent_at + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")

    _put_events(
        tmp_path,
        home,
        {
            "c-1": [{"EventType": "app.install", "Timestamp": at(3)}],  # inside P2D
            "c-2": [{"EventType": "app.install", "Timestamp": at(50)}],  # after the window
            "c-4": [{"EventType": "_monetization.purchase", "Timestamp": at(1)}],  # no goal
        },
    )

    data = _run(home, "analytics", "campaign", campaign_id)

    conversions = data["conversions"]
    assert conversions["goals_scope"] == f"campaign:{campaign_id}"
    (goal,) = conversions["goals"]
    assert (goal["goal"], goal["attribution_window"]) == ("install", "P2D")
    assert goal["attributed"]["conversions"] == 1
    assert goal["attributed"]["avg_seconds_to_convert"] == 3 * 3600
    assert data["funnel"] == {
        "sent": data["sent"],
        "delivered": 0,
        "opened": 0,
        "clicked": 0,
        "converted": 1,
        "goal": "install",
    }
    assert goal["incrementality"]["lift"] is None  # no holdout in this campaign
    assert goal["incrementality"]["reason"].startswith("no holdout")
    same = _run(home, "analytics", "conversions", campaign_id)
    assert same["goals"][0]["attributed"] == goal["attributed"]


def test_goals_set_get_list_and_the_project_default(tmp_path: Path) -> None:
    home = tmp_path / "home"

    default = _run(home, "analytics", "goals", "get")
    assert default["Scope"] == "default"
    assert default["Goals"][0]["EventFilter"]["Dimensions"]["EventType"]["Values"] == [
        "_monetization.purchase"
    ]
    stored = _run(home, "analytics", "goals", "set", str(_goals_file(tmp_path)))
    assert (stored["Scope"], stored["Version"]) == ("project", 1)
    again = _run(home, "analytics", "goals", "set", str(_goals_file(tmp_path, Currency="EUR")))
    assert again["Version"] == 2
    # A campaign without goals of its own takes the project's.
    assert _run(home, "analytics", "goals", "get", "--campaign", "c9")["Scope"] == "project"
    _run(home, "analytics", "goals", "set", str(_goals_file(tmp_path)), "--campaign", "c9")
    assert _run(home, "analytics", "goals", "get", "--campaign", "c9")["Scope"] == "campaign:c9"
    assert [d["Scope"] for d in _run(home, "analytics", "goals", "list")] == [
        "campaign:c9",
        "project",
    ]


def test_a_bad_goals_file_is_refused_naming_the_field_and_no_campaign_is_made(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    bad = _goals_file(tmp_path, AttributionWindow="7 days", AttributionModel="MIDDLE")
    segment = _run(
        home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"), "--segment", "s"
    )["segment_id"]
    campaign_file = tmp_path / "campaign.json"
    campaign_file.write_text(
        (FIXTURES / "campaign.json").read_text().replace("${SEGMENT_ID}", segment)
    )

    result = runner.invoke(
        app,
        ["--home", str(home), "campaigns", "create", str(campaign_file), "--goals", str(bad)],
    )

    assert result.exit_code == 1
    assert "Goals[0].AttributionWindow" in result.stderr
    assert "Goals[0].AttributionModel" in result.stderr
    assert _run(home, "campaigns", "list") == []
    refused = runner.invoke(app, ["--home", str(home), "analytics", "goals", "set", str(bad)])
    assert refused.exit_code == 1 and "AttributionWindow" in refused.stderr


def test_the_report_draws_the_funnel_to_conversions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    campaign_id, _ = _launched(tmp_path, home)

    written = _run(home, "analytics", "report", campaign_id)

    assert set(written["charts"]) == {"funnel", "rates", "timeline", "lift"}
    page = Path(written["html"]).read_text(encoding="utf-8")
    assert "Conversions: purchase" in page
    assert "converted" in page
