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
    assert {"auc", "pr_auc", "top_decile_lift", "decision", "selection"} <= set(trained)
    assert set(trained["metrics"]) >= {"xgboost", "logistic", "btyd", "recency", "oracle"}

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
    for key in ("auc", "pr_auc", "top_decile_lift", "candidates", "selection", "oracle", "uplift"):
        assert key in report
    assert set(report["candidates"]) == {"xgboost", "logistic", "btyd", "recency"}
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
    assert set(shown["candidates"]) <= set(shown["curves"])
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


def _shop_history(folder: Path, end: datetime) -> tuple[Path, Path]:
    """A shop's own history, as a user would bring it: endpoints with their
    CreationDate (NDJSON) and past purchases replayed as Pinpoint event-stream records.
    Customers buy at their own rates and stop for good at some point."""
    import random

    rng = random.Random(11)
    endpoints, events = [], []
    start = end - timedelta(days=500)
    for i in range(400):
        joined = start + timedelta(days=rng.uniform(0, 300))
        lapse = joined + timedelta(days=rng.expovariate(1 / 250))
        rate = rng.gammavariate(1.5, 1 / 60)  # purchases a day
        endpoints.append(
            {
                "Id": f"shop-{i:04d}",
                "ChannelType": "EMAIL",
                "Address": f"shopper{i}@example.com",
                "CreationDate": joined.isoformat().replace("+00:00", "Z"),
            }
        )
        moment = joined
        while True:
            moment += timedelta(days=rng.expovariate(rate))
            if moment >= min(lapse, end):
                break
            stamp = int(moment.timestamp() * 1000)
            events.append(
                {
                    "event_type": "_monetization.purchase",
                    "event_timestamp": stamp,
                    "arrival_timestamp": stamp,
                    "event_id": f"shop-{i}-{stamp}",
                    "application": {"app_id": "shop"},
                    "client": {"client_id": f"shop-{i:04d}"},
                    "attributes": {"_currency": "USD"},
                    "metrics": {"_item_price": round(rng.uniform(5, 80), 2), "_quantity": 1.0},
                }
            )
    people, purchases = folder / "customers.ndjson", folder / "purchases.jsonl"
    people.write_text("".join(json.dumps(e) + "\n" for e in endpoints), encoding="utf-8")
    purchases.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return people, purchases


def test_a_shop_with_purchases_only_trains_on_its_imported_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    as_of = datetime(2025, 6, 1, tzinfo=UTC)  # a past date: the history is imported
    people, purchases = _shop_history(tmp_path, as_of + timedelta(days=60))
    imported = _cli(home, "endpoints", "import", str(people))
    assert imported["imported"] == 400 and imported["rejected"] == []
    put = CliRunner().invoke(app, ["--home", str(home), "events", "put", str(purchases)])
    assert put.exit_code == 0, put.output
    shop = [
        "--label-days",
        "91",
        "--active-days",
        "365",
        "--activity-events",
        "_monetization.purchase",
    ]

    trained = _run(home, "train", "--as-of", "2025-06-01", *shop)

    assert trained["definition"] == {
        "label_days": 91,
        "active_days": 365,
        "activity_events": ["_monetization.purchase"],
    }
    assert set(trained["metrics"]) == {"xgboost", "logistic", "btyd", "recency"}
    # Nothing about sessions or email is used: this shop has none.
    assert not {f for f in trained["features"] if "session" in f or "email" in f}
    assert trained["auc"] == max(trained["metrics"][k]["auc"] for k in trained["metrics"])
    for lead in trained["selection"]["comparisons"]:
        assert lead["a"] == trained["chosen"] and lead["low"] <= lead["difference"] <= lead["high"]
    scored = _run(home, "score", "--as-of", "2025-06-01", *shop)
    assert scored["scored"] > 0 and scored["definition"] == trained["definition"]
    refused = CliRunner().invoke(
        app, ["--home", str(home), "churn", "score", "--as-of", "2025-06-01"]
    )
    assert refused.exit_code == 1
    assert "--label-days 91 --active-days 365" in " ".join(refused.stderr.split())
    report = _run(home, "report", *shop)
    assert report["chosen"] == trained["chosen"] and report["definition"] == trained["definition"]
