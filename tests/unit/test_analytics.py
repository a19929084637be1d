"""Campaign metrics on a hand-checked example, through the real pipeline (normalisers,
the local event store, the one SQL source transpiled to DuckDB).

The campaign C1 (docs/analytics.md defines every number below):

run R1 on 2026-03-02
  treatment 0: e1 sent m1, delivered, opened twice, clicked
               e2 sent m2, delivered, opened, complained
               e3 sent m3, hard bounce
  treatment 1: e4 sent m4, delivered, unsubscribed (whole list)
               e5 sent m5, delivered, clicked twice (two links), never opened
  holdout:     e6, e7 (``_campaign.send`` with campaign_send_status HOLDOUT)
run R2 on 2026-03-03
  treatment 0: e1 sent m6, delivered; opened on 2026-03-04
plus: the delivery of m1 delivered twice (a replay), and campaign C2's send of m9 to e1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clarion.adapters.local.analytics.analytics_query import DuckDBAnalyticsQuery
from clarion.adapters.local.audience.endpoint_locator import DuckDBEndpointLocator
from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink
from clarion.adapters.local.events.event_sink import DuckDBEventStore
from clarion.domain.common.errors import NotFoundError
from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
from clarion.domain.events.records import MessageContext
from clarion.services.analytics.service import AnalyticsService, campaign_metrics_sql
from clarion.services.events.ingest import EventIngestService, IngestSource

APP = "app-1"


def ses(
    kind: str,
    message: str,
    endpoint: str,
    treatment: str,
    run: str,
    at: str,
    campaign: str = "C1",
    **detail: Any,
) -> dict[str, Any]:
    """An SES v2 event-publishing record for a message Clarion sent (tags set)."""
    tags = MessageContext(
        app_id=APP,
        campaign_id=campaign,
        campaign_activity_id="act-1",
        treatment_id=treatment,
        endpoint_id=endpoint,
        run_id=run,
    ).to_ses_tags()
    record: dict[str, Any] = {
        "eventType": kind,
        "mail": {
            "timestamp": at,
            "source": "shop@example.com",
            "sendingAccountId": "123456789012",
            "messageId": message,
            "destination": [f"{endpoint}@example.org"],
            "tags": {tag["Name"]: [tag["Value"]] for tag in tags},
        },
    }
    key = {
        "Send": "send",
        "Delivery": "delivery",
        "Open": "open",
        "Click": "click",
        "Bounce": "bounce",
        "Complaint": "complaint",
        "Subscription": "subscription",
    }[kind]
    record[key] = {"timestamp": at, **detail} if kind != "Send" else {}
    return record


def campaign_send(
    endpoint: str, treatment: str, run: str, at_ms: int, status: str, message: str | None = None
) -> dict[str, Any]:
    """The ``_campaign.send`` record the campaign engine emits per endpoint."""
    attributes = {
        "campaign_id": "C1",
        "campaign_activity_id": "act-1",
        "treatment_id": treatment,
        "run_id": run,
        "campaign_send_status": status,
    }
    if message:
        attributes["message_id"] = message
    return {
        "event_type": "_campaign.send",
        "event_timestamp": at_ms,
        "arrival_timestamp": at_ms,
        "application": {"app_id": APP},
        "client": {"client_id": endpoint},
        "attributes": attributes,
    }


D2 = "2026-03-02T09:00:00.000Z"
D3 = "2026-03-03T09:00:00.000Z"
D4 = "2026-03-04T09:00:00.000Z"
D2_MS = 1772442000000  # 2026-03-02T09:00:00Z
D3_MS = D2_MS + 86_400_000


def ses_records() -> list[dict[str, Any]]:
    link = {"link": "https://shop.example.com/a"}
    other = {"link": "https://shop.example.com/b"}
    permanent = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "e3@example.org"}],
    }
    complaint = {"complainedRecipients": [{"emailAddress": "e2@example.org"}]}
    unsubscribe = {"contactList": "news", "newTopicPreferences": {"unsubscribeAll": True}}
    return [
        ses("Send", "m1", "e1", "0", "R1", D2),
        ses("Delivery", "m1", "e1", "0", "R1", D2),
        ses("Delivery", "m1", "e1", "0", "R1", D2),  # the replay
        ses("Open", "m1", "e1", "0", "R1", D2),
        ses("Open", "m1", "e1", "0", "R1", "2026-03-02T11:00:00.000Z"),  # repeated open
        ses("Click", "m1", "e1", "0", "R1", D2, **link),
        ses("Send", "m2", "e2", "0", "R1", D2),
        ses("Delivery", "m2", "e2", "0", "R1", D2),
        ses("Open", "m2", "e2", "0", "R1", D2),
        ses("Complaint", "m2", "e2", "0", "R1", D2, **complaint),
        ses("Send", "m3", "e3", "0", "R1", D2),
        ses("Bounce", "m3", "e3", "0", "R1", D2, **permanent),
        ses("Send", "m4", "e4", "1", "R1", D2),
        ses("Delivery", "m4", "e4", "1", "R1", D2),
        ses("Subscription", "m4", "e4", "1", "R1", D2, **unsubscribe),
        ses("Send", "m5", "e5", "1", "R1", D2),
        ses("Delivery", "m5", "e5", "1", "R1", D2),
        ses("Click", "m5", "e5", "1", "R1", D2, **link),
        ses("Click", "m5", "e5", "1", "R1", "2026-03-02T12:00:00.000Z", **other),
        ses("Send", "m6", "e1", "0", "R2", D3),
        ses("Delivery", "m6", "e1", "0", "R2", D3),
        ses("Open", "m6", "e1", "0", "R2", D4),
        ses("Send", "m9", "e1", "0", "R9", D2, campaign="C2"),
    ]


def pinpoint_records() -> list[dict[str, Any]]:
    sends = [
        ("e1", "0", "m1"),
        ("e2", "0", "m2"),
        ("e3", "0", "m3"),
        ("e4", "1", "m4"),
        ("e5", "1", "m5"),
    ]
    records = [campaign_send(e, t, "R1", D2_MS, "SUCCESSFUL", m) for e, t, m in sends]
    records += [campaign_send(e, "0", "R1", D2_MS, "HOLDOUT") for e in ("e6", "e7")]
    records.append(campaign_send("e1", "0", "R2", D3_MS, "SUCCESSFUL", "m6"))
    return records


@pytest.fixture
def database(tmp_path: Path) -> LocalDatabase:
    return LocalDatabase(tmp_path / "home")


@pytest.fixture
def analytics(database: LocalDatabase, tmp_path: Path) -> AnalyticsService:
    service = EventIngestService(
        DuckDBProfileStore(database),
        FileDeadLetterSink(tmp_path / "home"),
        sink=DuckDBEventStore(database),
        locator=DuckDBEndpointLocator(database),
        app_id=APP,
    )
    first = service.ingest_records(list(enumerate(ses_records())), IngestSource.SES, origin="test")
    assert first.rejected == []
    assert first.duplicates == 1  # the replayed delivery of m1
    second = service.ingest_records(
        list(enumerate(pinpoint_records())), IngestSource.PINPOINT, origin="test"
    )
    assert second.rejected == []
    return AnalyticsService(DuckDBAnalyticsQuery(database))


def test_campaign_totals(analytics: AnalyticsService) -> None:
    m = analytics.campaign_metrics("C1").to_json()
    counts = {
        "sent": 6,
        "delivered": 5,
        "opened": 3,
        "clicked": 2,
        "bounced": 1,
        "complained": 1,
        "unsubscribed": 1,
        "endpoint_deliveries": 4,
        "endpoints_targeted": 5,
        "holdout_endpoints": 2,
    }
    assert {k: m[k] for k in counts} == counts
    assert m["delivery_rate"] == pytest.approx(5 / 6)
    assert m["open_rate"] == pytest.approx(3 / 5)
    assert m["click_rate"] == pytest.approx(2 / 5)
    assert m["bounce_rate"] == pytest.approx(1 / 6)


def test_per_treatment_and_holdout(analytics: AnalyticsService) -> None:
    m = analytics.campaign_metrics("C1")
    by_id = {t["treatment_id"]: t for t in m.treatments}
    assert set(by_id) == {"0", "1"}
    t0, t1 = by_id["0"], by_id["1"]
    assert (
        t0["sent"],
        t0["delivered"],
        t0["opened"],
        t0["clicked"],
        t0["bounced"],
        t0["complained"],
        t0["unsubscribed"],
        t0["endpoint_deliveries"],
        t0["endpoints_targeted"],
    ) == (4, 3, 3, 1, 1, 1, 0, 2, 3)
    assert t0["delivery_rate"] == pytest.approx(3 / 4)
    assert t0["open_rate"] == pytest.approx(1.0)
    assert t0["click_rate"] == pytest.approx(1 / 3)
    assert t0["bounce_rate"] == pytest.approx(1 / 4)
    assert (
        t1["sent"],
        t1["delivered"],
        t1["opened"],
        t1["clicked"],
        t1["bounced"],
        t1["complained"],
        t1["unsubscribed"],
        t1["endpoint_deliveries"],
        t1["endpoints_targeted"],
    ) == (2, 2, 0, 1, 0, 0, 1, 2, 2)
    assert (t1["delivery_rate"], t1["open_rate"], t1["click_rate"], t1["bounce_rate"]) == (
        1.0,
        0.0,
        0.5,
        0.0,
    )
    assert m.holdout == {"endpoints": 2}


def test_per_run(analytics: AnalyticsService) -> None:
    runs = {r["run_id"]: r for r in analytics.campaign_metrics("C1").runs}
    assert set(runs) == {"R1", "R2"}  # C2's run R9 is not C1's
    r1, r2 = runs["R1"], runs["R2"]
    assert (r1["endpoints_targeted"], r1["emails_opened"]) == (5, 2)
    assert (
        r1["sent"],
        r1["delivered"],
        r1["clicked"],
        r1["bounced"],
        r1["complained"],
        r1["unsubscribed"],
        r1["holdout_endpoints"],
    ) == (5, 4, 2, 1, 1, 1, 2)
    assert (r2["endpoints_targeted"], r2["emails_opened"], r2["sent"], r2["delivered"]) == (
        1,
        1,
        1,
        1,
    )


def test_per_day_is_by_event_date(analytics: AnalyticsService) -> None:
    days = {d["day"]: d for d in analytics.campaign_metrics("C1").days}
    assert list(days) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert (days["2026-03-02"]["sent"], days["2026-03-02"]["opened"]) == (5, 2)
    assert (
        days["2026-03-03"]["sent"],
        days["2026-03-03"]["delivered"],
        days["2026-03-03"]["opened"],
    ) == (1, 1, 0)
    assert (days["2026-03-04"]["sent"], days["2026-03-04"]["opened"]) == (0, 1)
    # Nothing delivered that day: no open rate rather than a division by zero.
    assert days["2026-03-04"]["open_rate"] is None


def test_finest_grain_sums_to_messages(analytics: AnalyticsService) -> None:
    detail = analytics.campaign_metrics("C1").detail
    assert sum(row["sent"] for row in detail) == 6
    keys = {(row["treatment_id"], row["run_id"], row["day"]) for row in detail}
    assert ("HOLDOUT", "R1", "2026-03-02") in keys
    assert ("0", "R2", "2026-03-04") in keys


def test_sql_rates_agree_with_service(analytics: AnalyticsService, database: LocalDatabase) -> None:
    rows = DuckDBAnalyticsQuery(database).rows(campaign_metrics_sql(), {"campaign_id": "C1"})
    total = next(r for r in rows if r["grain"] == "campaign")
    assert total["delivery_rate"] == pytest.approx(5 / 6)
    assert total["bounce_rate"] == pytest.approx(1 / 6)


def test_campaign_id_is_bound_not_spliced(analytics: AnalyticsService) -> None:
    with pytest.raises(NotFoundError):
        analytics.campaign_metrics("C1' OR '1'='1")


def test_unknown_campaign(analytics: AnalyticsService) -> None:
    with pytest.raises(NotFoundError):
        analytics.campaign_metrics("nope")


def test_event_counts(analytics: AnalyticsService) -> None:
    from datetime import date

    opens = analytics.event_counts("_email.open")
    assert [(r["day"], r["events"], r["endpoints"]) for r in opens] == [
        ("2026-03-02", 3, 2),
        ("2026-03-04", 1, 1),
    ]
    since = analytics.event_counts("_email.delivered", since=date(2026, 3, 3))
    assert [(r["day"], r["events"]) for r in since] == [("2026-03-03", 1)]
    every = analytics.event_counts()
    assert sum(r["events"] for r in every) == len(ses_records()) - 1 + len(pinpoint_records())


def test_pinpoint_fixture_records_are_valid() -> None:
    assert normalise_pinpoint_records(pinpoint_records()).rejects == []


def test_push_and_custom_sends_count_from_the_campaign_send(
    analytics: AnalyticsService, database: LocalDatabase
) -> None:
    # Push and custom channels publish no provider event: the engine's _campaign.send
    # with status SUCCESS is the send (and the only one: no double count with a retry).
    def push(endpoint: str, status: str, channel: str, message: str | None) -> dict[str, Any]:
        record = campaign_send(endpoint, "0", "R5", D2_MS, status, message)
        record["attributes"].update(campaign_id="C5", delivery_type=channel)
        return record

    records = [
        push("p1", "SUCCESS", "GCM", "pm1"),
        push("p1", "SUCCESS", "GCM", "pm1"),  # stored twice
        push("p2", "SUCCESS", "APNS", "pm2"),
        push("p3", "SUCCESS", "CUSTOM", "pm3"),
        push("p4", "FAILURE", "GCM", "pm4"),
        push("p5", "HOLDOUT", "GCM", None),
        push("p6", "SUCCESS", "EMAIL", "pm6"),  # email: its _email.send is the send
    ]
    for index, record in enumerate(records):
        record["event_id"] = f"push-{index}"
    records[1]["event_id"] = "push-0"
    DuckDBEventStore(database).put_records(normalise_pinpoint_records(records).records)

    m = analytics.campaign_metrics("C5").to_json()

    assert (m["sent"], m["delivered"], m["endpoints_targeted"], m["holdout_endpoints"]) == (
        3,
        0,
        5,
        1,
    )
