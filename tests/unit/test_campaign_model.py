"""WriteCampaignRequest and CampaignResponse: Pinpoint's shapes and rules."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import pytest

from clarion.domain.campaigns.model import (
    CampaignLimits,
    MessageConfiguration,
    Schedule,
    WriteCampaignRequest,
    parse_utc_offset,
    validate_campaign_request,
)
from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.messaging.direct import validate_message_request
from clarion.domain.templates.configuration import TemplateConfiguration

MODEL = Path(botocore.__file__).parent / "data/pinpoint/2016-12-01/service-2.json.gz"


def _shapes() -> dict[str, Any]:
    with gzip.open(MODEL, "rt", encoding="utf-8") as handle:
        shapes: dict[str, Any] = json.load(handle)["shapes"]
    return shapes


def _aliases(model: type) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("shape", "model"),
    [
        ("WriteCampaignRequest", WriteCampaignRequest),
        ("Schedule", Schedule),
        ("CampaignLimits", CampaignLimits),
        ("MessageConfiguration", MessageConfiguration),
        ("TemplateConfiguration", TemplateConfiguration),
    ],
)
def test_field_names_are_the_service_models(shape: str, model: type):
    assert _aliases(model) == set(_shapes()[shape]["members"])


def _request(**extra: Any) -> dict[str, Any]:
    return {
        "SegmentId": "seg",
        "MessageConfiguration": {"SMSMessage": {"Body": "hi"}},
        "Schedule": {"StartTime": "IMMEDIATE"},
        **extra,
    }


def _fields(exc: pytest.ExceptionInfo[InvalidRecordError]) -> list[str]:
    return [problem.field for problem in exc.value.problems]


def test_a_full_request_validates_and_round_trips():
    body = _request(
        HoldoutPercent=10,
        AdditionalTreatments=[
            {"SizePercent": 45, "MessageConfiguration": {"SMSMessage": {"Body": "B"}}}
        ],
        Limits={"Daily": 1, "Total": 100, "MessagesPerSecond": 50, "MaximumDuration": 60},
        Schedule={
            "StartTime": "2025-03-12T10:00:00Z",
            "EndTime": "2025-04-12T10:00:00Z",
            "Frequency": "WEEKLY",
            "IsLocalTime": True,
            "Timezone": "UTC+05:30",
            "QuietTime": {"Start": "22:00", "End": "07:30"},
        },
        tags={"team": "growth"},
    )
    assert validate_campaign_request(body).to_pinpoint() == body


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"HoldoutPercent": 60, "AdditionalTreatments": [{"SizePercent": 41}]}, "(record)"),
        ({"AdditionalTreatments": [{"SizePercent": 5}] * 5}, "(record)"),
        ({"Limits": {"Daily": 101}}, "Limits.Daily"),
        ({"Limits": {"Total": -1}}, "Limits.Total"),
        ({"Limits": {"MessagesPerSecond": 0}}, "Limits.MessagesPerSecond"),
        ({"Limits": {"MessagesPerSecond": 20_001}}, "Limits.MessagesPerSecond"),
        ({"Limits": {"MaximumDuration": 59}}, "Limits.MaximumDuration"),
        (
            {
                "Schedule": {
                    "StartTime": "IMMEDIATE",
                    "QuietTime": {"Start": "25:00", "End": "07:00"},
                }
            },
            "Schedule.QuietTime.Start",
        ),
        (
            {
                "Schedule": {
                    "StartTime": "IMMEDIATE",
                    "QuietTime": {"Start": "9:00", "End": "07:00"},
                }
            },
            "Schedule.QuietTime.Start",
        ),
        ({"Schedule": {"StartTime": "IMMEDIATE", "Timezone": "CET"}}, "Schedule.Timezone"),
        ({"Schedule": {"StartTime": "IMMEDIATE", "Timezone": "UTC+15"}}, "Schedule.Timezone"),
        ({"Schedule": {"StartTime": "IMMEDIATE", "Frequency": "DAILY"}}, "Schedule"),
        (
            {"Schedule": {"StartTime": "2025-03-12T10:00:00Z", "EndTime": "2025-03-11T10:00:00Z"}},
            "Schedule",
        ),
        ({"Schedule": {"StartTime": "2025-03-12T10:00:00Z", "Frequency": "EVENT"}}, "Schedule"),
        ({"Schedule": {"StartTime": "soon"}}, "Schedule.StartTime"),
        ({"HoldoutPercent": 101}, "HoldoutPercent"),
        ({"Colour": "red"}, "Colour"),
        (
            {"MessageConfiguration": {"EmailMessage": {"Subject": "x"}}},
            "MessageConfiguration.EmailMessage.Subject",
        ),
    ],
)
def test_bad_requests_name_the_field(extra: dict[str, Any], field: str):
    with pytest.raises(InvalidRecordError) as caught:
        validate_campaign_request(_request(**extra))
    assert field in _fields(caught), caught.value


def test_four_additional_treatments_are_allowed_five_are_not():
    four = [{"SizePercent": 20}] * 4
    assert (
        len(
            validate_campaign_request(_request(AdditionalTreatments=four)).additional_treatments
            or []
        )
        == 4
    )
    with pytest.raises(InvalidRecordError, match="at most 4"):
        validate_campaign_request(_request(AdditionalTreatments=[{"SizePercent": 10}] * 5))


def test_create_needs_segment_schedule_and_a_message():
    with pytest.raises(InvalidRecordError) as caught:
        validate_campaign_request({"Name": "x"})
    assert set(_fields(caught)) == {"SegmentId", "Schedule", "MessageConfiguration"}
    assert validate_campaign_request({"Name": "x"}, for_create=False).name == "x"


def test_utc_offsets():
    assert parse_utc_offset("UTC").utcoffset(None).total_seconds() == 0
    assert parse_utc_offset("UTC+01").utcoffset(None).total_seconds() == 3600
    assert parse_utc_offset("UTC-03:30").utcoffset(None).total_seconds() == -12600
    for bad in ("UTC+1", "GMT+01", "UTC+01:10", "UTC+14:15"):
        with pytest.raises(ValueError):
            parse_utc_offset(bad)


def test_message_requests_are_told_apart_and_checked():
    send = validate_message_request(
        {
            "Addresses": {"+14155550100": {"ChannelType": "SMS"}},
            "MessageConfiguration": {"SMSMessage": {"Body": "hi"}},
        }
    )
    assert type(send).__name__ == "MessageRequest"
    users = validate_message_request(
        {"SendUsersMessageRequest": {"Users": {"u1": {}}, "MessageConfiguration": {}}}
    )
    assert type(users).__name__ == "SendUsersMessageRequest"
    with pytest.raises(InvalidRecordError, match="ChannelType"):
        validate_message_request({"Addresses": {"a@example.com": {}}, "MessageConfiguration": {}})
    with pytest.raises(InvalidRecordError, match="Addresses or Endpoints"):
        validate_message_request({"MessageConfiguration": {}})
