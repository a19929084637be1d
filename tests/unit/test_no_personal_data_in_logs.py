"""Personal data stays out of logs and traces: Tracer never records a handler's return
value or exception (both may hold addresses), and failure reasons name fields, never
the values given."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.common.errors import describe_without_values

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def _tracer_decorators(path: Path) -> list[ast.expr]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr.startswith("capture_"):
                    found.append(decorator)
    return found


def test_no_handler_traces_responses_or_errors() -> None:
    handlers = sorted(LAMBDAS.glob("*/handler.py"))
    assert handlers
    for path in handlers:
        for decorator in _tracer_decorators(path):
            assert isinstance(decorator, ast.Call), f"{path}: {ast.unparse(decorator)}"
            options = {k.arg: k.value for k in decorator.keywords}
            for name in ("capture_response", "capture_error"):
                value = options.get(name)
                assert isinstance(value, ast.Constant) and value.value is False, (
                    f"{path}: {ast.unparse(decorator)} must pass {name}=False"
                )


def test_validation_failures_are_described_without_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Endpoint.model_validate(
            {"Id": "e-1", "ChannelType": "EMAIL", "Address": 12, "Metrics": "zoe@x.org"}
        )
    text = describe_without_values(caught.value)
    assert "zoe@x.org" not in text and "Metrics" in text
    assert "zoe@x.org" in str(caught.value)  # what pydantic itself would have logged
