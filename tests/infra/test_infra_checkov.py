"""checkov, run offline on the synthesized templates (as ``make synth`` runs it): no
failed check; every skip carries a reason in the template's metadata; and the reason
given for functions without a dead-letter queue (never invoked asynchronously) holds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"


def _results(outdir: Path) -> list[dict[str, Any]]:
    if not CHECKOV.exists():
        pytest.fail("the scanner virtualenv is missing: `make test` (or `make synth`) makes it")
    templates = sorted(outdir.glob("*/*.template.json"))
    assert templates
    arguments = [a for t in templates for a in ("-f", str(t))]
    run = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    reports = json.loads(run.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_finds_nothing_unskipped(synthesized: Any) -> None:
    reports = _results(synthesized.outdir)
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']})"
        for report in reports
        for f in report["results"].get("failed_checks", [])
    ]
    assert failed == []
    assert sum(r["summary"]["failed"] for r in reports) == 0
    # The scan really ran over the stacks (every template, hundreds of checks).
    assert sum(r["summary"]["passed"] for r in reports) > 400


def test_every_checkov_skip_has_a_reason(synthesized: Any) -> None:
    skips = [
        skip
        for template in synthesized.templates.values()
        for resource in template["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    assert all(s["id"].startswith("CKV_") and len(s["comment"]) > 40 for s in skips)


def test_functions_without_a_dead_letter_queue_have_no_asynchronous_trigger(
    synthesized: Any,
) -> None:
    """The CKV_AWS_116 skip says these functions are never invoked asynchronously: no
    EventBridge rule, S3 notification or SNS subscription targets them."""
    for name, template in synthesized.templates.items():
        resources = template["Resources"]
        without_queue = {
            key
            for key, r in resources.items()
            if r["Type"] == "AWS::Lambda::Function" and "DeadLetterConfig" not in r["Properties"]
        }
        for key, resource in resources.items():
            text = json.dumps(resource)
            if resource["Type"] in ("AWS::Events::Rule", "AWS::SNS::Subscription"):
                hit = [f for f in without_queue if f'"{f}"' in text]
                assert not hit, f"{name}: {key} invokes {hit} asynchronously"
            if resource["Type"] == "AWS::Lambda::Permission":
                principal = resource["Properties"].get("Principal")
                target = resource["Properties"].get("FunctionName")
                if principal in ("events.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com"):
                    hit = [f for f in without_queue if f'"{f}"' in json.dumps(target)]
                    assert not hit, f"{name}: {key} lets {principal} invoke {hit}"


def _resources(synthesized: Any, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{stack}/{key}", r["Properties"])
        for stack, template in synthesized.templates.items()
        for key, r in template["Resources"].items()
        if r["Type"] == kind
    ]


def test_every_log_group_function_environment_and_state_machine_uses_the_key(
    synthesized: Any,
) -> None:
    groups = _resources(synthesized, "AWS::Logs::LogGroup")
    assert len(groups) >= 20
    assert [name for name, p in groups if "KmsKeyId" not in p] == []
    functions = _resources(synthesized, "AWS::Lambda::Function")
    assert [name for name, p in functions if "KmsKeyArn" not in p] == []
    machines = _resources(synthesized, "AWS::StepFunctions::StateMachine")
    assert machines
    for name, properties in machines:
        encryption = properties.get("EncryptionConfiguration", {})
        assert encryption.get("Type") == "CUSTOMER_MANAGED_KMS_KEY", name
    (catalog,) = _resources(synthesized, "AWS::Glue::DataCatalogEncryptionSettings")
    at_rest = catalog[1]["DataCatalogEncryptionSettings"]["EncryptionAtRest"]
    assert at_rest["CatalogEncryptionMode"] == "SSE-KMS" and at_rest["SseAwsKmsKeyId"]


# Actions AWS offers no resource-level permission for: the only ones a statement may
# grant on "*". cdk-nag's IAM5[Resource::*] acknowledgement covers a whole role, so this
# list is what keeps a new "*" grant from passing unseen.
WILDCARD_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "dynamodb:ListStreams",
    "ecr:GetAuthorizationToken",
    "comprehend:BatchDetectDominantLanguage",
    "comprehend:BatchDetectEntities",
    "comprehend:BatchDetectSentiment",
    "comprehend:DetectSentiment",
}
# Allowed on "*" only under a condition that narrows them.
CONDITIONED_WILDCARD_ACTIONS = {"cloudwatch:PutMetricData"}


def test_only_actions_without_resource_permissions_are_granted_on_every_resource(
    synthesized: Any,
) -> None:
    offending = []
    for stack, template in synthesized.templates.items():
        for key, resource in template["Resources"].items():
            if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                resources = statement.get("Resource")
                resources = resources if isinstance(resources, list) else [resources]
                if "*" not in resources:
                    continue
                actions = statement["Action"]
                for action in actions if isinstance(actions, list) else [actions]:
                    allowed = action in WILDCARD_ACTIONS or (
                        action in CONDITIONED_WILDCARD_ACTIONS and statement.get("Condition")
                    )
                    if not allowed:
                        offending.append(f"{stack}/{key}: {action}")
    assert offending == []


def test_every_alarm_acts_and_every_dead_letter_queue_alarms(synthesized: Any) -> None:
    alarms = _resources(synthesized, "AWS::CloudWatch::Alarm")
    assert alarms
    assert [name for name, p in alarms if not p.get("AlarmActions")] == []
    for stack, template in synthesized.templates.items():
        queues = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
        watched = {
            dimension["Value"]["Fn::GetAtt"][0]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
            for dimension in r["Properties"].get("Dimensions", [])
            if dimension["Name"] == "QueueName" and isinstance(dimension["Value"], dict)
        }
        assert queues <= watched, f"{stack}: {sorted(queues - watched)} have no alarm"


def test_stream_failures_keep_the_records_in_s3(synthesized: Any) -> None:
    mappings = [
        (name, p)
        for name, p in _resources(synthesized, "AWS::Lambda::EventSourceMapping")
        if "StartingPosition" in p
    ]
    assert len(mappings) >= 3  # the change feed, the events consumer, the posts scorer
    for name, properties in mappings:
        destination = json.dumps(properties["DestinationConfig"]["OnFailure"]["Destination"])
        assert ":s3:::" in destination and "sqs" not in destination, name
