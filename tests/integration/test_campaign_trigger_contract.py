"""The CampaignTrigger contract: ingested events start the EVENT campaigns
(``Schedule.Frequency: EVENT``) whose filters they match, for the endpoint each event
belongs to, once per event however often it is delivered.

The port is implemented by the campaigns service's ``EventCampaignTrigger``, not by an
adapter; it runs here over each backend's stores, as the events consumer runs it:
``local`` on the DuckDB adapters in ``tmp_path``, ``aws`` on the DynamoDB tables
(endpoints, definitions, sends) and the events Kinesis stream on moto. Delivery is a
recording channel that reports every message delivered (the channels have their own
contract suite). Journeys are not built yet, so only campaigns are started.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import AwsSettings, Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.events.records import EventRecord
from clarion.domain.events.rows import from_stream_json
from clarion.domain.messaging.delivery import DeliveryResult, DeliveryStatus, OutboundMessage
from clarion.ports.campaigns import CampaignTrigger
from clarion.services.campaigns import CampaignRunner, CampaignService, EventCampaignTrigger

REGION = "us-east-1"
# 14:00 UTC: 15:00 in Paris, where every endpoint here lives (no quiet time).
NOW = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
EVENT_MS = 1_741_788_000_000  # NOW in epoch milliseconds


class RecordingChannel:
    """A DeliveryChannel that keeps every message and reports it delivered."""

    def __init__(self) -> None:
        self.messages: list[OutboundMessage] = []

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        self.messages.extend(messages)
        return [
            DeliveryResult(m.message_id, DeliveryStatus.SUCCESSFUL, f"provider-{m.message_id}")
            for m in messages
        ]

    def sent_to(self) -> list[str]:
        return [m.context.endpoint_id or "" for m in self.messages]


@dataclass
class TriggerBackend:
    """The trigger over one backend's stores, and the campaign service that creates the
    campaigns. ``new_trigger`` makes another trigger on the same stores (another consumer
    process); ``send_events`` reads the ``_campaign.send`` records the runs wrote."""

    name: str
    boot: Bootstrap
    channel: RecordingChannel
    send_events: Callable[[], list[EventRecord]]
    trigger: CampaignTrigger = field(init=False)
    campaigns: CampaignService = field(init=False)

    def __post_init__(self) -> None:
        a = self.boot.adapters
        self.trigger = self.new_trigger()
        self.campaigns = CampaignService(
            a.campaign_repository,
            self._runner(),
            a.template_repository,
            a.segment_repository,
            app_id=self.boot.app_id,
        )

    def _runner(self) -> CampaignRunner:
        a = self.boot.adapters
        return CampaignRunner(
            a.campaign_repository,
            a.template_repository,
            a.profile_store,
            a.send_ledger,
            self.channel,
            a.event_sink,
            self.boot.segment_service,
            app_id=self.boot.app_id,
            clock=lambda: NOW,
        )

    def new_trigger(self) -> CampaignTrigger:
        repository = self.boot.adapters.campaign_repository
        return EventCampaignTrigger(repository, self._runner(), clock=lambda: NOW)

    def runs(self, campaign_id: str) -> list[dict[str, Any]]:
        return self.boot.adapters.campaign_repository.list_runs(campaign_id)


def _local(tmp_path: Path) -> Iterator[TriggerBackend]:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))

    def send_events() -> list[EventRecord]:
        from clarion.bootstrap.local import LocalAdapters

        assert isinstance(boot.adapters, LocalAdapters)
        rows = (
            boot.adapters.database.cursor()
            .execute(
                "SELECT event_id, event_timestamp, arrival_timestamp, endpoint_id, "
                "attributes FROM events WHERE event_type = '_campaign.send'"
            )
            .fetchall()
        )
        return [
            EventRecord.model_validate(
                {
                    "event_id": r[0],
                    "event_type": "_campaign.send",
                    "event_timestamp": r[1],
                    "arrival_timestamp": r[2],
                    "application": {"app_id": boot.app_id},
                    "client": {"client_id": r[3]},
                    "attributes": dict(r[4]),
                }
            )
            for r in rows
        ]

    yield TriggerBackend("local", boot, RecordingChannel(), send_events)


def _aws(tmp_path: Path) -> Iterator[TriggerBackend]:
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec

    aws = AwsSettings(
        region=REGION,
        endpoints_table="test-endpoints",
        definitions_table="test-definitions",
        sends_table="test-sends",
        data_bucket="test-data-bucket",
        events_stream="test-events",
    )
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(**endpoints_table_spec(aws.endpoints_table))
        dynamodb.create_table(**definitions_table_spec(aws.definitions_table))
        dynamodb.create_table(**sends_table_spec(aws.sends_table))
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=aws.data_bucket)
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName=aws.events_stream, ShardCount=1)
        boot = Bootstrap(
            Settings(backend="aws", home=tmp_path / "home", aws=aws),
            dynamodb=dynamodb,
            s3=s3,
            kinesis=kinesis,
        )

        def send_events() -> list[EventRecord]:
            (shard,) = kinesis.describe_stream(StreamName=aws.events_stream)["StreamDescription"][
                "Shards"
            ]
            iterator = kinesis.get_shard_iterator(
                StreamName=aws.events_stream,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
            records = kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
            events = [from_stream_json(json.loads(r["Data"])) for r in records]
            return [e for e in events if e.event_type == "_campaign.send"]

        yield TriggerBackend("aws", boot, RecordingChannel(), send_events)


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[TriggerBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws(tmp_path)


@pytest.fixture
def audience(backend: TriggerBackend) -> str:
    """Endpoints e-0..e-4 (e-4 opted out) and a segment of every email endpoint."""
    endpoints = [
        {
            "Id": f"e-{n}",
            "ChannelType": "EMAIL",
            "Address": f"user{n}@example.com",
            "Demographic": {"Timezone": "Europe/Paris"},
            "User": {"UserId": f"u-{n}", "UserAttributes": {"FirstName": [f"Name{n}"]}},
            **({"OptOut": "ALL"} if n == 4 else {}),
        }
        for n in range(5)
    ]
    backend.boot.adapters.profile_store.put_endpoints([validate_endpoint(e) for e in endpoints])
    segment = backend.boot.segment_service.create_segment(
        {
            "Name": "email",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    return str(segment["Id"])


def _event_campaign(
    backend: TriggerBackend,
    segment_id: str,
    *,
    dimensions: dict[str, Any] | None = None,
    filter_type: str = "ENDPOINT",
    **schedule: Any,
) -> str:
    request = {
        "Name": "on purchase",
        "SegmentId": segment_id,
        "HoldoutPercent": 0,
        "MessageConfiguration": {
            "EmailMessage": {
                "Title": "Thanks {{User.UserAttributes.FirstName}}",
                "HtmlBody": "<p>Thank you for your purchase</p>",
                "FromAddress": "shop@example.com",
            }
        },
        "Schedule": {
            "StartTime": "2025-01-01T00:00:00Z",
            "Frequency": "EVENT",
            "EventFilter": {
                "FilterType": filter_type,
                "Dimensions": dimensions
                if dimensions is not None
                else {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]}},
            },
            **schedule,
        },
    }
    campaign = backend.campaigns.create_campaign(request)
    return str(campaign["Id"])


def _record(
    event_id: str, endpoint_id: str | None, event_type: str = "purchase", **attributes: str
) -> EventRecord:
    data: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "event_timestamp": EVENT_MS,
        "arrival_timestamp": EVENT_MS,
        "application": {"app_id": "clarion"},
        "attributes": attributes,
    }
    if endpoint_id is not None:
        data["client"] = {"client_id": endpoint_id}
    return EventRecord.model_validate(data)


# -- the contract ----------------------------------------------------------------------


def test_a_matching_event_starts_the_campaign_for_its_endpoint(
    backend: TriggerBackend, audience: str
) -> None:
    campaign_id = _event_campaign(backend, audience)

    backend.trigger.handle_events([_record("ev-1", "e-2")])

    assert backend.channel.sent_to() == ["e-2"]
    (message,) = backend.channel.messages
    assert message.context.campaign_id == campaign_id
    assert message.address == "user2@example.com"
    (run,) = backend.runs(campaign_id)
    assert run["Trigger"] == "EVENT"
    assert run["State"] == "COMPLETED"
    assert run["Counts"] == {"SENT": 1}
    (sent,) = backend.send_events()
    assert sent.endpoint_id == "e-2"
    assert sent.attributes["campaign_id"] == campaign_id
    assert sent.attributes["campaign_send_status"] == "SUCCESS"


def test_events_that_do_not_match_start_nothing(backend: TriggerBackend, audience: str) -> None:
    campaign_id = _event_campaign(
        backend,
        audience,
        dimensions={
            "EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]},
            "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["gold"]}},
        },
    )

    backend.trigger.handle_events(
        [
            _record("ev-1", "e-1", "view", plan="gold"),  # another event type
            _record("ev-2", "e-2", plan="free"),  # another attribute value
            _record("ev-3", "e-3"),  # no attribute at all
            _record("ev-4", "e-0", "_email.open", plan="gold"),  # a system event
            _record("ev-5", "e-1", plan="gold"),  # the one that matches
        ]
    )

    assert backend.channel.sent_to() == ["e-1"]
    assert len(backend.runs(campaign_id)) == 1


def test_a_redelivered_event_sends_nothing_twice(backend: TriggerBackend, audience: str) -> None:
    campaign_id = _event_campaign(backend, audience)
    batch = [_record("ev-1", "e-1"), _record("ev-2", "e-2")]

    backend.trigger.handle_events(batch)
    backend.trigger.handle_events(batch[:1])  # the stream delivers again
    backend.new_trigger().handle_events(batch)  # or to another consumer

    assert sorted(backend.channel.sent_to()) == ["e-1", "e-2"]
    runs = backend.runs(campaign_id)
    assert len(runs) == 2
    assert all(run["Counts"] == {"SENT": 1} for run in runs)
    # One _campaign.send record per send: a redelivery records nothing either.
    assert sorted(e.endpoint_id or "" for e in backend.send_events()) == ["e-1", "e-2"]


def test_each_event_is_its_own_run(backend: TriggerBackend, audience: str) -> None:
    campaign_id = _event_campaign(backend, audience)

    backend.trigger.handle_events([_record("ev-1", "e-1"), _record("ev-2", "e-1")])

    assert backend.channel.sent_to() == ["e-1", "e-1"]
    assert len(backend.runs(campaign_id)) == 2


def test_every_matching_campaign_is_started(backend: TriggerBackend, audience: str) -> None:
    first = _event_campaign(backend, audience)
    second = _event_campaign(backend, audience)

    backend.trigger.handle_events([_record("ev-1", "e-3")])

    assert sorted(m.context.campaign_id or "" for m in backend.channel.messages) == sorted(
        [first, second]
    )


def test_paused_campaigns_and_campaigns_outside_their_window_are_not_started(
    backend: TriggerBackend, audience: str
) -> None:
    paused = _event_campaign(backend, audience)
    backend.campaigns.update_campaign(paused, {"IsPaused": True})
    not_yet = _event_campaign(backend, audience, StartTime="2025-04-01T00:00:00Z")
    ended = _event_campaign(backend, audience, EndTime="2025-03-01T00:00:00Z")

    backend.trigger.handle_events([_record("ev-1", "e-1")])

    assert backend.channel.messages == []
    assert [backend.runs(c) for c in (paused, not_yet, ended)] == [[], [], []]


def test_only_event_campaigns_are_started(backend: TriggerBackend, audience: str) -> None:
    immediate = backend.campaigns.create_campaign(
        {
            "Name": "now",
            "SegmentId": audience,
            "MessageConfiguration": {"EmailMessage": {"Title": "t", "HtmlBody": "<p>b</p>"}},
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        }
    )

    backend.trigger.handle_events([_record("ev-1", "e-1")])

    assert backend.channel.messages == []
    assert backend.runs(str(immediate["Id"])) == []


def test_events_without_an_endpoint_start_nothing(backend: TriggerBackend, audience: str) -> None:
    campaign_id = _event_campaign(backend, audience)

    backend.trigger.handle_events([_record("ev-1", None)])

    assert backend.channel.messages == []
    assert backend.runs(campaign_id) == []


def test_the_endpoint_goes_through_the_send_rules(backend: TriggerBackend, audience: str) -> None:
    campaign_id = _event_campaign(backend, audience)

    backend.trigger.handle_events([_record("ev-1", "e-4"), _record("ev-2", "ghost")])

    assert backend.channel.messages == []  # e-4 opted out; no endpoint "ghost"
    counts = sorted(json.dumps(run["Counts"]) for run in backend.runs(campaign_id))
    assert counts == sorted(
        [json.dumps({"SKIPPED_OPT_OUT": 1}), json.dumps({"SKIPPED_NOT_FOUND": 1})]
    )


def test_nothing_to_handle(backend: TriggerBackend, audience: str) -> None:
    backend.trigger.handle_events([])
    campaign_id = _event_campaign(backend, audience)
    backend.trigger.handle_events([])

    assert backend.channel.messages == []
    assert backend.runs(campaign_id) == []
