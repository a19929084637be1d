"""Done when: a script written against Pinpoint with boto3 runs against Clarion with
only the endpoint changed (demo/pinpoint_script.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "demo" / "pinpoint_script.py"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("pinpoint_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.local_only("it reads KPIs, which are Athena SQL over the lake on AWS")
def test_the_pinpoint_script_runs_unchanged(pinpoint: Any, tmp_path: Path) -> None:
    script = _script()
    customers = tmp_path / "customers.csv"
    customers.write_text(script.CUSTOMERS, encoding="utf-8")
    result = script.run(pinpoint, customers.as_uri())
    job = result["import_job"]
    assert job["JobStatus"] == "COMPLETED"
    assert job["TotalProcessed"] == 3 and job["TotalFailures"] == 1
    # The campaign went to the French email endpoints: Liam, Ana and Zoë.
    assert result["campaign"]["State"]["CampaignStatus"] == "COMPLETED"
    assert result["activities"][0]["SuccessfulEndpointCount"] == 3
    assert result["message"]["Result"]["receipts@example.com"]["DeliveryStatus"] == "SUCCESSFUL"
    assert (
        result["events"]["Results"]["web-1"]["EventsItemResponse"]["purchase-1"]["StatusCode"]
        == 202
    )
    kpis = {
        name: rows[0]["Values"][0]["Value"] if rows else None
        for name, rows in result["kpis"].items()
    }
    # The outbox records each email's Send; no delivery or open events came (no SES
    # locally), so deliveries are 0 and the open rate (opens over deliveries) has no row.
    assert kpis == {
        "successful-delivery-rate": "0.0",
        "txn-emails-sent": "1",
        "email-open-rate": None,
    }
    assert result["campaign_kpi"][0]["Values"][0] == {
        "Key": "UniqueDeliveries",
        "Type": "Double",
        "Value": "0.0",
    }
