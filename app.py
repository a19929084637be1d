#!/usr/bin/env python3
"""The CDK app: ``make synth`` / ``make deploy`` run it (see docs/deploy.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import ClarionConfig
from infra.layers import build_runtime_deps_layer
from infra.stage import ClarionStage

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """The app with the Clarion stage and the AWS Solutions checks registered.

    The context of ``cdk.json`` (feature flags, settings) is applied here too, so that
    an app built in a test behaves as the one the CDK CLI runs.
    """
    base_context = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    app = App(outdir=outdir, context={**base_context, **(context or {})})
    config = ClarionConfig.from_context(app)
    # Environment-agnostic on purpose: the templates take account and region from
    # where they are deployed, so the same synth serves every account and region.
    ClarionStage(
        app,
        app.node.try_get_context("stage_name") or "Clarion",
        config=config,
        runtime_deps_dir=build_runtime_deps_layer(),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()
