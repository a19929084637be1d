"""Acknowledging cdk-nag findings, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept the finding ``rule_id`` (e.g. ``AwsSolutions-IAM5[Resource::*]``) on
    ``construct`` and its children, recording why."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
