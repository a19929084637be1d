"""The deployable unit: every Clarion stack, wired together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stage
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.pinpoint_api import CampaignTargets
from infra.stacks.api_stack import ApiOptions, ApiStack, ApiStackProps
from infra.stacks.audience_stack import AudienceStack, AudienceStackProps
from infra.stacks.churn_stack import ChurnOptions, ChurnStack, ChurnStackProps
from infra.stacks.data_stack import DataStack, DataStackProps
from infra.stacks.events_stack import EventsStack, EventsStackProps
from infra.stacks.messaging_stack import MessagingOptions, MessagingStack, MessagingStackProps
from infra.stacks.social_stack import SocialOptions, SocialStack, SocialStackProps


class ClarionStage(Stage):
    """Stacks ``<stage>-Data`` (shared data layer), ``<stage>-Audience``,
    ``<stage>-Events``, ``<stage>-Messaging``, ``<stage>-Social``, ``<stage>-Churn`` and
    ``<stage>-Api`` (Pinpoint's REST API);
    each feature stack takes ``self.data`` (and the stacks it builds on) as typed props.

    Parameters
    ----------
    config
        Deployment settings.
    runtime_deps_dir
        The built ``runtime-deps`` layer folder (see ``infra.layers``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClarionConfig,
        runtime_deps_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data = DataStack(self, "Data", props=DataStackProps(config=config))
        self.audience = AudienceStack(
            self,
            "Audience",
            props=AudienceStackProps(
                config=config, data=self.data, runtime_deps_dir=runtime_deps_dir
            ),
        )
        self.events = EventsStack(
            self,
            "Events",
            props=EventsStackProps(
                config=config, data=self.data, runtime_deps_dir=runtime_deps_dir
            ),
        )
        messaging = MessagingOptions.from_context(self)
        self.messaging = MessagingStack(
            self,
            "Messaging",
            props=MessagingStackProps(
                config=config,
                data=self.data,
                runtime_deps_dir=runtime_deps_dir,
                messaging=messaging,
                depends_on=(self.events,),
            ),
        )
        self.social = SocialStack(
            self,
            "Social",
            props=SocialStackProps(
                config=config,
                data=self.data,
                runtime_deps_dir=runtime_deps_dir,
                messaging=messaging,
                social=SocialOptions.from_context(self),
                pinpoint_app_id=self.messaging.channels.pinpoint_app_id,
                depends_on=(self.events, self.messaging),
            ),
        )
        self.churn = ChurnStack(
            self,
            "Churn",
            props=ChurnStackProps(
                config=config,
                data=self.data,
                runtime_deps_dir=runtime_deps_dir,
                churn=ChurnOptions.from_context(self),
                depends_on=(self.events, self.messaging),
            ),
        )
        self.api = ApiStack(
            self,
            "Api",
            props=ApiStackProps(
                config=config,
                data=self.data,
                runtime_deps_dir=runtime_deps_dir,
                messaging=messaging,
                api=ApiOptions.from_context(self),
                campaigns=CampaignTargets(
                    state_machine_arn=self.messaging.pipeline.state_machine_arn,
                    schedule_group_name=self.messaging.scheduling.group_name,
                    scheduler_role_arn=self.messaging.scheduling.role.role_arn,
                ),
                pinpoint_app_id=self.messaging.channels.pinpoint_app_id,
                depends_on=(self.events, self.messaging),
            ),
        )
