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
