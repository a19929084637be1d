"""Ports of the sentiment feature: scoring texts, matching authors, deduplicating
posts, what is kept about authors, and the posts queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.sentiment.authors import AuthorActivity, Prospect
    from clarion.domain.sentiment.posts import SocialPost
    from clarion.domain.sentiment.scores import PostText, SentimentResult


class SentimentAnalyzer(Protocol):
    """Scores texts: Comprehend on AWS, a lexicon analyser (VADER) locally.

    One result per text, in the order given, each with Comprehend's labels and scores.
    A text in a language the analyser does not support comes back NEUTRAL with a
    ``note`` (never dropped, never raised). Adapters batch as their service allows.
    """

    def analyze(self, texts: Sequence[PostText]) -> list[SentimentResult]: ...


class HandleLookup(Protocol):
    """Finds endpoints by a social handle held in a user attribute
    (``User.UserAttributes.<attribute>``), compared without ``@`` and case-insensitively."""

    def endpoint_ids_by_handle(
        self, attribute: str, handles: Sequence[str]
    ) -> dict[str, list[str]]:
        """Endpoint ids per normalised handle; handles nobody has are left out."""
        ...


class PostDedupeStore(Protocol):
    """Remembers which posts (by dedupe key) were processed, so a post delivered twice
    (an API retry, a Kinesis replay) is processed once.

    A claim is a lease: a post claimed but never completed (the process died) can be
    claimed again once the lease has run out.
    """

    def claim(self, keys: Sequence[str], now_ms: int, lease_ms: int) -> set[str]:
        """Claim each key not completed and not under a live lease; returns those claimed."""
        ...

    def complete(self, keys: Sequence[str], now_ms: int) -> None:
        """Mark claimed keys done for good."""
        ...

    def release(self, keys: Sequence[str]) -> None:
        """Give up claims that were not completed (processing failed), so a retry can
        claim them at once."""
        ...


class SocialAuthorStore(Protocol):
    """What is kept about post authors: every author's recent negative posts (for
    repeated-negative rules and the churn flag) and the prospects (authors matched to
    no endpoint), with their follower counts and pending outreach."""

    def record(self, activity: Sequence[AuthorActivity]) -> None:
        """Fold scored posts in (idempotent per post key: a replay counts once)."""
        ...

    def negative_posts(
        self, author_keys: Sequence[str], since_ms: int
    ) -> dict[str, dict[str, int]]:
        """Each author's negative posts at or after ``since_ms``: post key → epoch ms."""
        ...

    def prospects(self, *, min_followers: int = 0, limit: int = 100) -> list[Prospect]:
        """Prospects, most followed first."""
        ...


class PostQueue(Protocol):
    """Where accepted posts wait to be scored: the posts Kinesis stream on AWS."""

    def put_posts(self, posts: Sequence[SocialPost]) -> None:
        """Queue the posts (the partition key is the dedupe key). Raises when some
        could not be queued after the adapter's retries."""
        ...
