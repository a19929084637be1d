"""Deployment settings from CDK context, and their guard rails."""

from __future__ import annotations

import pytest
from aws_cdk import App

from infra.config import ClarionConfig
from infra.constructs.lambda_runtime import log_retention


def test_context_values_override_the_defaults_with_the_field_types() -> None:
    app = App(
        context={
            "glue_database": "crm",
            "change_retention_days": "45",
            "deletion_protection": "false",
        }
    )

    config = ClarionConfig.from_context(app)

    assert config.glue_database == "crm"
    assert config.change_retention_days == 45
    assert config.deletion_protection is False
    assert config.endpoints_table_name == "clarion-endpoints"


def test_change_retention_must_outlive_missed_compactions() -> None:
    with pytest.raises(ValueError, match="change_retention_days"):
        ClarionConfig(change_retention_days=2)


def test_log_retention_accepts_only_cloudwatch_values() -> None:
    with pytest.raises(ValueError, match="log retention"):
        log_retention(10)


def test_feature_options_from_context_take_the_types_of_their_defaults() -> None:
    from infra.stacks.churn_stack import ChurnOptions
    from infra.stacks.messaging_stack import MessagingOptions
    from infra.stacks.social_stack import SocialOptions

    app = App(
        context={
            "churn_write_limit": "100",
            "churn_launch_campaign": "false",
            "social_comprehend_entities": "false",
            "social_api_rate_limit": "7",
            "messaging_push_enabled": "true",
            "messaging_from_address": "news@example.com",
        }
    )
    churn = ChurnOptions.from_context(app)
    assert churn.write_limit == 100
    assert churn.launch_campaign is False
    social = SocialOptions.from_context(app)
    assert social.comprehend_entities is False
    assert social.api_rate_limit == 7
    messaging = MessagingOptions.from_context(app)
    assert messaging.push_enabled is True
    assert messaging.from_address == "news@example.com"
