"""Every setting can be given through the environment the stack sets on functions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from clarion.bootstrap.settings import AwsSettings, Settings

SAMPLES: dict[Any, tuple[str, object]] = {
    bool: ("false", False),
    int: ("123", 123),
    int | None: ("45", 45),
    float | None: ("0.75", 0.75),
    float: ("0.25", 0.25),
}


@pytest.mark.parametrize("model", [AwsSettings, Settings])
def test_every_field_is_read_from_its_variable(model: type[AwsSettings] | type[Settings]) -> None:
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


# -- the environment contract -------------------------------------------------------------

ENVIRONMENT_JSON = (
    Path(__file__).resolve().parents[2] / "clarion" / "resources" / "contracts" / "environment.json"
)


def declared_variables() -> dict[str, str]:
    variables: dict[str, str] = json.loads(ENVIRONMENT_JSON.read_text(encoding="utf-8"))[
        "variables"
    ]
    return variables


def settings_field(setting: str) -> tuple[type, dataclasses.Field[Any]]:
    """The Settings or AwsSettings field named ``setting``, with its class."""
    for model in (Settings, AwsSettings):
        for item in dataclasses.fields(model):
            if item.name == setting:
                return model, item
    raise AssertionError(f"no settings field is named {setting!r}")


def sample(kind: Any, default: Any, setting: str) -> tuple[str, object]:
    """A variable text for a field of type ``kind``, and the value it reads as, which
    differs from the default."""
    if kind is bool:
        return ("false", False) if default else ("true", True)
    if kind is Path:
        return "/data/elsewhere", Path("/data/elsewhere")
    if setting == "backend":
        return "aws", "aws"
    return SAMPLES.get(kind, (f"v-{setting}", f"v-{setting}"))


@pytest.mark.parametrize("setting", sorted(declared_variables()))
def test_every_declared_variable_is_read_by_settings(setting: str) -> None:
    variable = declared_variables()[setting]
    model, item = settings_field(setting)
    kind = get_type_hints(model)[item.name]
    text, value = sample(kind, item.default, setting)

    settings = Settings.from_env({variable: text})

    read = getattr(settings if model is Settings else settings.aws, setting)
    assert read == value != item.default


def test_each_field_names_the_variable_the_contract_declares_for_it() -> None:
    declared = declared_variables()
    for model in (AwsSettings, Settings):
        for item in dataclasses.fields(model):
            if "env" in item.metadata:
                assert item.metadata["env"] == declared[item.name], item.name
