"""Per-author limits, authors' recent activity and prospects (authors with no endpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clarion.domain.sentiment.rules import AuthorLimit
from clarion.domain.sentiment.scores import Sentiment

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
