"""``clarion churn``: the local flow through the CLI (small simulated population)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app


def _cli(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _run(home: Path, *args: str) -> dict:
    data: dict = _cli(home, "churn", *args)
    return data


def test_simulate_train_score_campaign_report(tmp_path: Path) -> None:
    as_of = (datetime.now(UTC) - timedelta(days=28)).strftime("%Y-%m-%d")
    simulated = _run(
        tmp_path, "simulate", "--customers", "400", "--days", "100", "--seed", "2", "--as-of", as_of
    )
    assert simulated["endpoints"] == 400 and simulated["events"] > 0

    trained = _run(tmp_path, "train", "--as-of", as_of)
    assert {"auc", "pr_auc", "top_decile_lift", "decision"} <= set(trained)
    assert set(trained["metrics"]) >= {"model", "logistic", "recency", "oracle"}

    scored = _run(tmp_path, "score", "--as-of", as_of)
    assert scored["scored"] > 0 and scored["segment"]["size"] == scored["at_risk"]

    launched = _run(tmp_path, "campaign", "--as-of", as_of, "--simulate-response")
    assert launched["campaign_id"]
    # Treated are exactly the endpoints the run sent to: some, and only from the segment.
    (run,) = [
        r
        for r in _cli(tmp_path, "campaigns", "runs", launched["campaign_id"])
        if r["RunId"] == launched["run_id"]
    ]
    assert 0 < launched["simulated"]["treated"] == run["Sent"] <= scored["at_risk"]

    report = _run(tmp_path, "report")
    for key in ("auc", "pr_auc", "top_decile_lift", "baselines", "oracle", "uplift"):
        assert key in report
    assert set(report["baselines"]) == {"logistic", "recency"}
    for path in [report["files"]["html"], *report["files"]["charts"].values()]:
        assert Path(path).stat().st_size > 0
    assert set(report["files"]["charts"]) == {"roc", "lift", "calibration", "uplift"}

    # The console's churn page reads the same report through the API, with its curves.
    from starlette.testclient import TestClient

    from clarion.bootstrap import Bootstrap, Settings
    from clarion.entrypoints.api import create_app

    with TestClient(create_app(Bootstrap(Settings(home=tmp_path)))) as client:
        shown = client.get("/clarion/apps/clarion/churn/report").json()
    assert shown["Evaluated"] is True
    expected = {k: v for k, v in report.items() if k != "files"}
    assert {k: v for k, v in shown.items() if k not in ("Evaluated", "curves")} == expected
    assert set(shown["curves"]) >= {"model", "logistic", "recency"}
    assert all(c["calibration"] for c in shown["curves"].values())


def test_score_before_training_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "--json", "churn", "score"])
    assert result.exit_code == 1
    assert "promoted churn model" in result.stderr


def test_simulating_on_aws_says_there_is_no_simulator(aws_credentials: None) -> None:
    result = CliRunner().invoke(
        app, ["--backend", "aws", "--json", "churn", "simulate", "--customers", "10"]
    )
    assert result.exit_code == 1
    assert "no behaviour simulator" in result.stderr
