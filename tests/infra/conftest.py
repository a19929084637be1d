"""Synthesizes the whole app once per session; tests read the cloud assembly."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stage, assertions

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    app: App
    stage: Stage
    outdir: Path
    templates: dict[str, dict[str, Any]]

    def template(self, stack: str) -> assertions.Template:
        return assertions.Template.from_json(self.templates[stack])


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # The built-in CloudFormation schema validation doubles synth time; cfn-lint covers
    # it below. The cdk-nag plugin still runs: unacknowledged findings fail synth here.
    previous = os.environ.get("CDK_VALIDATION")
    os.environ["CDK_VALIDATION"] = "false"
    try:
        app = build_app(outdir=str(outdir))
        assembly = app.synth()
    finally:
        if previous is None:
            os.environ.pop("CDK_VALIDATION", None)
        else:
            os.environ["CDK_VALIDATION"] = previous
    stage = app.node.find_child("Clarion")
    assert isinstance(stage, Stage)
    templates: dict[str, dict[str, Any]] = {}
    for nested in assembly.nested_assemblies:
        for stack in nested.nested_assembly.stacks:
            templates[stack.stack_name.removeprefix("Clarion-")] = json.loads(
                Path(stack.template_full_path).read_text()
            )
    yield Synthesized(app=app, stage=stage, outdir=outdir, templates=templates)
