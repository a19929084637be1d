"""Social posts, their sentiment, and the trigger rules evaluated on them.

Everything here is pure: the post shape and its validation (docs/sentiment.md gives the
JSON), the dedupe key, the sentiment result every analyser returns (Comprehend's
vocabulary: POSITIVE, NEGATIVE, NEUTRAL, MIXED with a score each), the rules file model
and its evaluation, and the per-author limit. The sentiment service applies the effects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clarion.domain.errors import FieldProblem, InvalidRecordError
from clarion.domain.events import Reject, check_epoch_ms
from clarion.domain.pinpoint_model import validation_problems

# Comprehend's real-time APIs take at most 5,000 bytes of UTF-8 per document; a post
# whose text is longer is rejected rather than scored on its first part.
MAX_TEXT_BYTES = 5000
# One post as a JSON document (text, hashtags and the rest together).
MAX_POST_BYTES = 16 * 1024
MAX_HASHTAGS = 30
MAX_HASHTAG_LENGTH = 100
MAX_POST_ID_LENGTH = 128
MAX_HANDLE_LENGTH = 64
# How many documents BatchDetectSentiment (and the other batch calls) take at once.
COMPREHEND_BATCH_SIZE = 25

UNDETERMINED_LANGUAGE = "und"

_PLATFORM = re.compile(r"^[a-z0-9_-]{1,32}$")
_POST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HASHTAG = re.compile(r"^\w{1,100}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_TEXT_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")


def normalise_handle(handle: str) -> str:
    """The form handles are compared in: no leading ``@``, lower case, trimmed."""
    return handle.strip().lstrip("@").lower()


def hashtags_in(text: str) -> list[str]:
    """The ``#hashtags`` written in ``text``, without the ``#``, in order of appearance."""
    return list(dict.fromkeys(_TEXT_HASHTAG.findall(text)))


class SocialPost(BaseModel):
    """One social post, in the shape Clarion ingests (docs/sentiment.md).

    ``hashtags`` holds the given hashtags and those written in the text, without ``#``,
    deduplicated case-insensitively; ``created_at`` is epoch milliseconds (the JSON may
    give an ISO-8601 string with a zone, or epoch milliseconds).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    post_id: str
    platform: str
    author_handle: str
    author_follower_count: int = Field(default=0, ge=0)
    text: str
    language: str | None = None
    created_at: int
    hashtags: tuple[str, ...] = ()
    in_reply_to: str | None = None

    @field_validator("post_id", "in_reply_to", mode="before")
    @classmethod
    def _post_id(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # platforms number their posts; JSON may carry a number
        if value is not None and (not isinstance(value, str) or not _POST_ID.match(value)):
            raise ValueError(
                f"must be 1-{MAX_POST_ID_LENGTH} characters of letters, digits and _.:-"
            )
        return value

    @field_validator("platform", mode="before")
    @classmethod
    def _platform(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _PLATFORM.match(value.strip().lower()):
            raise ValueError("must be a platform name such as twitter (a-z, 0-9, _ and -)")
        return value.strip().lower()

    @field_validator("author_handle", mode="before")
    @classmethod
    def _handle(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _HANDLE.match(value.strip().lstrip("@")):
            raise ValueError(
                f"must be a handle of 1-{MAX_HANDLE_LENGTH} letters, digits and _.- "
                "(a leading @ is allowed)"
            )
        return value.strip().lstrip("@")

    @field_validator("author_follower_count", mode="before")
    @classmethod
    def _followers(cls, value: Any) -> Any:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be non-empty text")
        size = len(value.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise ValueError(
                f"is {size} bytes of UTF-8; the limit is {MAX_TEXT_BYTES} (Comprehend's "
                "per-document limit)"
            )
        return value

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        if value in (None, "", UNDETERMINED_LANGUAGE):
            return None
        if not isinstance(value, str) or not _LANGUAGE.match(value):
            raise ValueError("must be a language code such as en, es or zh-TW")
        return value

    @field_validator("created_at", mode="before")
    @classmethod
    def _created(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("must be ISO-8601 (with a zone) or epoch milliseconds") from None
            if moment.tzinfo is None:
                raise ValueError("must carry a time zone (such as Z or +01:00)")
            return int(moment.timestamp() * 1000)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be ISO-8601 (with a zone) or epoch milliseconds")
        return check_epoch_ms(value)

    @field_validator("hashtags", mode="before")
    @classmethod
    def _hashtags(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of hashtags")
        if len(value) > MAX_HASHTAGS:
            raise ValueError(f"has {len(value)} hashtags; the limit is {MAX_HASHTAGS}")
        tags = []
        for tag in value:
            if not isinstance(tag, str) or not _HASHTAG.match(tag.lstrip("#")):
                raise ValueError(f"{tag!r} is not a hashtag (1-{MAX_HASHTAG_LENGTH} word chars)")
            tags.append(tag.lstrip("#"))
        return tuple(tags)

    def model_post_init(self, _context: Any) -> None:
        seen: dict[str, str] = {}
        for tag in (*self.hashtags, *hashtags_in(self.text)):
            seen.setdefault(tag.lower(), tag)
        object.__setattr__(self, "hashtags", tuple(seen.values())[:MAX_HASHTAGS])

    @property
    def key(self) -> str:
        """The dedupe key: the same (platform, post id) is one post."""
        return dedupe_key(self.platform, self.post_id)

    @property
    def handle_key(self) -> str:
        """The author's handle as compared (see :func:`normalise_handle`)."""
        return normalise_handle(self.author_handle)

    @property
    def author_key(self) -> str:
        """The author on their platform: ``<platform>#<handle>``."""
        return f"{self.platform}#{self.handle_key}"

    def created(self) -> datetime:
        return datetime.fromtimestamp(self.created_at / 1000, UTC)

    def to_json(self) -> dict[str, Any]:
        """The post in its documented JSON shape (``created_at`` as ISO-8601)."""
        data: dict[str, Any] = {
            "post_id": self.post_id,
            "platform": self.platform,
            "author_handle": self.author_handle,
            "author_follower_count": self.author_follower_count,
            "text": self.text,
            "created_at": self.created().isoformat().replace("+00:00", "Z"),
            "hashtags": list(self.hashtags),
        }
        if self.language:
            data["language"] = self.language
        if self.in_reply_to:
            data["in_reply_to"] = self.in_reply_to
        return data


def dedupe_key(platform: str, post_id: str) -> str:
    """``<platform>#<post id>``, the platform lower-cased."""
    return f"{platform.strip().lower()}#{post_id}"


def parse_post(data: Any) -> SocialPost:
    """Validate one post (a JSON object already parsed).

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule (the post is rejected with them).
    """
    if not isinstance(data, Mapping):
        raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
    size = len(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_POST_BYTES:
        raise InvalidRecordError(
            [FieldProblem("(record)", f"is {size} bytes; the limit is {MAX_POST_BYTES}")]
        )
    try:
        return SocialPost.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None


def _reject(index: int, raw: Any, problems: Sequence[FieldProblem]) -> Reject:
    record_id = None
    if isinstance(raw, Mapping) and isinstance(raw.get("post_id"), str | int):
        record_id = f"{raw.get('platform')}#{raw.get('post_id')}"
    return Reject("social", index, record_id, tuple(problems), raw)


def parse_post_lines(lines: Iterable[str | bytes]) -> tuple[list[SocialPost], list[Reject]]:
    """Posts from JSON lines (blank lines skipped); each bad line becomes a Reject whose
    index is its 1-based line number."""
    posts: list[SocialPost] = []
    rejects: list[Reject] = []
    for number, line in enumerate(lines, start=1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        if len(text.encode("utf-8")) > MAX_POST_BYTES * 2:
            problem = FieldProblem("(record)", f"the line is over {MAX_POST_BYTES * 2} bytes")
            rejects.append(_reject(number, text[:200], [problem]))
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            rejects.append(_reject(number, text, [FieldProblem("(record)", f"not JSON: {exc}")]))
            continue
        try:
            posts.append(parse_post(data))
        except InvalidRecordError as exc:
            rejects.append(_reject(number, data, exc.problems))
    return posts, rejects


# -- sentiment ---------------------------------------------------------------------------


class Sentiment(StrEnum):
    """Comprehend's sentiment labels."""

    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"
    MIXED = "MIXED"


@dataclass(frozen=True, slots=True)
class PostText:
    """What an analyser scores: the text and its language when known."""

    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SentimentScore:
    """Comprehend's SentimentScore: one probability per label, summing to about 1."""

    positive: float = 0.0
    negative: float = 0.0
    neutral: float = 1.0
    mixed: float = 0.0

    def of(self, sentiment: Sentiment) -> float:
        return float(getattr(self, sentiment.value.lower()))

    def to_json(self) -> dict[str, float]:
        return {
            "Positive": round(self.positive, 4),
            "Negative": round(self.negative, 4),
            "Neutral": round(self.neutral, 4),
            "Mixed": round(self.mixed, 4),
        }

    @classmethod
    def from_comprehend(cls, data: Mapping[str, Any]) -> SentimentScore:
        return cls(
            positive=float(data.get("Positive", 0.0)),
            negative=float(data.get("Negative", 0.0)),
            neutral=float(data.get("Neutral", 0.0)),
            mixed=float(data.get("Mixed", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """The sentiment of one text.

    ``language`` is the one used (given, or detected; ``und`` when unknown);
    ``mentions`` are product or brand mentions found in the text; ``note`` says why a
    text was not really scored (an unsupported language: NEUTRAL with a note).
    """

    sentiment: Sentiment
    score: SentimentScore
    language: str
    mentions: tuple[str, ...] = ()
    note: str | None = None

    @property
    def confidence(self) -> float:
        """The score of the label given."""
        return self.score.of(self.sentiment)

    @property
    def signed_score(self) -> float:
        """Positive minus negative, in [-1, 1]: one number for segments and trends."""
        return round(self.score.positive - self.score.negative, 4)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Sentiment": self.sentiment.value,
            "SentimentScore": self.score.to_json(),
            "LanguageCode": self.language,
            "Mentions": list(self.mentions),
        }
        if self.note:
            data["Note"] = self.note
        return data


def unscored(language: str, note: str) -> SentimentResult:
    """The result for a text an analyser cannot score: NEUTRAL, with the reason."""
    return SentimentResult(Sentiment.NEUTRAL, SentimentScore(), language, (), note)


# -- endpoint attribute names (docs/sentiment.md) -----------------------------------------

ATTR_SENTIMENT = "SocialSentiment"  # Attributes: the latest post's label
ATTR_INFLUENCER = "Influencer"  # Attributes: "true" / "false"
ATTR_PLATFORM = "SocialPlatform"  # Attributes: the latest post's platform
ATTR_CHURN_FLAG = "ChurnFlag"  # Attributes: "SOCIAL_NEGATIVE" when the churn rule fires
ATTR_FOLLOW_UP = "SocialFollowUp"  # Attributes: the queue a follow-up went to
METRIC_SCORE = "SocialSentimentScore"  # Metrics: positive - negative, in [-1, 1]
METRIC_FOLLOWERS = "FollowerCount"  # Metrics: the author's follower count
METRIC_NEGATIVES = "NegativePosts30d"  # Metrics: negative posts in the churn window
CHURN_FLAG_VALUE = "SOCIAL_NEGATIVE"

SOCIAL_POST_EVENT = "_social.post"
SOCIAL_FOLLOW_UP_EVENT = "_social.follow_up"
SOCIAL_CAMPAIGN_PREFIX = "social-"  # campaign ids of _campaign.send records: social-<rule>


# -- rules --------------------------------------------------------------------------------

AuthorKind = Literal["customer", "prospect", "any"]


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


# -- per-author limit ---------------------------------------------------------------------

AUTHOR_LIMIT_CAMPAIGN = "social-triggers"  # the SendLedger "campaign" counting them


def within_author_limit(sent_today: int, limit: AuthorLimit) -> bool:
    """May the author get another triggered message today?"""
    return sent_today < limit.daily


def limit_key(user_id: str | None, author_key: str) -> str:
    """Whom the limit counts for: the customer (user id) when known, so two platforms
    of one person share it; else the author on their platform."""
    return f"user:{user_id}" if user_id else f"author:{author_key}"


# -- authors ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorActivity:
    """One scored post's contribution to what is kept about its author."""

    author_key: str
    platform: str
    handle: str
    follower_count: int
    post_key: str
    post_ms: int
    sentiment: Sentiment
    is_customer: bool
    endpoint_ids: tuple[str, ...] = ()
    outreach: tuple[str, ...] = ()  # rules whose messages wait for a prospect's address


@dataclass(frozen=True, slots=True)
class Prospect:
    """An author not matched to any endpoint, kept for outreach and reports."""

    platform: str
    handle: str
    follower_count: int
    posts: int
    negative_posts: int
    last_sentiment: str
    last_post_ms: int
    outreach: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "handle": self.handle,
            "follower_count": self.follower_count,
            "posts": self.posts,
            "negative_posts": self.negative_posts,
            "last_sentiment": self.last_sentiment,
            "last_post": datetime.fromtimestamp(self.last_post_ms / 1000, UTC).isoformat(),
            "outreach": list(self.outreach),
        }
