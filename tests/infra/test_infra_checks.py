"""Whole-app checks: cdk-nag AwsSolutions, cfn-lint, and what goes into the assets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cdk_nag import AwsSolutionsChecks

from infra.constructs.lambda_runtime import CODE_ASSET_EXCLUDE
from infra.layers import HASH_FILE_NAME

# W3696: Pinpoint end-of-support notices (none here yet, but later stacks have them).
# W3005: DependsOn that a GetAtt already implies (how aws-cdk orders role policies).
IGNORED_CFN_LINT_CHECKS = "W3696,W3005"


def test_aws_solutions_checks_pass_or_are_acknowledged(synthesized: Any) -> None:
    report = AwsSolutionsChecks().validate_scope(synthesized.app)

    findings = [
        f"{violation.rule_name}: {[r.construct_path for r in violation.violating_resources]}"
        for violation in report.violations
    ]
    assert findings == []
    assert report.success


def test_every_acknowledgement_names_one_finding_and_gives_a_reason(synthesized: Any) -> None:
    acknowledged: dict[str, str] = {}
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type.endswith("acknowledged_rules") or "acknowledg" in entry.type:
                acknowledged.update(entry.data)
    assert acknowledged
    for rule, reason in acknowledged.items():
        rule_id = rule.split("::", 1)[-1]
        if rule_id.startswith("AwsSolutions-IAM5"):
            assert "[" in rule_id, f"{rule_id} acknowledges every wildcard at once"
        assert len(reason) > 20, rule


def test_cfn_lint_finds_no_errors(synthesized: Any) -> None:
    templates = sorted(str(p) for p in synthesized.outdir.glob("**/*.template.json"))
    assert len(templates) == 7

    # cfn-lint 1.x has no ``python -m cfnlint`` entry point: call its runner.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            "--ignore-checks",
            IGNORED_CFN_LINT_CHECKS,
            "--",
            *templates,
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    # cfn-lint's exit code is a bitmask: 2 errors, 4 warnings, 8 informational (1 is a
    # crash, which must fail the test too).
    assert result.returncode & 1 == 0, result.stdout + result.stderr
    assert result.returncode & 2 == 0, result.stdout + result.stderr
    assert result.returncode & 4 == 0, result.stdout


def asset_directories(synthesized: Any) -> dict[str, Path]:
    """Lambda code and layer asset folders of the audience stack, by handler or "layer"."""
    template = synthesized.templates["Audience"]
    found: dict[str, Path] = {}
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function":
            key, s3_key = properties["Handler"], properties["Code"]["S3Key"]
        elif resource["Type"] == "AWS::Lambda::LayerVersion":
            key, s3_key = "layer", properties["Content"]["S3Key"]
        else:
            continue
        found[key] = synthesized.outdir / f"asset.{s3_key.removesuffix('.zip')}"
    return found


def test_the_function_asset_holds_only_the_product_and_the_handlers(synthesized: Any) -> None:
    code = asset_directories(synthesized)["lambdas.endpoint_change_feed.handler.handler"]
    top_level = {p.name for p in code.iterdir()}
    files = [p for p in code.rglob("*") if p.is_file()]

    assert top_level == {"clarion", "lambdas"}
    assert (code / "clarion" / "domain" / "audience" / "rows.py").is_file()
    assert (code / "lambdas" / "endpoint_change_feed" / "handler.py").is_file()
    assert (code / "lambdas" / "compact_endpoints" / "handler.py").is_file()
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix == ".pyc"]
    # The development kit (sample data, the simulator, reference models) and the tests
    # never ship, at the top level or nested.
    assert not (code / "clarion_devkit").exists() and not (code / "tests").exists()
    assert not [p for p in files if {"clarion_devkit", "tests"} & set(p.relative_to(code).parts)]
    assert sum(p.stat().st_size for p in files) < 5 * 1024 * 1024
    assert "*" in CODE_ASSET_EXCLUDE and ".*" in CODE_ASSET_EXCLUDE


def test_all_functions_share_one_code_asset(synthesized: Any) -> None:
    directories = asset_directories(synthesized)
    code = {v for k, v in directories.items() if k != "layer"}
    assert len(code) == 1


def test_the_runtime_deps_layer_holds_the_pinned_packages(synthesized: Any) -> None:
    layer = asset_directories(synthesized)["layer"]
    packages = {p.name for p in (layer / "python").iterdir()}

    assert {"email_validator", "dns", "idna", "tzdata"} <= packages
    assert not (layer / "python" / "bin").exists()
    assert (layer / HASH_FILE_NAME).is_file()
    assert json.dumps(sorted(packages))  # listing is readable (no broken symlinks)
