"""``clarion cost estimate``: the issue's workload as JSON and as a table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

runner = CliRunner()
WORKLOAD = ["--endpoints", "1000000", "--emails-per-month", "4", "--events-per-month", "20"]


def test_the_estimate_as_json_is_itemised_beside_pinpoint(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--home", str(tmp_path), "cost", "estimate", *WORKLOAD, "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["PricedOn"] == "2026-12-04"
    assert document["Pinpoint"]["Total"] == pytest.approx(1594)
    services = {line["Service"] for line in document["Clarion"]["Lines"] if line["Cost"] > 0}
    assert {"DynamoDB", "Kinesis", "Firehose", "S3", "Athena", "Step Functions"} <= services
    assert {"Lambda", "SES"} <= services
    assert document["Ratio"] == pytest.approx(
        document["Clarion"]["Total"] / document["Pinpoint"]["Total"]
    )


def test_the_table_shows_both_totals_and_the_ratio(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--home", str(tmp_path), "cost", "estimate", *WORKLOAD], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert "$1,594.00" in result.stdout
    assert "Clarion / Pinpoint: 0." in result.stdout


def test_a_negative_figure_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--home", str(tmp_path), "cost", "estimate", "--endpoints", "-5"])

    assert result.exit_code == 2


def test_another_price_list_can_be_given(tmp_path: Path) -> None:
    from clarion.resources import read_json

    prices = json.loads(json.dumps(read_json("pricing/prices.json")))
    prices["pinpoint"]["monthly_targeted_endpoint"] = 0.0024
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(prices), encoding="utf-8")

    result = runner.invoke(
        app,
        ["--home", str(tmp_path), "--json", "cost", "estimate", *WORKLOAD, "--prices", str(path)],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["Pinpoint"]["Total"] == pytest.approx(995_000 * 0.0024 + 400)
