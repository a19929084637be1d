"""A campaign run on the local backend: decisions, outbox, idempotency, events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import OptOut, validate_endpoint
from clarion.domain.campaigns.assignment import assign
from clarion.domain.campaigns.model import validate_campaign_response
from clarion.domain.messaging.delivery import DeliveryResult, OutboundMessage
from clarion.domain.messaging.ledger import Reason
from clarion.services.campaigns.runner import CampaignRunner

# 14:00 UTC: 23:00 in Tokyo (quiet), 15:00 in Paris, 10:00 in New York.
NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo"]


class RecordingChannel:
    """Wraps a DeliveryChannel and keeps every message handed to it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.messages: list[OutboundMessage] = []

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        self.messages.extend(messages)
        return self.inner.deliver(messages)


class CrashingChannel:
    """Fails the whole call, as a Lambda killed between claim and delivery would."""

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        raise RuntimeError("the process died")


def _endpoint(index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Id": f"ep-{index:03d}",
        "ChannelType": "EMAIL",
        "Address": f"user{index}@example.com",
        "User": {"UserId": f"u{index}", "UserAttributes": {"FirstName": [f"Name{index}"]}},
        "Attributes": {"Address": [f"{index} Main St"]},
        "Demographic": {"Timezone": ZONES[index % 3]},
    }
    if index % 10 == 1:
        data["OptOut"] = "ALL"
    if index % 10 == 2:
        data["EndpointStatus"] = "INACTIVE"
    return data


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    boot.adapters.profile_store.put_endpoints([validate_endpoint(_endpoint(i)) for i in range(200)])
    return boot


def _segment(boot: Bootstrap) -> str:
    segment = boot.segment_service.create_segment(
        {
            "Name": "everyone",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    return str(segment["Id"])


def _campaign_request(segment_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": "spring",
        "SegmentId": segment_id,
        "HoldoutPercent": 10,
        "MessageConfiguration": {
            "EmailMessage": {
                "Title": "Hello {{User.UserAttributes.FirstName}}",
                "HtmlBody": "<p>Hi {{User.UserAttributes.FirstName}} at {{Attributes.Address}}</p>",
                "FromAddress": "news@example.com",
            }
        },
        "AdditionalTreatments": [
            {
                "SizePercent": 30,
                "TreatmentName": "B",
                "MessageConfiguration": {
                    "EmailMessage": {
                        "Title": "B for {{User.UserAttributes.FirstName}}",
                        "HtmlBody": "<p>B</p>",
                    }
                },
            },
            {
                "SizePercent": 30,
                "TreatmentName": "C",
                "MessageConfiguration": {"EmailMessage": {"Title": "C", "HtmlBody": "<p>C</p>"}},
            },
        ],
        "Schedule": {
            "StartTime": "IMMEDIATE",
            "Frequency": "ONCE",
            "QuietTime": {"Start": "22:00", "End": "07:00"},
        },
        "Limits": {"Daily": 1},
        **extra,
    }


def _runner(boot: Bootstrap, channel: Any) -> CampaignRunner:
    return CampaignRunner(
        boot.adapters.campaign_repository,
        boot.adapters.template_repository,
        boot.adapters.profile_store,
        boot.adapters.send_ledger,
        channel,
        boot.adapters.event_sink,
        boot.segment_service,
        sleep=lambda _: None,
    )


def _outbox_ids(home: Path) -> set[str]:
    folder = home / "outbox" / "email"
    found = set()
    for path in folder.glob("*.eml") if folder.exists() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.lower().startswith("to:"):
                found.add(line.split(":", 1)[1].strip())
    return found


def _ledger(boot: Bootstrap, run_id: str) -> dict[str, str]:
    rows = (
        boot.adapters.database.cursor()
        .execute("SELECT endpoint_id, reason FROM campaign_sends WHERE run_id = ?", [run_id])
        .fetchall()
    )
    return dict(rows)


def test_campaign_with_treatments_holdout_quiet_time_and_caps_runs_locally(boot: Bootstrap):
    channel = RecordingChannel(boot.adapters.delivery_channel)
    runner = _runner(boot, channel)
    created = boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))
    campaign = validate_campaign_response(created)

    run = runner.plan_run(campaign.id, now=NOW)
    summary = runner.execute(run["RunId"], now=NOW)
    counts = summary["Counts"]
    outcomes = _ledger(boot, run["RunId"])

    # Every audience member has exactly one outcome, and the counts add up to it.
    assert summary["Summary"]["Targeted"] == 200 == sum(counts.values()) == len(outcomes)
    # Opt-outs and inactive endpoints first, whatever their zone.
    assert counts["SKIPPED_OPT_OUT"] == 20
    assert counts["SKIPPED_INACTIVE"] == 20
    for endpoint_id, reason in outcomes.items():
        index = int(endpoint_id.split("-")[1])
        if index % 10 == 1:
            assert reason == "SKIPPED_OPT_OUT"
        elif index % 10 == 2:
            assert reason == "SKIPPED_INACTIVE"
        elif ZONES[index % 3] == "Asia/Tokyo":
            assert reason == "DEFERRED_QUIET_TIME"
        else:
            expected = "HOLDOUT" if assign(campaign, endpoint_id).holdout else "SENT"
            assert reason == expected, endpoint_id
    # Outbox files exist only for SENT decisions, one each, and only those were handed
    # to the channel.
    sent = {k for k, v in outcomes.items() if v == "SENT"}
    assert sent and counts["SENT"] == len(sent)
    assert {m.endpoint_id for m in channel.messages} == sent
    assert _outbox_ids(boot.settings.home) == {f"user{int(k[3:])}@example.com" for k in sent}
    assert summary["State"] == "PENDING_NEXT_RUN"  # Tokyo is still deferred


def test_treatment_messages_are_rendered_per_assignment(boot: Bootstrap):
    channel = RecordingChannel(boot.adapters.delivery_channel)
    runner = _runner(boot, channel)
    campaign = validate_campaign_response(
        boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))
    )
    run = runner.plan_run(campaign.id, now=NOW)
    runner.execute(run["RunId"], now=NOW)

    seen = set()
    for message in channel.messages:
        endpoint_id = message.endpoint_id or ""
        treatment = assign(campaign, endpoint_id).treatment_id
        assert message.context.treatment_id == treatment
        name = f"Name{int(endpoint_id[3:])}"
        subject = message.content.subject  # type: ignore[union-attr]
        expected = {"0": f"Hello {name}", "1": f"B for {name}", "2": "C"}[str(treatment)]
        assert subject == expected
        seen.add(treatment)
    assert seen == {"0", "1", "2"}


def test_opted_out_endpoints_never_receive_anything_even_on_resume(boot: Bootstrap):
    channel = RecordingChannel(boot.adapters.delivery_channel)
    runner = _runner(boot, channel)
    campaign_id = boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))["Id"]
    run = runner.plan_run(campaign_id, now=NOW)
    runner.execute(run["RunId"], now=NOW)
    # A Tokyo endpoint opts out while deferred.
    tokyo = next(k for k, v in _ledger(boot, run["RunId"]).items() if v == "DEFERRED_QUIET_TIME")
    endpoint = boot.adapters.profile_store.get_endpoint(tokyo)
    assert endpoint is not None
    boot.adapters.profile_store.put_endpoints([endpoint.model_copy(update={"opt_out": OptOut.ALL})])

    later = NOW + timedelta(hours=9)  # 08:00 in Tokyo
    summary = runner.resume(run["RunId"], now=later)

    opted_out = {f"ep-{i:03d}" for i in range(200) if i % 10 == 1} | {tokyo}
    assert not opted_out & {m.endpoint_id for m in channel.messages}
    outcomes = _ledger(boot, run["RunId"])
    assert outcomes[tokyo] == "SKIPPED_OPT_OUT"
    assert "DEFERRED_QUIET_TIME" not in summary["Counts"]
    assert summary["State"] == "COMPLETED"
    assert summary["Summary"]["Targeted"] == 200


def test_retried_batch_after_crash_between_claim_and_delivery_sends_nothing_twice(
    boot: Bootstrap,
):
    campaign_id = boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))["Id"]
    crashing = _runner(boot, CrashingChannel())
    run = crashing.plan_run(campaign_id, now=NOW)
    audience = sorted(crashing.audience(run["RunId"]))
    first, second = audience[:100], audience[100:]

    # First batch: delivered normally.
    channel = RecordingChannel(boot.adapters.delivery_channel)
    healthy = _runner(boot, channel)
    healthy.send_batch(run["RunId"], first, now=NOW)
    delivered_once = [m.endpoint_id for m in channel.messages]
    assert delivered_once

    # Second batch: the process dies after claiming, before delivering.
    with pytest.raises(RuntimeError):
        crashing.send_batch(run["RunId"], second, now=NOW)
    claimed = {k for k, v in _ledger(boot, run["RunId"]).items() if v == "CLAIMED"}
    assert claimed

    # Both batches retried (Step Functions retries the failed one; a replay may rerun
    # the first): nothing is handed to the channel again.
    retry = RecordingChannel(boot.adapters.delivery_channel)
    again = _runner(boot, retry)
    again.send_batch(run["RunId"], first, now=NOW)
    again.send_batch(run["RunId"], second, now=NOW)
    assert retry.messages == []
    summary = again.summarise_run(run["RunId"], now=NOW)
    # The in-doubt claims are reported, not resent.
    assert summary["Summary"]["InDoubt"] == len(claimed)
    assert sum(summary["Counts"].values()) == 200


def test_daily_cap_skips_a_second_run_on_the_same_day(boot: Bootstrap):
    channel = RecordingChannel(boot.adapters.delivery_channel)
    runner = _runner(boot, channel)
    campaign_id = boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))["Id"]
    first = runner.plan_run(campaign_id, now=NOW)
    runner.execute(first["RunId"], now=NOW)
    sent_first = len(channel.messages)

    second = runner.plan_run(campaign_id, now=NOW + timedelta(hours=1))
    summary = runner.execute(second["RunId"], now=NOW + timedelta(hours=1))
    assert summary["Counts"].get("SKIPPED_DAILY_CAP") == sent_first
    assert len(channel.messages) == sent_first

    next_day = NOW + timedelta(days=1)
    third = runner.plan_run(campaign_id, now=next_day)
    summary = runner.execute(third["RunId"], now=next_day)
    assert summary["Counts"].get("SENT") == sent_first


def test_campaign_send_events_are_recorded_with_pinpoint_attributes(boot: Bootstrap):
    runner = _runner(boot, boot.adapters.delivery_channel)
    created = boot.campaign_service.create_campaign(_campaign_request(_segment(boot)))
    campaign_id = created["Id"]
    campaign = validate_campaign_response(created)
    run = runner.plan_run(campaign_id, now=NOW)
    summary = runner.execute(run["RunId"], now=NOW)

    rows = (
        boot.adapters.database.cursor()
        .execute("SELECT endpoint_id, attributes FROM events WHERE event_type = '_campaign.send'")
        .fetchall()
    )
    by_status: dict[str, int] = {}
    for client_id, attributes in rows:
        attrs = dict(attributes) if not isinstance(attributes, str) else json.loads(attributes)
        assert attrs["campaign_id"] == campaign_id
        assert attrs["campaign_activity_id"] == run["RunId"]
        assert attrs["treatment_id"] in {"0", "1", "2"}
        assert attrs["run_id"] == run["RunId"]
        if attrs["campaign_send_status"] == "SUCCESS":
            # Each send is attributed to the treatment the endpoint was assigned.
            assert attrs["treatment_id"] == assign(campaign, client_id).treatment_id
        assert client_id.startswith("ep-")
        by_status[attrs["campaign_send_status"]] = (
            by_status.get(attrs["campaign_send_status"], 0) + 1
        )
    assert by_status["SUCCESS"] == summary["Counts"]["SENT"]
    assert by_status["HOLDOUT"] == summary["Counts"]["HOLDOUT"]
    assert by_status["OPT_OUT"] == summary["Counts"]["SKIPPED_OPT_OUT"]


def test_launch_runs_now_and_reports_runs(boot: Bootstrap):
    service = boot.campaign_service
    campaign_id = service.create_campaign(_campaign_request(_segment(boot)))["Id"]
    run_id = service.launch(campaign_id)
    reports = service.runs(campaign_id)
    assert [r["RunId"] for r in reports] == [run_id]
    report = reports[0]
    assert report["Targeted"] == 200
    assert (
        report["Sent"]
        + report["HeldOut"]
        + report["Failed"]
        + report["InDoubt"]
        + sum(report["Skipped"].values())
        + sum(report["Deferred"].values())
        == 200
    )
    assert service.get_campaign(campaign_id)["State"]["CampaignStatus"] in (
        "COMPLETED",
        "PENDING_NEXT_RUN",
    )
    assert Reason.SKIPPED_OPT_OUT.value in report["Skipped"]


def test_event_campaign_sends_to_the_record_endpoint_once(boot: Bootstrap):
    from clarion.domain.events.records import EventRecord
    from clarion.services.campaigns.service import EventCampaignTrigger

    channel = RecordingChannel(boot.adapters.delivery_channel)
    runner = _runner(boot, channel)
    request = _campaign_request(
        _segment(boot),
        HoldoutPercent=0,
        AdditionalTreatments=[],
        Schedule={
            "StartTime": "2025-01-01T00:00:00Z",
            "Frequency": "EVENT",
            "EventFilter": {
                "FilterType": "ENDPOINT",
                "Dimensions": {"EventType": {"Values": ["purchase"]}},
            },
        },
    )
    boot.campaign_service.create_campaign(request)
    trigger = EventCampaignTrigger(boot.adapters.campaign_repository, runner, clock=lambda: NOW)

    def record(event_id: str, endpoint_id: str, event_type: str = "purchase") -> EventRecord:
        return EventRecord.model_validate(
            {
                "event_type": event_type,
                "event_timestamp": 1_741_774_800_000,
                "arrival_timestamp": 1_741_774_800_000,
                "application": {"app_id": "clarion"},
                "client": {"client_id": endpoint_id},
                "event_id": event_id,
            }
        )

    batch = [record("e1", "ep-000"), record("e2", "ep-001"), record("e3", "ep-003", "view")]
    trigger.handle_events(batch)
    trigger.handle_events(batch[:1])  # redelivered
    # ep-000 receives once; ep-001 opted out; a view starts nothing.
    assert [m.endpoint_id for m in channel.messages] == ["ep-000"]
