"""Per-campaign schedules: the EventBridge Scheduler adapter under moto, and the local
scheduler with ``CampaignService.tick`` (what ``clarion campaigns tick`` runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.adapters.aws.campaigns.campaign_scheduler import (
    EventBridgeCampaignScheduler,
    SchedulerNotConfiguredError,
)
from clarion.adapters.local.campaigns.campaign_scheduler import DuckDBCampaignScheduler
from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.campaigns.model import CampaignResponse, validate_campaign_response
from clarion.services.campaigns.service import CampaignService

REGION = "us-east-1"
GROUP = "clarion-campaigns"
ROLE_ARN = "arn:aws:iam::123456789012:role/clarion-scheduler"
STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:clarion-campaign-run"


def _campaign(schedule: dict[str, Any], **extra: Any) -> CampaignResponse:
    return validate_campaign_response(
        {
            "Id": "c0ffee",
            "Version": 1,
            "ApplicationId": "clarion",
            "Arn": "arn:clarion:campaigns:clarion:c0ffee",
            "CreationDate": "2026-01-01T00:00:00.000Z",
            "LastModifiedDate": "2026-01-01T00:00:00.000Z",
            "SegmentId": "s1",
            "SegmentVersion": 1,
            "MessageConfiguration": {"EmailMessage": {"Title": "t", "HtmlBody": "<p>b</p>"}},
            "Schedule": schedule,
            **extra,
        }
    )


# -- AWS: EventBridge Scheduler under moto ---------------------------------------------


@pytest.fixture
def scheduler_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        yield client


def _adapter(client: Any, role_arn: str = ROLE_ARN) -> EventBridgeCampaignScheduler:
    return EventBridgeCampaignScheduler(
        client, group_name=GROUP, role_arn=role_arn, state_machine_arn=STATE_MACHINE_ARN
    )


def _names(client: Any) -> list[str]:
    listed = client.list_schedules(GroupName=GROUP)["Schedules"]
    return sorted(s["Name"] for s in listed)


def test_create_update_on_conflict_and_delete(scheduler_client: Any) -> None:
    client = scheduler_client
    adapter = _adapter(client)
    start = (datetime.now(UTC) + timedelta(days=10)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    end = start + timedelta(days=30)
    daily = {
        "StartTime": start.replace(tzinfo=None).isoformat(),
        "EndTime": end.replace(tzinfo=None).isoformat(),
        "Frequency": "DAILY",
        "Timezone": "UTC+02",
    }
    arn = adapter.put_schedule(_campaign(daily))
    assert arn == f"arn:aws:scheduler:{REGION}:123456789012:schedule/{GROUP}/campaign-c0ffee"
    stored = client.get_schedule(Name="campaign-c0ffee", GroupName=GROUP)
    assert stored["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert stored["ScheduleExpressionTimezone"] == "Etc/GMT-2"
    assert stored["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert stored["State"] == "ENABLED"
    target = stored["Target"]
    assert (target["Arn"], target["RoleArn"]) == (STATE_MACHINE_ARN, ROLE_ARN)
    assert json.loads(target["Input"]) == {"CampaignId": "c0ffee"}
    # 09:00 at UTC+02 is 07:00Z; StartDate just before the first run, EndDate just after
    # the last one.
    first = start - timedelta(hours=2)
    assert stored["StartDate"] == first - timedelta(seconds=1)
    assert stored["EndDate"] == end - timedelta(hours=2) + timedelta(seconds=1)

    # A second put is an update (ConflictException on create): paused, weekly now.
    weekly = {**daily, "Frequency": "WEEKLY"}
    again = adapter.put_schedule(_campaign(weekly, IsPaused=True))
    assert again == arn
    stored = client.get_schedule(Name="campaign-c0ffee", GroupName=GROUP)
    day = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[start.weekday()]
    assert stored["ScheduleExpression"] == f"cron(0 9 ? * {day} *)"
    assert stored["State"] == "DISABLED"
    assert _names(client) == ["campaign-c0ffee"]

    # Monthly on the 30th: a second schedule for February; dropped again when daily.
    on_30th = (start + timedelta(days=40)).replace(day=30)
    monthly = {"StartTime": on_30th.isoformat().replace("+00:00", "Z"), "Frequency": "MONTHLY"}
    adapter.put_schedule(_campaign(monthly))
    assert _names(client) == ["campaign-c0ffee", "campaign-c0ffee-feb"]
    feb = client.get_schedule(Name="campaign-c0ffee-feb", GroupName=GROUP)
    assert feb["ScheduleExpression"] == "cron(0 9 L 2 ? *)"
    adapter.put_schedule(_campaign(daily))
    assert _names(client) == ["campaign-c0ffee"]

    # EVENT campaigns have no schedule: the old one goes; deleting twice is fine.
    event = {
        "StartTime": "2026-01-01T00:00:00Z",
        "Frequency": "EVENT",
        "EventFilter": {"FilterType": "ENDPOINT", "Dimensions": {}},
    }
    assert adapter.put_schedule(_campaign(event)) is None
    assert _names(client) == []
    adapter.delete_schedule("c0ffee")


def test_once_is_a_one_time_schedule_deleted_after_it_fires(scheduler_client: Any) -> None:
    adapter = _adapter(scheduler_client)
    moment = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    adapter.put_schedule(
        _campaign({"StartTime": moment.isoformat().replace("+00:00", "Z"), "Frequency": "ONCE"})
    )
    stored = scheduler_client.get_schedule(Name="campaign-c0ffee", GroupName=GROUP)
    assert stored["ScheduleExpression"] == f"at({moment:%Y-%m-%dT%H:%M:%S})"
    assert stored["ScheduleExpressionTimezone"] == "UTC"
    assert stored["ActionAfterCompletion"] == "DELETE"
    assert "StartDate" not in stored or stored["StartDate"] is None


def test_a_schedule_without_settings_is_refused_but_immediate_needs_none(
    scheduler_client: Any,
) -> None:
    adapter = _adapter(scheduler_client, role_arn="")
    assert adapter.put_schedule(_campaign({"StartTime": "IMMEDIATE"})) is None
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    with pytest.raises(SchedulerNotConfiguredError, match="CLARION_CAMPAIGN_SCHEDULER_ROLE"):
        adapter.put_schedule(_campaign({"StartTime": future, "Frequency": "DAILY"}))


# -- local: the DuckDB scheduler and tick ----------------------------------------------


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Local:
    boot: Bootstrap
    service: CampaignService
    scheduler: DuckDBCampaignScheduler
    clock: Clock
    segment_id: str


@pytest.fixture
def local(tmp_path: Path) -> Local:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo"]
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {
                    "Id": f"ep-{i}",
                    "ChannelType": "EMAIL",
                    "Address": f"user{i}@example.com",
                    "Demographic": {"Timezone": zones[i % 3]},
                }
            )
            for i in range(6)
        ]
    )
    segment = boot.segment_service.create_segment(
        {
            "Name": "everyone",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    clock = Clock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    scheduler = DuckDBCampaignScheduler(boot.adapters.database, clock=clock)
    service = CampaignService(
        boot.adapters.campaign_repository,
        boot.campaign_runner,
        boot.adapters.template_repository,
        boot.adapters.segment_repository,
        scheduler=scheduler,
        clock=clock,
    )
    return Local(boot, service, scheduler, clock, str(segment["Id"]))


def _request(segment_id: str, schedule: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": "daily digest",
        "SegmentId": segment_id,
        "MessageConfiguration": {
            "EmailMessage": {
                "Title": "Digest",
                "HtmlBody": "<p>news</p>",
                "FromAddress": "news@example.com",
            }
        },
        "Schedule": schedule,
    }


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


def test_a_daily_campaign_runs_once_per_due_day(local: Local) -> None:
    service = local.service
    campaign = service.create_campaign(
        _request(
            local.segment_id,
            {
                "StartTime": "2026-05-02T09:00:00Z",
                "EndTime": "2026-05-04T09:00:00Z",
                "Frequency": "DAILY",
            },
        )
    )
    campaign_id = campaign["Id"]
    assert local.scheduler.next_run(campaign_id) == _at(2, 9)

    def ran(moment: datetime) -> list[str]:
        local.clock.now = moment
        return [r["RunId"] for r in service.tick(moment) if "RunId" in r]

    assert ran(_at(2, 8, 59)) == []
    first = ran(_at(2, 9, 0))
    assert len(first) == 1
    assert ran(_at(2, 9, 5)) == []  # same day: nothing new
    assert ran(_at(2, 23, 0)) == []
    assert len(ran(_at(3, 9, 30))) == 1
    # a tick three days late runs the last due run once (May 4th), then the schedule ends
    assert len(ran(_at(7, 12, 0))) == 1
    assert local.scheduler.next_run(campaign_id) is None
    assert ran(_at(8, 12, 0)) == []

    runs = service.runs(campaign_id)
    assert [r["Trigger"] for r in runs] == ["SCHEDULE"] * 3
    assert all(r["Sent"] == 6 for r in runs)
    assert service.get_campaign(campaign_id)["State"]["CampaignStatus"] == "COMPLETED"
    scheduled = [
        local.boot.adapters.campaign_repository.get_run(r["RunId"])["ScheduledTime"] for r in runs
    ]
    assert scheduled == [
        "2026-05-02T09:00:00.000Z",
        "2026-05-03T09:00:00.000Z",
        "2026-05-04T09:00:00.000Z",
    ]


def test_paused_and_event_campaigns_are_not_ticked(local: Local) -> None:
    service = local.service
    campaign = service.create_campaign(
        _request(local.segment_id, {"StartTime": "2026-05-02T09:00:00Z", "Frequency": "DAILY"})
    )
    service.update_campaign(campaign["Id"], {"IsPaused": True})
    assert service.tick(_at(2, 10)) == []
    service.update_campaign(campaign["Id"], {"IsPaused": False})
    local.clock.now = _at(2, 10)
    assert service.tick(_at(3, 9, 1))[0]["Sent"] == 6
    event = {
        "StartTime": "2026-05-02T09:00:00Z",
        "Frequency": "EVENT",
        "EventFilter": {"FilterType": "ENDPOINT", "Dimensions": {}},
    }
    service.update_campaign(campaign["Id"], {"Schedule": event})
    assert local.scheduler.next_run(campaign["Id"]) is None


def test_local_time_starts_in_utc_plus_14_and_ticks_resume_each_zone(local: Local) -> None:
    service = local.service
    campaign = service.create_campaign(
        _request(
            local.segment_id,
            {"StartTime": "2026-05-02T09:00:00", "Frequency": "ONCE", "IsLocalTime": True},
        )
    )
    # 09:00 in UTC+14 is 19:00Z the day before: the run starts then, deferring everyone.
    assert local.service.tick(_at(1, 18, 59)) == []
    [started] = service.tick(_at(1, 19, 0))
    assert started["Sent"] == 0 and sum(started["Deferred"].values()) == 6
    # 09:00 in Tokyo (00:00Z), Paris (07:00Z), New York (13:00Z)
    assert service.tick(_at(2, 0, 0))[0]["Sent"] == 2
    assert service.tick(_at(2, 7, 0))[0]["Sent"] == 4
    final = service.tick(_at(2, 13, 0))[0]
    assert (final["Sent"], final["State"]) == (6, "COMPLETED")
    assert service.tick(_at(2, 14, 0)) == []
    assert service.get_campaign(campaign["Id"])["State"]["CampaignStatus"] == "COMPLETED"
