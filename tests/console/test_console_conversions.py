"""Conversions on the analytics pages, in a real headless Chromium (see conftest.py): a
campaign's (GetCampaignMetrics' ``conversions``, and the conversion KPIs of
GetCampaignDateRangeKpi per day) and a journey's (GetJourneyConversions, beside its
GetJourneyDateRangeKpi engagement KPIs), each figure the page shows equal to the
services' own answer, each table downloadable as CSV.

Screenshots: build/console-screenshots/<test>/.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from console_harness import ConsoleUnderTest

from demo.simulate_engagement import simulate


def _kpi_value(console: ConsoleUnderTest, test_id: str) -> str:
    return str(console.page.get_by_test_id(test_id).locator(".kpi-value").inner_text())


def _purchases(endpoint_ids: list[str], at: datetime) -> str:
    stamp = at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return json.dumps(
        {
            "BatchItem": {
                endpoint: {
                    "Endpoint": {},
                    "Events": {
                        f"buy-{endpoint}": {
                            "EventType": "_monetization.purchase",
                            "Timestamp": stamp,
                            "Attributes": {"_currency": "USD"},
                            "Metrics": {"_item_price": 20.0, "_quantity": 1},
                        }
                    },
                }
                for endpoint in endpoint_ids
            }
        }
    )


def test_a_campaigns_conversions(console: ConsoleUnderTest) -> None:
    page = console.page
    root = console.bootstrap
    app = root.app_id
    for n in range(30):
        root.endpoint_service.update_endpoint(
            f"c{n}", {"ChannelType": "EMAIL", "Address": f"c{n}@example.com"}
        )
    segment = root.segment_service.create_segment(
        {"Name": "all", "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}}
    )
    campaign = root.campaign_service.create_campaign(
        {
            "Name": "spring",
            "SegmentId": segment["Id"],
            "HoldoutPercent": 30,
            "Schedule": {"StartTime": "IMMEDIATE"},
            "MessageConfiguration": {"EmailMessage": {"Title": "Spring", "HtmlBody": "<p>Hi</p>"}},
        }
    )
    root.campaign_service.start_if_immediate(campaign)
    outbox = sorted(console.home.rglob("*.eml"))
    assert outbox
    records = simulate(outbox[0].parent.parent, seed=3)
    root.event_ingest_service.ingest_text(
        "\n".join(json.dumps(r) for r in records), "ses", origin="ses-events.jsonl"
    )
    # Every other customer buys just after the send, held out or not.
    bought = [f"c{n}" for n in range(0, 30, 2)]
    result = root.event_ingest_service.put_text(
        _purchases(bought, datetime.now(UTC) + timedelta(seconds=2)), origin="purchases"
    )
    assert not result.rejected

    console.open(f"/console/analytics/campaigns/{campaign['Id']}?project={app}")
    page.wait_for_selector("section.conversions")
    console.settle()
    metrics = root.analytics_service.campaign_metrics(campaign["Id"]).to_json()
    goal = metrics["conversions"]["goals"][0]
    # The rates over time: each day's rates of that day's counts, charted and downloadable.
    assert page.locator("figure.chart", has_text="Rates per day (%)").count() == 1
    assert page.locator("figure.chart", has_text="Rates per treatment (%)").count() == 1
    days_table = page.locator(".table-wrap", has=page.locator("th", has_text="open_rate")).filter(
        has=page.locator("th", has_text="Day")
    )
    with page.expect_download() as download:
        days_table.get_by_role("button", name="Download CSV").click()
    days = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [d["Day"] for d in days] == [d["day"] for d in metrics["days"]]
    for shown, api in zip(days, metrics["days"], strict=True):
        assert float(shown["open_rate"]) == api["opened"] / api["delivered"]
        assert float(shown["delivery_rate"]) == api["delivered"] / api["sent"]
    attributed = goal["attributed"]
    assert attributed["conversions"] > 0
    assert int(_kpi_value(console, "conv-conversions")) == attributed["conversions"]
    assert (
        int(_kpi_value(console, "conv-converted-endpoints")) == (attributed["converted_endpoints"])
    )
    assert _kpi_value(console, "conv-conversion-rate") == (
        f"{attributed['conversion_rate'] * 100:.1f}%"
    )
    assert _kpi_value(console, "conv-revenue") == f"{attributed['revenue']:.2f} USD"
    lift = goal["incrementality"]["lift"]
    difference = lift["conversion_rate_difference"]
    text = page.get_by_test_id("conv-lift-text").inner_text()
    assert f"holdout {lift['holdout']['conversion_rate'] * 100:.1f}%" in text
    assert f"{difference['low'] * 100:.1f} pts" in text
    assert ("not significant" in text) is not difference["significant"]

    # The attributed table, downloaded: the total, the treatment and the holdout rows.
    section = page.locator("section.conversions")
    with page.expect_download() as download:
        section.get_by_role("button", name="Download CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    by_name = {r["Activity"] if "Activity" in r else r["Treatment"]: r for r in rows}
    assert int(by_name["total (messages)"]["conversions"]) == attributed["conversions"]
    assert int(by_name["holdout"]["conversions"]) == goal["holdout"]["conversions"]
    assert int(by_name["holdout"]["endpoints"]) == goal["holdout"]["endpoints"]

    # Conversions per day: GetCampaignDateRangeKpi's rows for the day of the purchases.
    start = datetime.now(UTC) - timedelta(days=2)
    kpi = root.kpi_service.campaign_date_range_kpi(
        app, campaign["Id"], "conversions-grouped-by-date", start, start + timedelta(days=4)
    )
    per_day = {
        row["GroupedBys"][0]["Value"]: float(row["Values"][0]["Value"])
        for row in kpi["KpiResult"]["Rows"]
    }
    assert sum(per_day.values()) == attributed["conversions"]
    table = page.locator("table", has=page.locator("caption", has_text="Conversions per day"))
    shown = {
        table.locator("tbody tr").nth(i).locator("td").nth(0).inner_text(): float(
            table.locator("tbody tr").nth(i).locator("td").nth(1).inner_text()
        )
        for i in range(table.locator("tbody tr").count())
    }
    assert shown == per_day
    assert page.locator("figure.chart", has_text="Conversions per day").count() == 1
    console.shot("campaign-conversions")


def _record(app: str, event_type: str, endpoint: str, at: int, **attributes: Any) -> dict:
    return {
        "event_type": event_type,
        "event_timestamp": at,
        "arrival_timestamp": at,
        "application": {"app_id": app},
        "client": {"client_id": endpoint},
        "attributes": attributes.pop("attributes", attributes),
        "metrics": {},
    }


def test_a_journeys_kpis_and_conversions(console: ConsoleUnderTest) -> None:
    page = console.page
    root = console.bootstrap
    app = root.app_id
    root.template_service.create_template(
        "welcome-mail", "EMAIL", {"Subject": "Welcome", "HtmlPart": "<p>Hi</p>"}
    )
    segment = root.segment_service.create_segment(
        {"Name": "all", "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}}
    )
    journey = root.journey_service.create_journey(
        {
            "Name": "welcome-series",
            "StartActivity": "hold",
            "StartCondition": {"SegmentStartCondition": {"SegmentId": segment["Id"]}},
            "Activities": {
                "hold": {"Holdout": {"Percentage": 20, "NextActivity": "welcome"}},
                "welcome": {"EMAIL": {"TemplateName": "welcome-mail"}},
            },
        },
        app,
    )
    jid = journey["Id"]
    # What the journey engine and SES record: six participants through the Holdout
    # activity (two held out), four welcome emails (two opened), and purchases by two
    # emailed customers and one held-out one.
    # All of it earlier today (UTC) and before now: the console asks for the journey's
    # KPIs from its creation day, so an hour ago would be yesterday just after midnight.
    now = int(time.time() * 1000)
    today = int(datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    sent_at = max(now - 3_600_000, today * 1000)
    gap = min(60_000, (now - sent_at) // 3)
    records = []
    for n in range(6):
        endpoint = f"p{n}"
        root.endpoint_service.update_endpoint(
            endpoint, {"ChannelType": "EMAIL", "Address": f"{endpoint}@example.com"}
        )
        common = {"journey_id": jid, "journey_run_id": "run-1"}
        records.append(
            _record(
                app,
                "_journey.send",
                endpoint,
                sent_at,
                attributes={
                    **common,
                    "journey_activity_id": "hold",
                    "journey_send_status": "HOLDOUT" if n >= 4 else "CONTINUED",
                    "journey_activity_type": "Holdout",
                },
            )
        )
        if n < 4:
            sent = {**common, "journey_activity_id": "welcome", "message_id": f"m{n}"}
            records.append(
                _record(
                    app,
                    "_journey.send",
                    endpoint,
                    sent_at,
                    attributes={
                        **sent,
                        "journey_send_status": "SUCCESS",
                        "journey_activity_type": "Email",
                    },
                )
            )
            kinds = ["_email.send", "_email.delivered"] + (["_email.open"] if n < 2 else [])
            records += [_record(app, k, endpoint, sent_at + gap, **sent) for k in kinds]
    result = root.event_ingest_service.ingest_records(
        list(enumerate(records)), "pinpoint", origin="journey-records"
    )
    assert not result.rejected
    purchases = root.event_ingest_service.put_text(
        _purchases(["p0", "p1", "p4"], datetime.fromtimestamp((sent_at + 2 * gap) / 1000, UTC)),
        origin="purchases",
    )
    assert not purchases.rejected

    console.open(f"/console/analytics?project={app}")
    page.get_by_role("link", name="welcome-series").click()
    page.wait_for_selector("section.conversions")
    console.settle()
    assert page.locator("main h1").inner_text() == "Analytics: journey welcome-series"
    for kpi, expected in (("sent", 4), ("delivered", 4), ("opened", 2), ("clicked", 0)):
        api = root.journey_reports.date_range_kpi(jid, f"journey-emails-{kpi}", app)
        assert float(api["KpiResult"]["Rows"][0]["Values"][0]["Value"]) == expected
        assert int(_kpi_value(console, f"journey-kpi-{kpi}")) == expected
    weeks = page.locator("table", has=page.locator("th", has_text="Week from"))
    assert (
        sum(
            int(weeks.locator("tbody tr").nth(i).locator("td").nth(1).inner_text())
            for i in range(weeks.locator("tbody tr").count())
        )
        == 4
    )

    conversions = root.conversion_service.journey_conversions(jid)["goals"][0]
    assert conversions["attributed"]["conversions"] == 2
    assert int(_kpi_value(console, "conv-conversions")) == 2
    assert _kpi_value(console, "conv-revenue") == "40.00 USD"
    lift = conversions["incrementality"]["lift"]
    assert _kpi_value(console, "conv-lift") == (
        f"{'+' if lift['conversion_rate_difference']['difference'] >= 0 else ''}"
        f"{lift['conversion_rate_difference']['difference'] * 100:.1f} pts"
    )
    activity = page.locator("section.conversions table tbody tr", has_text="activity welcome")
    assert activity.locator("td").nth(3).inner_text() == "2"  # its conversions
    console.shot("journey-analytics")

    # The extension itself, as a script calls it (and an unknown journey's answer).
    response = page.request.get(f"{console.url}/clarion/apps/{app}/journeys/{jid}/conversions")
    assert response.ok and response.json()["goals"][0]["attributed"] == (conversions["attributed"])
    missing = page.request.get(f"{console.url}/clarion/apps/{app}/journeys/nope/conversions")
    assert missing.status == 404
    assert missing.json()["Message"]
