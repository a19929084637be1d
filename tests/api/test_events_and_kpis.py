"""PutEvents (system events cannot be forged), the event stream, and date-range KPIs,
through boto3's pinpoint client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest

from clarion.adapters.local.events.event_forwarder import stream_file
from clarion.bootstrap import Bootstrap
from clarion.domain.events.records import MessageContext

NOW = datetime.now(UTC)


def _event(event_type: str, **more: Any) -> dict[str, Any]:
    stamp = NOW.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"EventType": event_type, "Timestamp": stamp, **more}


def test_put_events_answers_each_event_and_refuses_forged_system_events(
    pinpoint: Any, project: str
) -> None:
    pinpoint.update_endpoint(
        ApplicationId=project,
        EndpointId="p1",
        EndpointRequest={"ChannelType": "SMS", "Address": "+14155550101"},
    )
    response = pinpoint.put_events(
        ApplicationId=project,
        EventsRequest={
            "BatchItem": {
                "p1": {
                    "Endpoint": {},
                    "Events": {
                        "buy": _event("purchase", Metrics={"amount": 12.5}),
                        "fake-optout": _event("_SMS.OPTOUT"),
                        "fake-complaint": _event("_email.complaint"),
                        "session": _event(
                            "_session.start",
                            Session={"Id": "s1", "StartTimestamp": "2026-12-01T10:00:00Z"},
                        ),
                    },
                }
            }
        },
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    items = response["EventsResponse"]["Results"]["p1"]["EventsItemResponse"]
    assert items["buy"]["StatusCode"] == 202 and items["session"]["StatusCode"] == 202
    for forged in ("fake-optout", "fake-complaint"):
        assert items[forged]["StatusCode"] == 400
        assert "reserved system event" in items[forged]["Message"]
    endpoint = pinpoint.get_endpoint(ApplicationId=project, EndpointId="p1")["EndpointResponse"]
    assert endpoint.get("OptOut", "NONE") == "NONE"


def test_put_events_over_the_limit_is_refused_whole(pinpoint: Any, project: str) -> None:
    events = {f"e{n}": _event("tick") for n in range(101)}
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="100"):
        pinpoint.put_events(
            ApplicationId=project,
            EventsRequest={"BatchItem": {"x": {"Endpoint": {}, "Events": events}}},
        )


@pytest.mark.local_only("reads the forwarded file (on AWS the consumer forwards: tested there)")
def test_event_stream_forwards_every_record(pinpoint: Any, project: str, api_home: Any) -> None:
    arn = f"arn:aws:kinesis:us-east-1:123456789012:stream/{project}"
    stream = pinpoint.put_event_stream(
        ApplicationId=project,
        WriteEventStream={
            "DestinationStreamArn": arn,
            "RoleArn": "arn:aws:iam::123456789012:role/pinpoint-events",
        },
    )["EventStream"]
    assert stream["ApplicationId"] == project and stream["DestinationStreamArn"] == arn
    assert pinpoint.get_event_stream(ApplicationId=project)["EventStream"] == stream
    pinpoint.put_events(
        ApplicationId=project,
        EventsRequest={"BatchItem": {"s1": {"Endpoint": {}, "Events": {"a": _event("signup")}}}},
    )
    lines = stream_file(api_home, arn).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["event_type"] for r in records] == ["signup"]
    assert records[0]["application"]["app_id"] == project
    pinpoint.delete_event_stream(ApplicationId=project)
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_event_stream(ApplicationId=project)
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="DestinationStreamArn"):
        pinpoint.put_event_stream(
            ApplicationId=project,
            WriteEventStream={
                "DestinationStreamArn": "arn:aws:sqs:x",
                "RoleArn": "arn:aws:iam::1:role/r",
            },
        )


def _ses_events(bootstrap: Bootstrap, project: str, opened: int) -> None:
    """What SES's event destination publishes after the Send the outbox recorded itself
    (same message id, the ``.eml`` name): Delivery for every email, Open for the first
    ``opened`` campaign emails (the trusted path)."""
    home = bootstrap.for_project(project).settings.home
    parser = BytesParser(policy=policy.default)
    records = []
    opens = 0
    for path in sorted((home / "outbox" / "email").glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        context = MessageContext(
            app_id=message["X-Clarion-App-Id"],
            campaign_id=message["X-Clarion-Campaign-Id"],
            endpoint_id=message["X-Clarion-Endpoint-Id"],
            run_id=message["X-Clarion-Run-Id"],
            treatment_id=message["X-Clarion-Treatment-Id"],
            campaign_activity_id=message["X-Clarion-Campaign-Activity-Id"],
        )
        tags: dict[str, list[str]] = {"ses:configuration-set": ["clarion"]}
        for tag in context.to_ses_tags():
            tags[tag["Name"]] = [tag["Value"]]
        stamp = (NOW - timedelta(minutes=5)).isoformat(timespec="milliseconds")
        mail = {
            "timestamp": stamp.replace("+00:00", "Z"),
            "source": str(message["From"]),
            "messageId": path.stem,
            "destination": [str(message["To"])],
            "tags": tags,
        }
        records.append(
            {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {"timestamp": mail["timestamp"], "recipients": mail["destination"]},
            }
        )
        if opens < opened and message["X-Clarion-Campaign-Id"]:
            opens += 1
            records.append(
                {
                    "eventType": "Open",
                    "mail": mail,
                    "open": {
                        "timestamp": mail["timestamp"],
                        "userAgent": "x",
                        "ipAddress": "1.1.1.1",
                    },
                }
            )
    service = bootstrap.for_project(project).event_ingest_service
    result = service.ingest_records(list(enumerate(records)), "ses", origin="test")
    assert not result.rejected, result.rejected_items()


@pytest.mark.local_only("KPIs are Athena SQL over the lake, which moto does not run")
def test_kpis_of_a_project_and_a_campaign(
    pinpoint: Any, project: str, api_bootstrap: Bootstrap
) -> None:
    pinpoint.update_endpoints_batch(
        ApplicationId=project,
        EndpointBatchRequest={
            "Item": [
                {"Id": f"k{n}", "ChannelType": "EMAIL", "Address": f"k{n}@example.com"}
                for n in range(4)
            ]
        },
    )
    segment = pinpoint.create_segment(
        ApplicationId=project,
        WriteSegmentRequest={
            "Name": "all",
            "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}},
        },
    )["SegmentResponse"]
    campaign = pinpoint.create_campaign(
        ApplicationId=project,
        WriteCampaignRequest={
            "Name": "kpi",
            "SegmentId": segment["Id"],
            "Schedule": {"StartTime": "IMMEDIATE"},
            "MessageConfiguration": {"EmailMessage": {"Title": "Hi", "HtmlBody": "<p>x</p>"}},
        },
    )["CampaignResponse"]
    pinpoint.send_messages(
        ApplicationId=project,
        MessageRequest={
            "Addresses": {"receipt@example.com": {"ChannelType": "EMAIL"}},
            "MessageConfiguration": {
                "EmailMessage": {
                    "SimpleEmail": {"Subject": {"Data": "R"}, "TextPart": {"Data": "r"}}
                }
            },
        },
    )
    _ses_events(api_bootstrap, project, opened=2)
    window = {"StartTime": NOW - timedelta(days=1), "EndTime": NOW + timedelta(hours=1)}

    def value(kpi: str, **extra: Any) -> str:
        response = pinpoint.get_application_date_range_kpi(
            ApplicationId=project, KpiName=kpi, **window, **extra
        )["ApplicationDateRangeKpiResponse"]
        assert response["KpiName"] == kpi and response["ApplicationId"] == project
        return str(response["KpiResult"]["Rows"][0]["Values"][0]["Value"])

    # Per-message counts: every email of the project, the transactional one included.
    assert value("emails-sent") == "5"
    assert value("txn-emails-sent") == "1"
    # Pinpoint's campaign KPIs (a Double each; rates in percent) count the campaign's
    # messages only: four emails, all delivered, two of them opened.
    assert float(value("unique-deliveries")) == 4.0
    assert float(value("successful-delivery-rate")) == 100.0
    assert float(value("email-open-rate")) == 50.0
    grouped = pinpoint.get_application_date_range_kpi(
        ApplicationId=project, KpiName="emails-sent-grouped-by-date", **window
    )["ApplicationDateRangeKpiResponse"]["KpiResult"]["Rows"]
    assert grouped[0]["GroupedBys"][0]["Key"] == "Date"
    assert sum(int(r["Values"][0]["Value"]) for r in grouped) == 5
    by_campaign = pinpoint.get_campaign_date_range_kpi(
        ApplicationId=project, CampaignId=campaign["Id"], KpiName="emails-sent", **window
    )["CampaignDateRangeKpiResponse"]
    assert by_campaign["CampaignId"] == campaign["Id"]
    assert by_campaign["KpiResult"]["Rows"][0]["Values"][0]["Value"] == "4"
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="KpiName"):
        pinpoint.get_application_date_range_kpi(ApplicationId=project, KpiName="happiness")
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="31 days"):
        pinpoint.get_application_date_range_kpi(
            ApplicationId=project,
            KpiName="emails-sent",
            StartTime=NOW - timedelta(days=90),
            EndTime=NOW,
        )
