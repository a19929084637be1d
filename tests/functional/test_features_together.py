"""Features meeting on the local backend: an opt-out event stops the next send, and churn
risk is usable in segments and templates."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint

EVENTS = Path(__file__).resolve().parents[1] / "events"
# The recipient of the SES Subscription fixture, and the endpoint id its message tags carry.
UNSUBSCRIBING = "ana@example.org"
UNSUBSCRIBING_ID = "endpoint-ana"


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(home=tmp_path))
    addresses = [UNSUBSCRIBING, "ben@example.org", "cleo@example.org"]
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {
                    "Id": UNSUBSCRIBING_ID if i == 0 else f"e{i}",
                    "ChannelType": "EMAIL",
                    "Address": address,
                    "Metrics": {"ChurnRisk": 0.2 + 0.3 * i},
                    "User": {"UserAttributes": {"FirstName": [f"Name{i}"]}},
                }
            )
            for i, address in enumerate(addresses)
        ]
    )
    return boot


def _campaign(boot: Bootstrap) -> str:
    segment = boot.segment_service.create_segment(
        {
            "Name": "everyone by email",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    campaign = boot.campaign_service.create_campaign(
        {
            "Name": "news",
            "SegmentId": segment["Id"],
            "MessageConfiguration": {
                "EmailMessage": {
                    "Title": "News for {{User.UserAttributes.FirstName}}",
                    "HtmlBody": "<p>Hello {{User.UserAttributes.FirstName}}</p>",
                    "Body": "Hello {{User.UserAttributes.FirstName}}",
                }
            },
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        }
    )
    return str(campaign["Id"])


def _recipients(home: Path) -> list[str]:
    parser = BytesParser(policy=policy.default)
    return sorted(
        str(parser.parsebytes(path.read_bytes())["To"])
        for path in (home / "outbox" / "email").glob("*.eml")
    )


def test_an_unsubscribe_event_stops_the_next_send(boot: Bootstrap, tmp_path: Path) -> None:
    campaign_id = _campaign(boot)
    boot.campaign_service.launch(campaign_id)
    assert UNSUBSCRIBING in _recipients(tmp_path)

    text = (EVENTS / "ses" / "subscription_unsubscribe.json").read_text(encoding="utf-8")
    result = boot.event_ingest_service.ingest_text(text, "ses", origin="test")
    assert result.to_json()["effects"]["opted_out"], result.to_json()
    unsubscribed = boot.adapters.profile_store.get_endpoint(UNSUBSCRIBING_ID)
    assert unsubscribed is not None and unsubscribed.is_opted_out

    for path in (tmp_path / "outbox" / "email").glob("*.eml"):
        path.unlink()
    boot.campaign_service.launch(campaign_id)
    assert _recipients(tmp_path) == ["ben@example.org", "cleo@example.org"]
    second = boot.campaign_service.runs(campaign_id)[-1]
    assert second["Skipped"] == {"SKIPPED_OPT_OUT": 1}


def test_churn_risk_is_usable_in_segments_and_templates(boot: Bootstrap) -> None:
    at_risk = boot.segment_service.create_segment(
        {
            "Name": "churn risk",
            "Dimensions": {
                "Metrics": {
                    "ChurnRisk": {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": 0.5}
                }
            },
        }
    )
    assert sorted(boot.segment_service.members(at_risk["Id"])) == ["e1", "e2"]

    boot.template_service.create(
        {
            "TemplateName": "retention",
            "SMSTemplateRequest": {"Body": "Risk {{Metrics.ChurnRisk}} for {{Id}}"},
        }
    )
    rendered = boot.template_service.render("retention", "e2")
    assert "Risk 0.8 for e2" in str(rendered)
