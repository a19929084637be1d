"""``clarion sentiment ingest`` and ``clarion sentiment report`` on the demo files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"
runner = CliRunner()


def run(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if code == 0 else result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    customers = tmp_path / "customers.csv"
    run(home, "endpoints", "sample", "--count", "200", "--out", str(customers))
    run(home, "endpoints", "import", str(customers))
    run(home, "endpoints", "import", str(DEMO / "social_handles.ndjson"))
    for template in sorted((DEMO / "templates").glob("*.json")):
        run(home, "templates", "create", str(template))
    return home


def ingest(home: Path) -> dict[str, Any]:
    return dict(
        run(
            home,
            "sentiment",
            "ingest",
            str(DEMO / "social_posts.jsonl"),
            "--rules",
            str(DEMO / "sentiment_rules.yaml"),
        )
    )


def test_ingest_reports_each_post(home: Path) -> None:
    data = ingest(home)
    assert data["summary"] == {"SCORED": 11, "DUPLICATE": 1, "REJECTED": 1, "FAILED": 0}
    scored = [p for p in data["posts"] if p["status"] == "SCORED"]
    by_author = {p["author"]: p for p in scored if p["platform"] == "twitter"}
    zoe = by_author["zoe_martin"]
    assert zoe["sentiment"] == "NEGATIVE" and zoe["author_kind"] == "customer"
    assert zoe["rules_fired"] == ["apology"]
    assert {"rule": "apology", "action": "message", "status": "SENT"}.items() <= zoe["actions"][
        0
    ].items()
    assert by_author["noahk_builds"]["rules_fired"] == ["influencer-outreach"]
    assert by_author["liam_ng"]["rules_fired"] == ["launch-live"]
    assert by_author["liam_mueller"]["actions"][0]["status"] == "OPT_OUT"
    assert by_author["bigtechreviews"]["author_kind"] == "prospect"
    emails = list((home / "outbox" / "email").glob("*.eml"))
    assert len(emails) == 4  # 2 apologies, outreach, launch (one more apology is an SMS)
    again = ingest(home)
    assert again["summary"]["SCORED"] == 0 and again["summary"]["DUPLICATE"] == 12
    assert len(list((home / "outbox" / "email").glob("*.eml"))) == 4


def test_report_and_segment(home: Path) -> None:
    ingest(home)
    report = run(home, "sentiment", "report", "--rules", str(DEMO / "sentiment_rules.yaml"))
    assert report["by_sentiment"]["NEGATIVE"] == 6
    assert report["top_negative_authors"][0]["handle"] == "zobrien"
    assert report["top_negative_authors"][0]["negative_posts"] == 3
    assert [i["handle"] for i in report["influencers"]] == ["bigtechreviews", "noahk_builds"]
    assert report["prospects"][0]["handle"] == "bigtechreviews"
    segment = run(home, "segments", "create", str(DEMO / "sentiment-segment.json"))
    count = run(home, "segments", "preview", segment["id"])
    # zobrien, lukas_b and liam_mueller; zoe_martin's latest post (Spanish, unscored
    # locally) made her SocialSentiment NEUTRAL
    assert count == {"count": 3}


def test_bad_rules_file_fails_cleanly(home: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: x, actions: []}]\n")
    result = run(
        home, "sentiment", "ingest", str(DEMO / "social_posts.jsonl"), "--rules", str(rules), code=2
    )
    assert "actions" in result.output
