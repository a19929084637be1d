"""Social-sentiment triggers on AWS: the posts API and stream, the social table, and the
scoring function (Comprehend, author matching, trigger rules, triggered messages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import ClarionConfig
from infra.constructs.campaign_functions import DeliverySettings
from infra.constructs.data_lake import data_bucket_name
from infra.constructs.lambda_runtime import ClarionEnvironment, LambdaRuntime
from infra.constructs.messaging_channels import sends_table_name
from infra.constructs.social_posts import SocialPosts, posts_stream_name
from infra.constructs.social_scoring import SocialScoring, SocialTable, social_table_name
from infra.paths import PROJECT_ROOT
from infra.stacks.data_stack import DataStack
from infra.stacks.messaging_stack import MessagingOptions

# Where Lambda unpacks the function's code (LAMBDA_TASK_ROOT).
TASK_ROOT = "/var/task"
# The one handle attribute the profile store writes as SocialHandle (its default, see
# clarion.adapters.aws.profiles.DynamoDBProfileStore): only it can be matched on AWS.
INDEXED_HANDLE_ATTRIBUTE = "TwitterHandle"
# Folders of the project that go into the function's code asset (CODE_ASSET_EXCLUDE).
BUNDLED_FOLDERS = ("clarion", "lambdas")


@dataclass(frozen=True, slots=True)
class SocialOptions:
    """Sentiment choices of a deployment (CDK context keys in brackets).

    Attributes
    ----------
    api_rate_limit, api_burst_limit
        Steady requests a second and burst of the posts API
        [``social_api_rate_limit``, ``social_api_burst_limit``].
    comprehend_entities
        Detect product mentions with ``BatchDetectEntities``
        [``social_comprehend_entities``].
    rules_file
        A trigger-rules file inside the function's code (under ``clarion/`` or
        ``lambdas/``), relative to the project folder; empty for the packaged default
        rules [``social_rules_file``].
    """

    api_rate_limit: int = 50
    api_burst_limit: int = 100
    comprehend_entities: bool = True
    rules_file: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> SocialOptions:
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            raw = scope.node.try_get_context(f"social_{name}")
            if raw is None:
                continue
            default = getattr(cls, name)
            if isinstance(default, bool):
                values[name] = raw if isinstance(raw, bool) else str(raw).lower() == "true"
            elif isinstance(default, int):
                values[name] = int(raw)
            else:
                values[name] = str(raw)
        return cls(**values)

    def rules_path(self, project_root: Path = PROJECT_ROOT) -> str:
        """``CLARION_SENTIMENT_RULES`` for the function ("" for the default rules).

        The file must be in the code asset, and its handle attributes must be the one
        the profile store indexes; otherwise synth fails here rather than authors going
        unmatched once deployed.
        """
        if not self.rules_file:
            return ""
        relative = Path(self.rules_file)
        if (
            relative.is_absolute()
            or relative.parts[0] not in BUNDLED_FOLDERS
            or (".." in relative.parts)
        ):
            raise ValueError(
                f"social_rules_file {self.rules_file!r} must be a path under "
                f"{' or '.join(f + '/' for f in BUNDLED_FOLDERS)} (the function's code)"
            )
        path = project_root / relative
        if not path.is_file():
            raise ValueError(f"social_rules_file {self.rules_file!r}: no such file")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        matching = (data.get("matching") if isinstance(data, dict) else None) or {}
        attributes = {matching.get("handle_attribute", INDEXED_HANDLE_ATTRIBUTE)}
        attributes |= set((matching.get("platforms") or {}).values())
        if attributes != {INDEXED_HANDLE_ATTRIBUTE}:
            raise ValueError(
                f"social_rules_file {self.rules_file!r} matches handles in "
                f"{sorted(attributes)}: on AWS only {INDEXED_HANDLE_ATTRIBUTE} is indexed "
                "(SocialHandleIndex of the endpoints table)"
            )
        return f"{TASK_ROOT}/{relative.as_posix()}"


@dataclass(frozen=True, slots=True)
class SocialStackProps:
    config: ClarionConfig
    data: DataStack
    runtime_deps_dir: Path
    messaging: MessagingOptions = field(default_factory=MessagingOptions)
    social: SocialOptions = field(default_factory=SocialOptions)
    # The messaging stack's Pinpoint app id (a token) when push is enabled, else "".
    pinpoint_app_id: str = ""
    # Stacks to deploy first: the events stack (events stream, configuration sets, the
    # account's API Gateway logging role) and the messaging stack (sends table).
    depends_on: tuple[Stack, ...] = ()


class SocialStack(Stack):
    """The posts stream and API, the social table, the scoring function.

    As in the other feature stacks, shared resources are reached by their fixed names
    (bucket, endpoints, definitions and sends tables, events stream, configuration sets);
    the key comes from the data stack.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: SocialStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config, data, options, social = props.config, props.data, props.messaging, props.social
        self.add_stack_dependency(data)
        for stack in props.depends_on:
            self.add_stack_dependency(stack)
        prefix = config.resource_prefix
        bucket_name = data_bucket_name(self, prefix)
        self.runtime = LambdaRuntime(
            self,
            "Runtime",
            powertools_layer_version=config.powertools_layer_version,
            runtime_deps_dir=props.runtime_deps_dir,
            log_retention_days=config.log_retention_days,
            environment=ClarionEnvironment(
                endpoints_table=config.endpoints_table_name,
                definitions_table=config.definitions_table_name,
                data_bucket=bucket_name,
                glue_database=config.glue_database,
                athena_workgroup=config.athena_workgroup_name,
            ),
        )
        self.posts = SocialPosts(
            self,
            "Posts",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            stream_name=posts_stream_name(prefix),
            app_id=config.app_id,
            api_name=f"{prefix}-social",
            rate_limit=social.api_rate_limit,
            burst_limit=social.api_burst_limit,
        )
        self.table = SocialTable(
            self,
            "Table",
            key=data.key,
            table_name=social_table_name(prefix),
            deletion_protection=config.deletion_protection,
        )
        self.scoring = SocialScoring(
            self,
            "Scoring",
            runtime=self.runtime,
            key=data.key,
            bucket_name=bucket_name,
            posts=self.posts.stream,
            social_table=self.table,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            delivery=DeliverySettings(
                app_id=config.app_id,
                events_stream_name=config.events_stream_name,
                sends_table_name=sends_table_name(prefix),
                ses_configuration_set_name=config.ses_configuration_set_name,
                sms_configuration_set_name=config.sms_configuration_set_name,
                from_address=options.from_address,
                ses_identity=options.email_identity,
                sms_origination_identity=options.sms_origination_identity,
                pinpoint_app_id=props.pinpoint_app_id,
                webhook_secret_arn=options.webhook_secret_arn,
            ),
            comprehend_entities=social.comprehend_entities,
            rules_file=social.rules_path(),
        )
        # What a collector and the CLI need (CLARION_SOCIAL_TABLE, CLARION_POSTS_STREAM).
        outputs = {
            "SocialTable": self.table.table_name,
            "PostsStream": self.posts.stream.stream.stream_name,
            "SocialPostsApiUrl": self.posts.api.url_for_path(self.posts.posts_path),
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
