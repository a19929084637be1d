"""Trigger rules (docs/sentiment.md): the rules file's shape and what fires for a post."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.model import validation_problems
from clarion.domain.sentiment.posts import SocialPost
from clarion.domain.sentiment.scores import Sentiment, SentimentResult

# -- rules --------------------------------------------------------------------------------

AuthorKind = Literal["customer", "prospect", "any"]


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Window(_RuleModel):
    """A time window, ``[start, end)``; ISO-8601 with a zone."""

    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone (such as Z)")
        return value

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


class Repeated(_RuleModel):
    """``count`` or more negative posts by the author within ``days`` (this one included)."""

    count: int = Field(ge=1)
    days: int = Field(default=30, ge=1, le=365)


class Conditions(_RuleModel):
    """What a post must be for a rule to fire: every condition given must hold."""

    sentiment: tuple[Sentiment, ...] | None = None
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    author: AuthorKind = "any"
    min_followers: int | None = Field(default=None, ge=0)
    max_followers: int | None = Field(default=None, ge=0)
    platforms: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None  # any of them (case-insensitive, no #)
    keywords: tuple[str, ...] | None = None  # any of them in the text (case-insensitive)
    window: Window | None = None  # the post's created_at falls in it
    repeated_negatives: Repeated | None = None

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else tuple(tag.lstrip("#").lower() for tag in value)


class MessageAction(_RuleModel):
    """Send the named template (its EMAIL, SMS or PUSH type, by the endpoint's channel)
    to one endpoint of the author, through the transactional send path."""

    template: str = Field(min_length=1)
    channels: tuple[str, ...] = ("EMAIL", "SMS")
    substitutions: dict[str, list[str]] = Field(default_factory=dict)


class FollowUpAction(_RuleModel):
    """Open a follow-up in a queue (a ``_social.follow_up`` event and an attribute)."""

    queue: str = Field(default="support", min_length=1, max_length=50)


class Action(_RuleModel):
    """One of: ``message``, ``follow_up``, ``attributes`` (endpoint Attributes to set),
    ``churn_flag`` (flag the customer for the churn model)."""

    message: MessageAction | None = None
    follow_up: FollowUpAction | None = None
    attributes: dict[str, list[str]] | None = None
    churn_flag: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> Action:
        given = [
            n for n in ("message", "follow_up", "attributes", "churn_flag") if getattr(self, n)
        ]
        if len(given) != 1:
            raise ValueError(
                "an action is exactly one of message, follow_up, attributes, churn_flag"
            )
        return self

    @property
    def kind(self) -> str:
        for name in ("message", "follow_up", "attributes", "churn_flag"):
            if getattr(self, name):
                return name
        raise AssertionError("validated")  # pragma: no cover


class Rule(_RuleModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    when: Conditions = Field(default_factory=Conditions)
    actions: tuple[Action, ...] = Field(min_length=1)

    @property
    def sends_message(self) -> bool:
        return any(action.message is not None for action in self.actions)


class AuthorLimit(_RuleModel):
    """Triggered messages per author per UTC day (0 = none at all)."""

    daily: int = Field(default=1, ge=0)


class QuietTimeRule(_RuleModel):
    """Local ``HH:MM`` start and end; no triggered message is sent inside it."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str | None = None  # a UTC offset such as UTC+01, for endpoints without one


class Matching(_RuleModel):
    """Which ``User.UserAttributes`` name holds a platform's handle."""

    handle_attribute: str = Field(default="TwitterHandle", min_length=1, max_length=50)
    platforms: dict[str, str] = Field(default_factory=dict)

    def attribute_for(self, platform: str) -> str:
        return self.platforms.get(platform, self.handle_attribute)


class RuleSet(_RuleModel):
    """A rules file (YAML or JSON; docs/sentiment.md)."""

    version: int = 1
    matching: Matching = Field(default_factory=Matching)
    influencer_followers: int = Field(default=10_000, ge=1)
    churn_window_days: int = Field(default=30, ge=1, le=365)
    author_limit: AuthorLimit = Field(default_factory=AuthorLimit)
    quiet_time: QuietTimeRule | None = None
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        names = [rule.name for rule in self.rules]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"rule names must be unique: {', '.join(duplicated)}")
        return self

    @property
    def history_days(self) -> int:
        """How far back negative posts must be remembered."""
        days = [self.churn_window_days]
        days += [r.when.repeated_negatives.days for r in self.rules if r.when.repeated_negatives]
        return max(days)


def parse_rules(data: Any) -> RuleSet:
    """Validate a parsed rules file.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule.
    """
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(rules)", "must be a mapping")])
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None


@dataclass(frozen=True)
class PostFacts:
    """What rules are evaluated on: the post, its sentiment, and what is known of its
    author (``negative_times``: epoch ms of the author's remembered negative posts,
    this one included when negative)."""

    post: SocialPost
    result: SentimentResult
    is_customer: bool
    negative_times: tuple[int, ...] = ()

    def negatives_within(self, days: int) -> int:
        since = self.post.created_at - int(timedelta(days=days).total_seconds() * 1000)
        return sum(1 for t in self.negative_times if since < t <= self.post.created_at)


def matches(conditions: Conditions, facts: PostFacts) -> bool:
    """True when every condition given holds for the post."""
    post, result = facts.post, facts.result
    checks = (
        conditions.sentiment is None or result.sentiment in conditions.sentiment,
        conditions.min_confidence is None or result.confidence >= conditions.min_confidence,
        conditions.author == "any" or (conditions.author == "customer") == facts.is_customer,
        conditions.min_followers is None or post.author_follower_count >= conditions.min_followers,
        conditions.max_followers is None or post.author_follower_count <= conditions.max_followers,
        conditions.platforms is None or post.platform in conditions.platforms,
        conditions.hashtags is None
        or bool({t.lower() for t in post.hashtags} & set(conditions.hashtags)),
        conditions.keywords is None
        or any(word.lower() in post.text.lower() for word in conditions.keywords),
        conditions.window is None or conditions.window.contains(post.created()),
        conditions.repeated_negatives is None
        or facts.negatives_within(conditions.repeated_negatives.days)
        >= conditions.repeated_negatives.count,
    )
    return all(checks)


def evaluate(rules: RuleSet, facts: PostFacts) -> list[Rule]:
    """The rules that fire on the post, in file order."""
    return [rule for rule in rules.rules if matches(rule.when, facts)]


def is_influencer(rules: RuleSet, follower_count: int) -> bool:
    return follower_count >= rules.influencer_followers
