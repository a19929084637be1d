"""Acknowledging cdk-nag findings and skipping checkov checks, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept the finding ``rule_id`` (e.g. ``AwsSolutions-IAM5[Resource::*]``) on
    ``construct`` and its children, recording why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Skip the checkov check ``check_id`` (e.g. ``CKV_AWS_117``) on ``construct``'s
    CloudFormation resource (itself or its default child), recording why: the reason
    lands in the template's ``Metadata.checkov.skip``, where checkov reads it."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    metadata = resource.get_metadata("checkov") or {}
    skips = [s for s in metadata.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {**metadata, "skip": skips})
