"""What every feature stack shares: its props, the data stack it builds on, the stacks
it deploys after, the Lambda runtime of its functions and its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aws_cdk import Aspects, CfnOutput, Stack
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.alerts import OperatorAlerts
from infra.constructs.data_lake import data_bucket_name
from infra.constructs.lambda_runtime import ClarionEnvironment, LambdaRuntime, log_retention
from infra.stacks.data_stack import DataStack

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Options = TypeVar("_Options", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class FeatureStackProps:
    """What every feature stack takes.

    Attributes
    ----------
    config
        Deployment settings.
    data
        The data stack (key, catalog, workgroup, tables' stream).
    runtime_deps_dir
        The built ``runtime-deps`` layer folder (see ``infra.layers``).
    depends_on
        Stacks to deploy first, besides the data stack.
    """

    config: ClarionConfig
    data: DataStack
    runtime_deps_dir: Path
    depends_on: tuple[Stack, ...] = ()


class FeatureStack(Stack):
    """A stack deployed after the data stack (and ``props.depends_on``), whose functions
    share one ``LambdaRuntime`` (``self.runtime``).

    Shared resources are reached by their fixed names (``self.bucket_name``, the table
    names of ``self.config``); the key, catalog and workgroup come from ``self.data``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: FeatureStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config = props.config
        self.data = props.data
        for stack in (props.data, *props.depends_on):
            self.add_stack_dependency(stack)
        self.bucket_name = data_bucket_name(self, config.resource_prefix)
        self.log_retention = log_retention(config.log_retention_days)
        self.runtime = LambdaRuntime(
            self,
            "Runtime",
            powertools_layer_version=config.powertools_layer_version,
            runtime_deps_dir=props.runtime_deps_dir,
            log_retention_days=config.log_retention_days,
            environment=ClarionEnvironment.from_config(config, data_bucket=self.bucket_name),
            key=props.data.key,
        )
        # Every alarm acts, every dead-letter queue alarms, the failure topics are heard.
        Aspects.of(self).add(OperatorAlerts(self, key=props.data.key, email=config.alert_email))

    def add_outputs(self, outputs: Mapping[str, str]) -> None:
        """One ``CfnOutput`` per entry (what the CLI reads as ``CLARION_*`` variables)."""
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)


def options_from_context(cls: type[_Options], scope: Construct, prefix: str) -> _Options:
    """``cls`` (a dataclass of options with defaults) with the CDK context values named
    ``<prefix>_<field>``, converted to the type of the field's default (``"true"`` for a
    true flag)."""
    values: dict[str, Any] = {}
    for option in fields(cls):
        raw = scope.node.try_get_context(f"{prefix}_{option.name}")
        if raw is None:
            continue
        default = option.default
        if isinstance(default, bool):
            values[option.name] = raw if isinstance(raw, bool) else str(raw).lower() == "true"
        elif isinstance(default, int):
            values[option.name] = int(raw)
        else:
            values[option.name] = str(raw)
    return cls(**values)
