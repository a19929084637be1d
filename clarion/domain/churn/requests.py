"""The churn segment (a Pinpoint WriteSegmentRequest on ``Metrics.ChurnRisk``), the
retention template and the retention campaign request."""

from __future__ import annotations

from typing import Any

from clarion.domain.churn.model import CHURN_METRIC

# -- segment and campaign ---------------------------------------------------------------


def churn_segment_request(name: str, threshold: float) -> dict[str, Any]:
    """A dynamic segment: endpoints whose ``Metrics.ChurnRisk`` is at or above
    ``threshold`` (Pinpoint WriteSegmentRequest JSON)."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be between 0 and 1")
    return {
        "Name": name,
        "Dimensions": {
            "Metrics": {
                CHURN_METRIC: {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": threshold}
            }
        },
    }


RETENTION_TEMPLATE = "churn-retention-email"


def retention_template_request() -> dict[str, Any]:
    """The default retention email template (CreateEmailTemplate body). ChurnRisk is an
    endpoint metric, so templates can use ``{{Metrics.ChurnRisk}}``."""
    return {
        "TemplateName": RETENTION_TEMPLATE,
        "EmailTemplateRequest": {
            "Subject": "We miss you, {{User.UserAttributes.FirstName}}",
            "HtmlPart": (
                "<p>Hello {{User.UserAttributes.FirstName}},</p>"
                "<p>Here is 20% off your next order. Come back soon!</p>"
            ),
            "TextPart": "Hello {{User.UserAttributes.FirstName}}, here is 20% off your next order.",
            "DefaultSubstitutions": '{"User.UserAttributes.FirstName": "there"}',
            "TemplateDescription": "Retention offer for endpoints at risk of churn",
        },
    }


def retention_campaign_request(
    name: str, segment_id: str, holdout_percent: int, template_name: str = RETENTION_TEMPLATE
) -> dict[str, Any]:
    """A one-off campaign to the churn segment with a holdout (WriteCampaignRequest)."""
    return {
        "Name": name,
        "SegmentId": segment_id,
        "HoldoutPercent": holdout_percent,
        "TemplateConfiguration": {"EmailTemplate": {"Name": template_name}},
        "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
    }
