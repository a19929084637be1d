"""Sentiment use cases: score posts, match authors, apply trigger rules, report; take
posts in over HTTP and score the posts stream's batches."""

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
