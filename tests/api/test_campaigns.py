"""Campaigns, transactional messages, in-app messages and channels through boto3's
pinpoint client."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap


def _audience(pinpoint: Any, project: str, count: int = 3) -> str:
    pinpoint.update_endpoints_batch(
        ApplicationId=project,
        EndpointBatchRequest={
            "Item": [
                {
                    "Id": f"c{number}",
                    "ChannelType": "EMAIL",
                    "Address": f"c{number}@example.com",
                    "User": {"UserId": f"user-{number}", "UserAttributes": {"FirstName": ["Zoë"]}},
                }
                for number in range(count)
            ]
        },
    )
    segment = pinpoint.create_segment(
        ApplicationId=project,
        WriteSegmentRequest={
            "Name": "email",
            "Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}},
        },
    )
    return str(segment["SegmentResponse"]["Id"])


EMAIL = {"EmailMessage": {"Title": "Hi {{User.UserAttributes.FirstName}}", "HtmlBody": "<p>Hi</p>"}}


def _outbox(bootstrap: Bootstrap, project: str) -> Path:
    return bootstrap.for_project(project).settings.home / "outbox" / "email"


@pytest.mark.local_only("reads the outbox; on moto the run starts the state machine")
def test_an_immediate_campaign_runs_and_reports_activities(
    pinpoint: Any, project: str, api: Any
) -> None:
    segment_id = _audience(pinpoint, project)
    created = pinpoint.create_campaign(
        ApplicationId=project,
        WriteCampaignRequest={
            "Name": "now",
            "SegmentId": segment_id,
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
            "MessageConfiguration": EMAIL,
        },
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    campaign = created["CampaignResponse"]
    assert campaign["ApplicationId"] == project
    assert campaign["State"]["CampaignStatus"] == "COMPLETED"
    assert len(list(_outbox(api.bootstrap, project).glob("*.eml"))) == 3
    activities = pinpoint.get_campaign_activities(ApplicationId=project, CampaignId=campaign["Id"])[
        "ActivitiesResponse"
    ]["Item"]
    assert len(activities) == 1
    assert activities[0]["TotalEndpointCount"] == 3
    assert activities[0]["SuccessfulEndpointCount"] == 3
    assert activities[0]["Result"] == "SUCCESS"


def test_campaign_versions_listing_and_deletion(pinpoint: Any, project: str) -> None:
    segment_id = _audience(pinpoint, project, 1)
    campaign = pinpoint.create_campaign(
        ApplicationId=project,
        WriteCampaignRequest={
            "Name": "later",
            "SegmentId": segment_id,
            "Schedule": {"StartTime": "2036-01-01T09:00:00Z", "Frequency": "ONCE"},
            "MessageConfiguration": EMAIL,
        },
    )["CampaignResponse"]
    assert campaign["State"]["CampaignStatus"] == "SCHEDULED"
    updated = pinpoint.update_campaign(
        ApplicationId=project,
        CampaignId=campaign["Id"],
        WriteCampaignRequest={"Name": "later, renamed", "HoldoutPercent": 10},
    )["CampaignResponse"]
    assert updated["Version"] == 2 and updated["HoldoutPercent"] == 10
    first = pinpoint.get_campaign_version(
        ApplicationId=project, CampaignId=campaign["Id"], Version="1"
    )["CampaignResponse"]
    assert first["Name"] == "later"
    versions = pinpoint.get_campaign_versions(ApplicationId=project, CampaignId=campaign["Id"])
    assert [v["Version"] for v in versions["CampaignsResponse"]["Item"]] == [1, 2]
    listed = pinpoint.get_campaigns(ApplicationId=project)["CampaignsResponse"]["Item"]
    assert [c["Name"] for c in listed] == ["later, renamed"]
    deleted = pinpoint.delete_campaign(ApplicationId=project, CampaignId=campaign["Id"])
    assert deleted["CampaignResponse"]["Id"] == campaign["Id"]
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_campaign(ApplicationId=project, CampaignId=campaign["Id"])


def test_a_bad_campaign_names_the_field(pinpoint: Any, project: str) -> None:
    segment_id = _audience(pinpoint, project, 1)
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="SegmentId"):
        pinpoint.create_campaign(
            ApplicationId=project,
            WriteCampaignRequest={
                "Name": "x",
                "SegmentId": "missing",
                "Schedule": {"StartTime": "IMMEDIATE"},
                "MessageConfiguration": EMAIL,
            },
        )
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="QuietTime"):
        pinpoint.create_campaign(
            ApplicationId=project,
            WriteCampaignRequest={
                "Name": "x",
                "SegmentId": segment_id,
                "Schedule": {"StartTime": "IMMEDIATE", "QuietTime": {"Start": "9pm"}},
                "MessageConfiguration": EMAIL,
            },
        )


@pytest.mark.local_only("reads the outbox (moto's SES v2 keeps no raw messages to read)")
def test_send_messages_to_addresses_and_endpoints(pinpoint: Any, project: str, api: Any) -> None:
    _audience(pinpoint, project, 2)
    response = pinpoint.send_messages(
        ApplicationId=project,
        MessageRequest={
            "Addresses": {"direct@example.com": {"ChannelType": "EMAIL"}},
            "Endpoints": {"c0": {}, "missing": {}},
            "MessageConfiguration": {
                "EmailMessage": {
                    "SimpleEmail": {
                        "Subject": {"Data": "Your receipt"},
                        "HtmlPart": {"Data": "<p>Thanks {{User.UserAttributes.FirstName}}</p>"},
                    }
                }
            },
            "TraceId": uuid.uuid4().hex,
        },
    )["MessageResponse"]
    assert response["ApplicationId"] == project
    assert response["Result"]["direct@example.com"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["EndpointResult"]["c0"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["EndpointResult"]["missing"]["DeliveryStatus"] == "PERMANENT_FAILURE"
    assert len(list(_outbox(api.bootstrap, project).glob("*.eml"))) == 2


def test_send_users_messages(pinpoint: Any, project: str) -> None:
    _audience(pinpoint, project, 2)
    response = pinpoint.send_users_messages(
        ApplicationId=project,
        SendUsersMessageRequest={
            "Users": {"user-1": {}, "nobody": {}},
            "MessageConfiguration": {
                "EmailMessage": {
                    "SimpleEmail": {"Subject": {"Data": "Hi"}, "TextPart": {"Data": "Hello"}}
                }
            },
        },
    )["SendUsersMessageResponse"]
    assert response["Result"]["user-1"]["c1"]["DeliveryStatus"] == "SUCCESSFUL"
    assert response["Result"]["nobody"] == {}


@pytest.mark.local_only("segment membership is Athena SQL, which moto does not run")
def test_in_app_campaigns_are_served_to_their_segment(pinpoint: Any, project: str) -> None:
    segment_id = _audience(pinpoint, project, 2)
    pinpoint.update_endpoint(
        ApplicationId=project,
        EndpointId="app-user",
        EndpointRequest={"ChannelType": "IN_APP", "Address": "device-1"},
    )
    in_app_segment = pinpoint.create_segment(
        ApplicationId=project,
        WriteSegmentRequest={
            "Name": "app",
            "Dimensions": {"Demographic": {"Channel": {"Values": ["IN_APP"]}}},
        },
    )["SegmentResponse"]["Id"]
    message = {
        "Layout": "BOTTOM_BANNER",
        "Content": [
            {"BodyConfig": {"Alignment": "CENTER", "Body": "20% off", "TextColor": "#fff"}}
        ],
    }
    campaign = pinpoint.create_campaign(
        ApplicationId=project,
        WriteCampaignRequest={
            "Name": "banner",
            "SegmentId": in_app_segment,
            "Priority": 2,
            "Limits": {"Daily": 1, "Session": 1},
            "Schedule": {
                "StartTime": "2026-01-01T00:00:00Z",
                "EndTime": "2036-01-01T00:00:00Z",
                "Frequency": "IN_APP_EVENT",
                "EventFilter": {
                    "FilterType": "SYSTEM",
                    "Dimensions": {"EventType": {"Values": ["_session.start"]}},
                },
            },
            "MessageConfiguration": {"InAppMessage": message},
        },
    )["CampaignResponse"]
    served = pinpoint.get_in_app_messages(ApplicationId=project, EndpointId="app-user")[
        "InAppMessagesResponse"
    ]["InAppMessageCampaigns"]
    assert [c["CampaignId"] for c in served] == [campaign["Id"]]
    assert served[0]["InAppMessage"]["Layout"] == "BOTTOM_BANNER"
    assert served[0]["Priority"] == 2 and served[0]["DailyCap"] == 1
    assert served[0]["Schedule"]["EventFilter"]["Dimensions"]["EventType"]["Values"] == [
        "_session.start"
    ]
    # An endpoint outside the segment gets none.
    others = pinpoint.get_in_app_messages(ApplicationId=project, EndpointId="c0")
    assert others["InAppMessagesResponse"]["InAppMessageCampaigns"] == []
    assert segment_id


def test_channels_keep_credentials_as_references(pinpoint: Any, project: str) -> None:
    email = pinpoint.update_email_channel(
        ApplicationId=project,
        EmailChannelRequest={
            "FromAddress": "news@example.com",
            "Identity": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
            "ConfigurationSet": "clarion",
        },
    )["EmailChannelResponse"]
    assert email["Platform"] == "EMAIL" and email["FromAddress"] == "news@example.com"
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:apns-key"
    apns = pinpoint.update_apns_channel(
        ApplicationId=project,
        APNSChannelRequest={
            "TokenKey": secret,
            "TokenKeyId": "KEY",
            "TeamId": "TEAM",
            "BundleId": "com.example",
            "DefaultAuthenticationMethod": "TOKEN",
        },
    )["APNSChannelResponse"]
    assert apns["HasTokenKey"] is True and apns["HasCredential"] is True
    assert secret not in str(apns)
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="Secrets Manager"):
        pinpoint.update_gcm_channel(
            ApplicationId=project, GCMChannelRequest={"ServiceJson": '{"private_key": "x"}'}
        )
    channels = pinpoint.get_channels(ApplicationId=project)["ChannelsResponse"]["Channels"]
    assert set(channels) == {"EMAIL", "APNS"}
    pinpoint.delete_apns_channel(ApplicationId=project)
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_apns_channel(ApplicationId=project)
    with pytest.raises(pinpoint.exceptions.MethodNotAllowedException, match="Baidu"):
        pinpoint.get_baidu_channel(ApplicationId=project)
