"""Pinpoint's REST API on AWS: the API function behind an IAM-authorised REST API, and
the marketers' console (CloudFront, a Cognito user pool, a Cognito-authorised API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from infra.constructs.console_site import ConsoleSite
from infra.constructs.import_jobs import import_job_state_machine_arn
from infra.constructs.lake_erasure import erase_state_machine_arn
from infra.constructs.messaging_channels import sends_table_name
from infra.constructs.pinpoint_api import ApiLimits, CampaignTargets, PinpointApi
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps, options_from_context
from infra.stacks.messaging_stack import MessagingOptions


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """API choices of a deployment (CDK context keys in brackets).

    Attributes
    ----------
    rate_limit, burst_limit
        The stage's steady requests a second and burst [``api_rate_limit``,
        ``api_burst_limit``].
    per_caller_per_5_minutes
        Requests one caller address may make in five minutes (WAF)
        [``api_per_caller_per_5_minutes``].
    hook_functions
        The Lambda functions campaign hooks may name: a name or a pattern
        [``api_hook_functions``; default ``<prefix>-hook-*``].
    """

    rate_limit: int = 200
    burst_limit: int = 400
    per_caller_per_5_minutes: int = 3000
    hook_functions: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> ApiOptions:
        return options_from_context(cls, scope, "api")


@dataclass(frozen=True, slots=True)
class ApiStackProps(FeatureStackProps):
    """``depends_on``: the events stack (events stream, the account's API Gateway logging
    role) and the messaging stack (campaign pipeline, sends table)."""

    messaging: MessagingOptions = field(default_factory=MessagingOptions)
    api: ApiOptions = field(default_factory=ApiOptions)
    campaigns: CampaignTargets | None = None
    pinpoint_app_id: str = ""


class ApiStack(FeatureStack):
    """The API function and its REST API; outputs the URL the client uses."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ApiStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data, options = self.config, self.data, props.api
        if props.campaigns is None:
            raise ValueError("the API stack needs the messaging stack's campaign pipeline")
        prefix = config.resource_prefix
        self.pinpoint = PinpointApi(
            self,
            "Pinpoint",
            runtime=self.runtime,
            api_name=f"{prefix}-pinpoint",
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            import_job_state_machine_arn=import_job_state_machine_arn(
                self, config.import_job_state_machine_name
            ),
            erase_state_machine_arn=erase_state_machine_arn(self, config.erase_state_machine_name),
            delivery=props.messaging.delivery_settings(
                config,
                sends_table_name=sends_table_name(prefix),
                pinpoint_app_id=props.pinpoint_app_id,
            ),
            campaigns=props.campaigns,
            catalog=data.catalog,
            workgroup=data.workgroup,
            limits=ApiLimits(
                rate_limit=options.rate_limit,
                burst_limit=options.burst_limit,
                per_caller_per_5_minutes=options.per_caller_per_5_minutes,
            ),
            hook_functions=options.hook_functions or f"{prefix}-hook-*",
            journeys_table_name=config.journeys_table_name,
        )
        # The marketers' console: its pages, sign-in and the Cognito-authorised API.
        self.console = ConsoleSite(
            self,
            "Console",
            resource_prefix=prefix,
            function=self.pinpoint.function.function,
            log_retention=self.runtime.log_retention,
            rate_limit=options.rate_limit,
            burst_limit=options.burst_limit,
        )
        self.add_outputs(
            {
                "PinpointApiUrl": self.pinpoint.url,
                "PinpointApiId": self.pinpoint.api.rest_api_id,
                "PinpointApiStage": self.pinpoint.stage,
            }
        )
