"""Templates (account-wide) through boto3's pinpoint client."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_email_template_versions_and_active_version(pinpoint: Any) -> None:
    name = _name("welcome")
    created = pinpoint.create_email_template(
        TemplateName=name,
        EmailTemplateRequest={
            "Subject": "Hello {{User.UserAttributes.FirstName}}",
            "HtmlPart": "<p>Hi {{User.UserAttributes.FirstName}}</p>",
            "DefaultSubstitutions": '{"User.UserAttributes.FirstName": "there"}',
        },
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["CreateTemplateMessageBody"]["Arn"].endswith(f"{name}/EMAIL")
    pinpoint.update_email_template(
        TemplateName=name,
        CreateNewVersion=True,
        EmailTemplateRequest={"Subject": "Welcome", "HtmlPart": "<p>v2</p>"},
    )
    template = pinpoint.get_email_template(TemplateName=name)["EmailTemplateResponse"]
    assert template["Version"] == "1"  # the active version stays until it is moved
    assert (
        pinpoint.get_email_template(TemplateName=name, Version="2")["EmailTemplateResponse"][
            "Subject"
        ]
        == "Welcome"
    )
    pinpoint.update_template_active_version(
        TemplateName=name,
        TemplateType="EMAIL",
        TemplateActiveVersionRequest={"Version": "2"},
    )
    assert pinpoint.get_email_template(TemplateName=name)["EmailTemplateResponse"]["Version"] == "2"
    versions = pinpoint.list_template_versions(TemplateName=name, TemplateType="EMAIL")[
        "TemplateVersionsResponse"
    ]["Item"]
    assert [v["Version"] for v in versions] == ["2", "1"]
    # Deleting one version keeps the others; the active one cannot go.
    pinpoint.delete_email_template(TemplateName=name, Version="1")
    with pytest.raises(pinpoint.exceptions.BadRequestException):
        pinpoint.delete_email_template(TemplateName=name, Version="2")
    pinpoint.delete_email_template(TemplateName=name)
    with pytest.raises(pinpoint.exceptions.NotFoundException):
        pinpoint.get_email_template(TemplateName=name)


@pytest.mark.parametrize(
    ("create", "get", "member", "response", "body"),
    [
        (
            "create_sms_template",
            "get_sms_template",
            "SMSTemplateRequest",
            "SMSTemplateResponse",
            {"Body": "Code {{Attributes.Code}}"},
        ),
        (
            "create_voice_template",
            "get_voice_template",
            "VoiceTemplateRequest",
            "VoiceTemplateResponse",
            {"Body": "Hello", "LanguageCode": "en-US", "VoiceId": "Joanna"},
        ),
        (
            "create_push_template",
            "get_push_template",
            "PushNotificationTemplateRequest",
            "PushNotificationTemplateResponse",
            {
                "Default": {
                    "Title": "Hi",
                    "Body": "{{User.UserAttributes.FirstName}}",
                    "Action": "OPEN_APP",
                }
            },
        ),
        (
            "create_in_app_template",
            "get_in_app_template",
            "InAppTemplateRequest",
            "InAppTemplateResponse",
            {
                "Layout": "TOP_BANNER",
                "Content": [
                    {"BodyConfig": {"Alignment": "LEFT", "Body": "Sale!", "TextColor": "#000"}}
                ],
            },
        ),
    ],
)
def test_every_template_type(
    pinpoint: Any, create: str, get: str, member: str, response: str, body: dict[str, Any]
) -> None:
    name = _name("t")
    getattr(pinpoint, create)(TemplateName=name, **{member: body})
    got = getattr(pinpoint, get)(TemplateName=name)[response]
    assert got["TemplateName"] == name and got["Version"] == "1"
    for key, value in body.items():
        assert got[key] == value


def test_list_templates_by_type_and_prefix(pinpoint: Any) -> None:
    prefix = _name("list")
    for kind in ("a", "b", "c"):
        pinpoint.create_sms_template(
            TemplateName=f"{prefix}-{kind}", SMSTemplateRequest={"Body": kind}
        )
    listed = pinpoint.list_templates(Prefix=prefix, TemplateType="SMS")["TemplatesResponse"]
    assert [t["TemplateName"] for t in listed["Item"]] == [f"{prefix}-{k}" for k in "abc"]
    page = pinpoint.list_templates(Prefix=prefix, PageSize="2")["TemplatesResponse"]
    assert len(page["Item"]) == 2 and page["NextToken"]
    rest = pinpoint.list_templates(Prefix=prefix, PageSize="2", NextToken=page["NextToken"])
    assert [t["TemplateName"] for t in rest["TemplatesResponse"]["Item"]] == [f"{prefix}-c"]


def test_bad_templates_name_the_part(pinpoint: Any) -> None:
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="HtmlPart"):
        pinpoint.create_email_template(
            TemplateName=_name("bad"), EmailTemplateRequest={"HtmlPart": "{{#if}}"}
        )
    name = _name("dup")
    pinpoint.create_sms_template(TemplateName=name, SMSTemplateRequest={"Body": "x"})
    with pytest.raises(pinpoint.exceptions.BadRequestException, match="exists"):
        pinpoint.create_sms_template(TemplateName=name, SMSTemplateRequest={"Body": "y"})


def test_template_lint_warnings_come_in_the_message(pinpoint: Any) -> None:
    name = _name("lint")
    created = pinpoint.create_sms_template(
        TemplateName=name, SMSTemplateRequest={"Body": "Your {{ChanelType}} code"}
    )["CreateTemplateMessageBody"]
    assert created["Message"].startswith("Created. Warnings: ")
    assert "did you mean `ChannelType`?" in created["Message"]
    clean = pinpoint.update_sms_template(
        TemplateName=name, SMSTemplateRequest={"Body": "Your {{ChannelType}} code"}
    )["MessageBody"]
    assert clean["Message"] == "Accepted"


def test_templates_are_account_wide(pinpoint: Any, project: str) -> None:
    name = _name("shared")
    pinpoint.create_sms_template(TemplateName=name, SMSTemplateRequest={"Body": "x"})
    other = pinpoint.create_app(CreateApplicationRequest={"Name": "other"})["ApplicationResponse"]
    segment = pinpoint.create_segment(
        ApplicationId=other["Id"],
        WriteSegmentRequest={
            "Name": "sms",
            "Dimensions": {"Demographic": {"Channel": {"Values": ["SMS"]}}},
        },
    )["SegmentResponse"]
    campaign = pinpoint.create_campaign(
        ApplicationId=other["Id"],
        WriteCampaignRequest={
            "Name": "uses the shared template",
            "SegmentId": segment["Id"],
            "Schedule": {"StartTime": "2036-01-01T00:00:00Z"},
            "TemplateConfiguration": {"SMSTemplate": {"Name": name}},
        },
    )["CampaignResponse"]
    assert campaign["TemplateConfiguration"]["SMSTemplate"]["Name"] == name
