"""A script written against Amazon Pinpoint with boto3, run against Clarion by changing
only where the client sends (``--endpoint-url``): create a project, register endpoints,
import a file, create a segment, a template and a campaign, send a transactional
message, put events and read KPIs.

Usage::

    clarion serve &                      # http://127.0.0.1:8080
    python demo/pinpoint_script.py --endpoint-url http://127.0.0.1:8080

Against a deployed Clarion API, pass its URL and ``--sign-for-api-gateway`` (the one
extra line, ``clarion_client.sign_for_api_gateway``), and an ``s3://`` import URL.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

CUSTOMERS = (
    "ChannelType,Address,User.UserId,User.UserAttributes.FirstName,Location.Country\n"
    "EMAIL,ana@example.com,u-ana,Ana,FR\n"
    "EMAIL,zoe@example.com,u-zoe,Zoë,FR\n"
    "EMAIL,not-an-address,u-bad,Bad,FR\n"
    "SMS,+33612345678,u-ana,Ana,FR\n"
)


def run(pinpoint: Any, import_url: str) -> dict[str, Any]:
    """The whole script; returns what it read back."""
    # 1. A project.
    app = pinpoint.create_app(CreateApplicationRequest={"Name": "whitepaper"})
    app_id = app["ApplicationResponse"]["Id"]
    # 2. Endpoints, one by one and in a batch.
    pinpoint.update_endpoint(
        ApplicationId=app_id,
        EndpointId="web-1",
        EndpointRequest={
            "ChannelType": "EMAIL",
            "Address": "liam@example.com",
            "User": {"UserId": "u-liam", "UserAttributes": {"FirstName": ["Liam"]}},
            "Location": {"Country": "FR"},
        },
    )
    pinpoint.update_endpoints_batch(
        ApplicationId=app_id,
        EndpointBatchRequest={
            "Item": [
                {
                    "Id": "web-2",
                    "ChannelType": "EMAIL",
                    "Address": "mia@example.com",
                    "User": {"UserId": "u-mia", "UserAttributes": {"FirstName": ["Mia"]}},
                    "Location": {"Country": "DE"},
                }
            ]
        },
    )
    # 3. An import job: the customer file as an imported segment.
    job = pinpoint.create_import_job(
        ApplicationId=app_id,
        ImportJobRequest={
            "S3Url": import_url,
            "Format": "CSV",
            "RoleArn": "arn:aws:iam::123456789012:role/pinpoint-import",
            "DefineSegment": True,
            "SegmentName": "customers",
            "RegisterEndpoints": True,
        },
    )["ImportJobResponse"]
    # 4. A segment: French email endpoints.
    segment = pinpoint.create_segment(
        ApplicationId=app_id,
        WriteSegmentRequest={
            "Name": "french-email",
            "Dimensions": {
                "Demographic": {"Channel": {"Values": ["EMAIL"]}},
                "Location": {"Country": {"Values": ["FR"]}},
            },
        },
    )["SegmentResponse"]
    # 5. A template and a campaign sent now with it.
    template_name = f"welcome-{uuid.uuid4().hex[:6]}"
    pinpoint.create_email_template(
        TemplateName=template_name,
        EmailTemplateRequest={
            "Subject": "Bonjour {{User.UserAttributes.FirstName}}",
            "HtmlPart": "<p>Bonjour {{User.UserAttributes.FirstName}}</p>",
            "DefaultSubstitutions": json.dumps({"User.UserAttributes.FirstName": "vous"}),
        },
    )
    campaign = pinpoint.create_campaign(
        ApplicationId=app_id,
        WriteCampaignRequest={
            "Name": "welcome",
            "SegmentId": segment["Id"],
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
            "TemplateConfiguration": {"EmailTemplate": {"Name": template_name}},
        },
    )["CampaignResponse"]
    # 6. A transactional message.
    sent = pinpoint.send_messages(
        ApplicationId=app_id,
        MessageRequest={
            "Addresses": {"receipts@example.com": {"ChannelType": "EMAIL"}},
            "MessageConfiguration": {
                "EmailMessage": {
                    "SimpleEmail": {
                        "Subject": {"Data": "Your receipt"},
                        "TextPart": {"Data": "Thank you for your order."},
                    }
                }
            },
        },
    )["MessageResponse"]
    # 7. Events from the app.
    now = datetime.now(UTC)
    events = pinpoint.put_events(
        ApplicationId=app_id,
        EventsRequest={
            "BatchItem": {
                "web-1": {
                    "Endpoint": {},
                    "Events": {
                        "purchase-1": {
                            "EventType": "purchase",
                            "Timestamp": now.isoformat(),
                            "Metrics": {"amount": 42.0},
                        }
                    },
                }
            }
        },
    )["EventsResponse"]
    # 8. KPIs.
    window = {"StartTime": now - timedelta(days=1), "EndTime": now + timedelta(minutes=5)}
    kpis = {
        name: pinpoint.get_application_date_range_kpi(ApplicationId=app_id, KpiName=name, **window)[
            "ApplicationDateRangeKpiResponse"
        ]["KpiResult"]["Rows"]
        for name in ("successful-delivery-rate", "txn-emails-sent", "email-open-rate")
    }
    campaign_kpi = pinpoint.get_campaign_date_range_kpi(
        ApplicationId=app_id, CampaignId=campaign["Id"], KpiName="unique-deliveries", **window
    )["CampaignDateRangeKpiResponse"]["KpiResult"]["Rows"]
    return {
        "app_id": app_id,
        "import_job": job,
        "segment": segment,
        "campaign": pinpoint.get_campaign(ApplicationId=app_id, CampaignId=campaign["Id"])[
            "CampaignResponse"
        ],
        "activities": pinpoint.get_campaign_activities(
            ApplicationId=app_id, CampaignId=campaign["Id"]
        )["ActivitiesResponse"]["Item"],
        "message": sent,
        "events": events,
        "kpis": kpis,
        "campaign_kpi": campaign_kpi,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--import-url", help="the customer file (default: one written here)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--sign-for-api-gateway", action="store_true")
    args = parser.parse_args()
    pinpoint = boto3.client("pinpoint", endpoint_url=args.endpoint_url, region_name=args.region)
    if args.sign_for_api_gateway:
        import clarion_client

        clarion_client.sign_for_api_gateway(pinpoint)
    import_url = args.import_url
    if import_url is None:
        path = Path(tempfile.mkdtemp()) / "customers.csv"
        path.write_text(CUSTOMERS, encoding="utf-8")
        import_url = path.as_uri()
    print(json.dumps(run(pinpoint, import_url), indent=2, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
