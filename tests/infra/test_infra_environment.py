"""The functions' environment: every variable the stacks set is one the settings read,
as declared once in ``clarion/resources/contracts/environment.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from infra.environment import declared_variables, variable

ENVIRONMENT_JSON = (
    Path(__file__).resolve().parents[2] / "clarion" / "resources" / "contracts" / "environment.json"
)
# Variables the functions' runtime reads itself, not Clarion's settings.
# AWS_CA_BUNDLE: set by aws-cdk on its BucketDeployment function (the console pages);
# PYDANTIC_DISABLE_PLUGINS: no plugin discovery on a cold start (lambda_runtime.py).
RUNTIME_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "AWS_CA_BUNDLE", "PYDANTIC_DISABLE_PLUGINS"}


def declared() -> dict[str, str]:
    variables: dict[str, str] = json.loads(ENVIRONMENT_JSON.read_text(encoding="utf-8"))[
        "variables"
    ]
    return variables


def function_variables(templates: Mapping[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Each environment variable set on a Lambda function, with the stacks setting it."""
    found: dict[str, set[str]] = {}
    for stack, template in templates.items():
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            environment = resource["Properties"].get("Environment", {})
            for name in environment.get("Variables", {}):
                found.setdefault(name, set()).add(stack)
    return found


def undeclared_variables(templates: Mapping[str, dict[str, Any]]) -> list[str]:
    """Variables set on functions that are neither declared settings nor the runtime's."""
    allowed = set(declared().values()) | RUNTIME_VARIABLES
    return [
        f"{name} (set in {', '.join(sorted(stacks))})"
        for name, stacks in sorted(function_variables(templates).items())
        if name not in allowed
    ]


def test_every_variable_the_stacks_set_is_declared(synthesized: Any) -> None:
    assert undeclared_variables(synthesized.templates) == []
    # The check saw the functions' variables (the shared ones are on every function).
    found = function_variables(synthesized.templates)
    assert {"CLARION_BACKEND", "CLARION_ENDPOINTS_TABLE", "CLARION_SENDS_TABLE"} <= set(found)
    # Every stack with functions: audience, messaging, events, churn, social, journeys
    # and the API.
    assert len(found["CLARION_BACKEND"]) == 7


def test_no_clarion_function_looks_for_pydantic_plugins(synthesized: Any) -> None:
    functions = [
        resource["Properties"].get("Environment", {}).get("Variables", {})
        for template in synthesized.templates.values()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    ]
    clarion = [variables for variables in functions if "CLARION_BACKEND" in variables]

    assert len(clarion) >= 26  # every handler under lambdas/ runs in one at least
    assert all(v.get("PYDANTIC_DISABLE_PLUGINS") == "__all__" for v in clarion)


def test_the_check_catches_an_undeclared_variable() -> None:
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "CLARION_APP_ID": "x",
                            "CLARION_TYPO_TABLE": "t",
                            "DEBUG": "1",
                        }
                    }
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        }
    }
    assert undeclared_variables({"Audience": template}) == [
        "CLARION_TYPO_TABLE (set in Audience)",
        "DEBUG (set in Audience)",
    ]


def test_infra_names_variables_from_the_contract() -> None:
    assert dict(declared_variables()) == declared()
    assert variable("sends_table") == "CLARION_SENDS_TABLE"
    with pytest.raises(KeyError, match="'sends_tabel' is not a setting declared"):
        variable("sends_tabel")
