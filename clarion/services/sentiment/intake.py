"""Social posts submitted over HTTP (``POST /v1/social/posts``): one post, a JSON array
of posts, or ``{"Posts": [...]}``, at most ``MAX_POSTS_PER_REQUEST`` (the shape is in
docs/sentiment.md).

Each post is validated; valid ones are queued for scoring (the posts stream on AWS),
invalid ones are dead-lettered with their reasons. A request is refused as a whole when
it is over ``MAX_BODY_BYTES``, is not JSON, or holds too many posts. Duplicates are
accepted here and dropped by the scoring (one dedupe point, after the queue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.events.records import Reject
from clarion.domain.sentiment.posts import MAX_POST_BYTES, SocialPost, parse_post
from clarion.ports.events import DeadLetterSink
from clarion.ports.sentiment import PostQueue
from clarion.services.sentiment.service import SentimentService

MAX_POSTS_PER_REQUEST = 500
MAX_BODY_BYTES = MAX_POSTS_PER_REQUEST * MAX_POST_BYTES


@dataclass
class PostSubmission:
    """What became of a request: ``refused`` (and ``too_large``) when it was refused as
    a whole; otherwise ``results``, one per post in order: ``{"Index", "Post",
    "StatusCode": 202, "Message": "Accepted"}`` or ``{"Index", "StatusCode": 400,
    "Problems": [{"field", "reason"}]}``."""

    results: list[dict[str, Any]] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    refused: FieldProblem | None = None
    too_large: bool = False


class ScoreOnArrival:
    """The PostQueue of a backend without a posts stream (locally): posts are scored as
    they arrive, as the CLI scores the posts it reads."""

    def __init__(self, sentiment: SentimentService) -> None:
        self._sentiment = sentiment

    def put_posts(self, posts: Sequence[SocialPost]) -> None:
        self._sentiment.process(posts, origin="api")


class PostIntakeService:
    """Validates submitted posts and queues the valid ones (module docstring).

    Parameters
    ----------
    queue
        Where accepted posts wait to be scored.
    dead_letters
        Where invalid posts are kept, with the reasons.
    """

    def __init__(self, queue: PostQueue, dead_letters: DeadLetterSink) -> None:
        self._queue = queue
        self._dead_letters = dead_letters

    def submit(self, text: str | bytes) -> PostSubmission:
        """Validate, queue and dead-letter the posts of a request body (bytes are read
        as UTF-8)."""
        size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "replace"))
        if size > MAX_BODY_BYTES:
            problem = FieldProblem("(request)", f"is over {MAX_BODY_BYTES} bytes")
            return PostSubmission(refused=problem, too_large=True)
        try:
            body = parse_json(text)
        except JsonInputError as exc:
            return PostSubmission(refused=FieldProblem("(request)", str(exc)))
        items = body.get("Posts") if isinstance(body, dict) and "Posts" in body else body
        items = items if isinstance(items, list) else [items]
        if not items:
            return PostSubmission(refused=FieldProblem("Posts", "holds no posts"))
        if len(items) > MAX_POSTS_PER_REQUEST:
            reason = f"holds {len(items)} posts; the limit is {MAX_POSTS_PER_REQUEST}"
            return PostSubmission(refused=FieldProblem("Posts", reason))
        accepted: list[SocialPost] = []
        rejects: list[Reject] = []
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            try:
                post = parse_post(item)
            except InvalidRecordError as exc:
                rejects.append(Reject("social", index, None, tuple(exc.problems), item))
                problems = [{"field": p.field, "reason": p.reason} for p in exc.problems]
                results.append({"Index": index, "StatusCode": 400, "Problems": problems})
                continue
            accepted.append(post)
            result = {"Index": index, "Post": post.key, "StatusCode": 202, "Message": "Accepted"}
            if post.warnings:
                result["Warnings"] = post.warnings
            results.append(result)
        if accepted:
            self._queue.put_posts(accepted)
        if rejects:
            self._dead_letters.put_rejects(rejects, origin="api")
        return PostSubmission(results, len(accepted), len(rejects))
