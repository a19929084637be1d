"""Helpers the infra tests share: a feature stack built in its own test app, and reading
resources, functions and IAM statements out of a template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import ClarionConfig
from infra.stacks.data_stack import DataStack, DataStackProps

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"
# X-Ray and CloudWatch Logs delivery actions: AWS offers no resource-level permissions.
TRACING_AND_LOG_DELIVERY_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)


@dataclass
class Built:
    app: App
    stack: Any
    template: dict[str, Any]
    template_path: Path


def build_feature_stack(
    tmp: Path,
    make_stack: Callable[[App, ClarionConfig, DataStack, Path, Environment | None], Stack],
    region: str | None = None,
) -> Built:
    """The data stack and the stack ``make_stack(app, config, data, layer_dir, env)``
    makes, in an app with ``cdk.json``'s context, synthesized with the AwsSolutions
    checks registered (unacknowledged findings raise)."""
    layer = tmp / "layer"
    (layer / "python").mkdir(parents=True, exist_ok=True)
    context = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    app = App(outdir=str(tmp / "cdk.out"), context=context)
    config = ClarionConfig.from_context(app)
    env = Environment(account="111122223333", region=region) if region else None
    data = DataStack(app, "Data", props=DataStackProps(config=config), env=env)
    stack = make_stack(app, config, data, layer, env)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    previous = os.environ.get("CDK_VALIDATION")
    os.environ["CDK_VALIDATION"] = "false"
    try:
        assembly = app.synth()  # unacknowledged cdk-nag findings raise here
    finally:
        if previous is None:
            os.environ.pop("CDK_VALIDATION", None)
        else:
            os.environ["CDK_VALIDATION"] = previous
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    path = Path(artifact.template_full_path)
    return Built(app, stack, json.loads(path.read_text()), path)


def nag_findings(stack: Stack) -> list[str]:
    """The AwsSolutions violations of ``stack`` (rule: construct paths)."""
    report = AwsSolutionsChecks().validate_scope(stack)
    return [
        f"{v.rule_name}: {[r.construct_path for r in v.violating_resources]}"
        for v in report.violations
    ]


def cfn_lint(template_path: Path) -> subprocess.CompletedProcess[str]:
    """cfn-lint on a template (W3696 and W3005 ignored)."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            "--ignore-checks",
            "W3696,W3005",
            "--",
            str(template_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: r["Properties"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] == kind
    }


def function_with_id(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, f)
        for logical_id, f in resources(template, "AWS::Lambda::Function").items()
        if f["Handler"] == handler
    ]
    return found


def statements_of_role(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the role's policies (aws-cdk moves what does not fit in the
    inline policy to managed overflow policies)."""
    policies = [
        *resources(template, "AWS::IAM::Policy").values(),
        *resources(template, "AWS::IAM::ManagedPolicy").values(),
    ]
    return [
        statement
        for policy in policies
        if {"Ref": role_id} in policy.get("Roles", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def role_statements(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    """The statements of the role of the function with ``handler``."""
    _, properties = function_with_id(template, handler)
    return statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def assert_starts_audience_queries(template: dict[str, Any], properties: dict[str, Any]) -> None:
    """The function (its properties) may start the segment audience query on the lake:
    Athena on the workgroup, Glue read, the lake's and the results' prefixes, and the
    workgroup and output location in its environment."""
    statements = statements_of_role(template, properties["Role"]["Fn::GetAtt"][0])
    actions = {a for s in statements for a in listed(s["Action"])}
    text = json.dumps(statements)
    assert {
        "athena:StartQueryExecution",
        "glue:GetTable",
        "s3:GetObject",
        "s3:PutObject",
    } <= actions
    for prefix in ("athena-results/*", "endpoint-snapshot/*", "imported-segments/*"):
        assert prefix in text, prefix
    variables = properties["Environment"]["Variables"]
    assert variables["CLARION_ATHENA_WORKGROUP"] == "clarion"
    assert "athena-results/" in json.dumps(variables["CLARION_ATHENA_OUTPUT"])


# What a role may do to a table's items (stream reads are not counted).
DYNAMODB_ITEM_ACTIONS = frozenset(
    f"dynamodb:{name}"
    for name in (
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "ConditionCheckItem",
        "PartiQLSelect",
        "PartiQLInsert",
        "PartiQLUpdate",
        "PartiQLDelete",
        "DescribeTable",
    )
)


def table_actions(template: dict[str, Any], handler: str) -> dict[str, set[str]]:
    """The DynamoDB actions the role of ``handler`` may make, by table (``endpoints``
    for ``clarion-endpoints``) and index (``endpoints/index/UserIdIndex``)."""
    found: dict[str, set[str]] = {}
    tables = {
        logical_id: r["Properties"]["TableName"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    for statement in role_statements(template, handler):
        actions = {a for a in listed(statement["Action"]) if a in DYNAMODB_ITEM_ACTIONS}
        if not actions:
            continue
        for resource in listed(statement["Resource"]):
            text = json.dumps(resource)
            for logical_id, table_name in tables.items():
                text = text.replace(f'{{"Ref": "{logical_id}"}}', f'"{table_name}"')
            text = text.replace('", "', "")
            marker = ":table/clarion-"
            assert marker in text, f"{handler}: DynamoDB actions on {text}"
            name = text.split(marker, 1)[1].split('"', 1)[0]
            found.setdefault(name, set()).update(actions)
    return found


def dynamo(*groups: tuple[str, ...]) -> set[str]:
    """The union of infra.grants' action sets."""
    return {action for group in groups for action in group}
