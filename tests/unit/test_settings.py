"""Every setting can be given through the environment the stack sets on functions."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from clarion.settings import AwsSettings, Settings

SAMPLES: dict[Any, tuple[str, object]] = {
    bool: ("false", False),
    int: ("123", 123),
    int | None: ("45", 45),
    float | None: ("0.75", 0.75),
}


@pytest.mark.parametrize("model", [AwsSettings, Settings])
def test_every_field_is_read_from_its_variable(model: type) -> None:
    hints = get_type_hints(model)
    env: dict[str, str] = {}
    expected: dict[str, object] = {}
    for item in dataclasses.fields(model):
        if item.name in ("aws", "backend", "home", "region"):
            continue  # read apart (below)
        variable = item.metadata.get("env")
        assert variable and variable.startswith("CLARION_"), item.name
        text, value = SAMPLES.get(hints[item.name], (f"v-{item.name}", f"v-{item.name}"))
        env[variable] = text
        expected[item.name] = value
    settings = model.from_env(env)
    assert {name: getattr(settings, name) for name in expected} == expected
    # and with nothing set, the defaults
    assert model.from_env({}) == model()


def test_the_nested_aws_settings_read_the_same_environment() -> None:
    settings = Settings.from_env({"CLARION_SENDS_TABLE": "t", "CLARION_APP_ID": "app"})
    assert (settings.aws.sends_table, settings.app_id) == ("t", "app")


def test_backend_and_home() -> None:
    settings = Settings.from_env({"CLARION_BACKEND": "aws", "CLARION_HOME": "/data/x"})
    assert (settings.backend, settings.home) == ("aws", Path("/data/x"))
    with pytest.raises(ValueError, match="local or aws"):
        Settings.from_env({"CLARION_BACKEND": "azure"})


def test_a_bad_number_names_its_variable() -> None:
    with pytest.raises(ValueError, match="CLARION_CHURN_WRITE_LIMIT"):
        AwsSettings.from_env({"CLARION_CHURN_WRITE_LIMIT": "lots"})


def test_region_comes_from_the_standard_variables() -> None:
    assert AwsSettings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    both = {"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "x"}
    assert AwsSettings.from_env(both).region == "us-east-2"
