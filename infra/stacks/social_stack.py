"""Social-sentiment triggers on AWS: the posts API and stream, the social table, and the
scoring function (Comprehend, author matching, trigger rules, triggered messages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from constructs import Construct

from infra.constructs.messaging_channels import sends_table_name
from infra.constructs.social_posts import SocialPosts, posts_stream_name
from infra.constructs.social_scoring import SocialScoring, SocialTable, social_table_name
from infra.paths import PROJECT_ROOT
from infra.stacks.feature_stack import FeatureStack, FeatureStackProps, options_from_context
from infra.stacks.messaging_stack import MessagingOptions

# Where Lambda unpacks the function's code (LAMBDA_TASK_ROOT).
TASK_ROOT = "/var/task"
# The one handle attribute the profile store writes as SocialHandle (its default, see
# clarion.adapters.aws.audience.profile_store.DynamoDBProfileStore): only it can be matched on AWS.
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
        return options_from_context(cls, scope, "social")

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
class SocialStackProps(FeatureStackProps):
    """``depends_on``: the events stack (events stream, configuration sets, the account's
    API Gateway logging role) and the messaging stack (sends table)."""

    messaging: MessagingOptions = field(default_factory=MessagingOptions)
    social: SocialOptions = field(default_factory=SocialOptions)
    # The messaging stack's Pinpoint app id (a token) when push is enabled, else "".
    pinpoint_app_id: str = ""


class SocialStack(FeatureStack):
    """The posts stream and API, the social table, the scoring function.

    As in the other feature stacks, shared resources are reached by their fixed names
    (bucket, endpoints, definitions and sends tables, events stream, configuration sets);
    the key comes from the data stack.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: SocialStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, props=props, **kwargs)
        config, data, options, social = self.config, self.data, props.messaging, props.social
        prefix = config.resource_prefix
        self.posts = SocialPosts(
            self,
            "Posts",
            runtime=self.runtime,
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
            posts=self.posts.stream,
            social_table=self.table,
            endpoints_table_name=config.endpoints_table_name,
            definitions_table_name=config.definitions_table_name,
            delivery=options.delivery_settings(
                config,
                sends_table_name=sends_table_name(prefix),
                pinpoint_app_id=props.pinpoint_app_id,
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
        self.add_outputs(outputs)
