"""Sentiment use cases: score posts, match authors, apply trigger rules, report; take
posts in over HTTP and score the posts stream's batches.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.services.sentiment.intake import (
        MAX_BODY_BYTES,
        MAX_POSTS_PER_REQUEST,
        PostIntakeService,
        PostSubmission,
        ScoreOnArrival,
    )
    from clarion.services.sentiment.service import (
        SentimentRun,
        SentimentService,
        default_rules,
        load_rules,
    )
    from clarion.services.sentiment.stream import PostStreamService, StreamScoring

_HOMES: dict[str, str] = {
    "MAX_BODY_BYTES": "clarion.services.sentiment.intake",
    "MAX_POSTS_PER_REQUEST": "clarion.services.sentiment.intake",
    "PostIntakeService": "clarion.services.sentiment.intake",
    "PostStreamService": "clarion.services.sentiment.stream",
    "PostSubmission": "clarion.services.sentiment.intake",
    "ScoreOnArrival": "clarion.services.sentiment.intake",
    "SentimentRun": "clarion.services.sentiment.service",
    "SentimentService": "clarion.services.sentiment.service",
    "StreamScoring": "clarion.services.sentiment.stream",
    "default_rules": "clarion.services.sentiment.service",
    "load_rules": "clarion.services.sentiment.service",
}

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_POSTS_PER_REQUEST",
    "PostIntakeService",
    "PostStreamService",
    "PostSubmission",
    "ScoreOnArrival",
    "SentimentRun",
    "SentimentService",
    "StreamScoring",
    "default_rules",
    "load_rules",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
