"""Social sentiment, the pure rules: the post shape and validation, sentiment results,
the attributes the triggers write, the trigger rules and their evaluation, and the
per-author limit.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.sentiment.attributes import (
        ATTR_CHURN_FLAG,
        ATTR_FOLLOW_UP,
        ATTR_INFLUENCER,
        ATTR_PLATFORM,
        ATTR_SENTIMENT,
        CHURN_FLAG_VALUE,
        METRIC_FOLLOWERS,
        METRIC_NEGATIVES,
        METRIC_SCORE,
        SOCIAL_CAMPAIGN_PREFIX,
        SOCIAL_FOLLOW_UP_EVENT,
        SOCIAL_POST_EVENT,
    )
    from clarion.domain.sentiment.authors import (
        AUTHOR_LIMIT_CAMPAIGN,
        AuthorActivity,
        Prospect,
        limit_key,
        within_author_limit,
    )
    from clarion.domain.sentiment.posts import (
        COMPREHEND_BATCH_SIZE,
        MAX_POST_BYTES,
        MAX_TEXT_BYTES,
        UNDETERMINED_LANGUAGE,
        SocialPost,
        dedupe_key,
        hashtags_in,
        normalise_handle,
        parse_post,
        parse_post_lines,
    )
    from clarion.domain.sentiment.rules import (
        AuthorLimit,
        MessageAction,
        PostFacts,
        Rule,
        RuleSet,
        evaluate,
        is_influencer,
        parse_rules,
    )
    from clarion.domain.sentiment.scores import (
        PostText,
        Sentiment,
        SentimentResult,
        SentimentScore,
        unscored,
    )

_HOMES: dict[str, str] = {
    "ATTR_CHURN_FLAG": "clarion.domain.sentiment.attributes",
    "ATTR_FOLLOW_UP": "clarion.domain.sentiment.attributes",
    "ATTR_INFLUENCER": "clarion.domain.sentiment.attributes",
    "ATTR_PLATFORM": "clarion.domain.sentiment.attributes",
    "ATTR_SENTIMENT": "clarion.domain.sentiment.attributes",
    "AUTHOR_LIMIT_CAMPAIGN": "clarion.domain.sentiment.authors",
    "AuthorActivity": "clarion.domain.sentiment.authors",
    "AuthorLimit": "clarion.domain.sentiment.rules",
    "CHURN_FLAG_VALUE": "clarion.domain.sentiment.attributes",
    "COMPREHEND_BATCH_SIZE": "clarion.domain.sentiment.posts",
    "MAX_POST_BYTES": "clarion.domain.sentiment.posts",
    "MAX_TEXT_BYTES": "clarion.domain.sentiment.posts",
    "METRIC_FOLLOWERS": "clarion.domain.sentiment.attributes",
    "METRIC_NEGATIVES": "clarion.domain.sentiment.attributes",
    "METRIC_SCORE": "clarion.domain.sentiment.attributes",
    "MessageAction": "clarion.domain.sentiment.rules",
    "PostFacts": "clarion.domain.sentiment.rules",
    "PostText": "clarion.domain.sentiment.scores",
    "Prospect": "clarion.domain.sentiment.authors",
    "Rule": "clarion.domain.sentiment.rules",
    "RuleSet": "clarion.domain.sentiment.rules",
    "SOCIAL_CAMPAIGN_PREFIX": "clarion.domain.sentiment.attributes",
    "SOCIAL_FOLLOW_UP_EVENT": "clarion.domain.sentiment.attributes",
    "SOCIAL_POST_EVENT": "clarion.domain.sentiment.attributes",
    "Sentiment": "clarion.domain.sentiment.scores",
    "SentimentResult": "clarion.domain.sentiment.scores",
    "SentimentScore": "clarion.domain.sentiment.scores",
    "SocialPost": "clarion.domain.sentiment.posts",
    "UNDETERMINED_LANGUAGE": "clarion.domain.sentiment.posts",
    "dedupe_key": "clarion.domain.sentiment.posts",
    "evaluate": "clarion.domain.sentiment.rules",
    "hashtags_in": "clarion.domain.sentiment.posts",
    "is_influencer": "clarion.domain.sentiment.rules",
    "limit_key": "clarion.domain.sentiment.authors",
    "normalise_handle": "clarion.domain.sentiment.posts",
    "parse_post": "clarion.domain.sentiment.posts",
    "parse_post_lines": "clarion.domain.sentiment.posts",
    "parse_rules": "clarion.domain.sentiment.rules",
    "unscored": "clarion.domain.sentiment.scores",
    "within_author_limit": "clarion.domain.sentiment.authors",
}

__all__ = [
    "ATTR_CHURN_FLAG",
    "ATTR_FOLLOW_UP",
    "ATTR_INFLUENCER",
    "ATTR_PLATFORM",
    "ATTR_SENTIMENT",
    "AUTHOR_LIMIT_CAMPAIGN",
    "CHURN_FLAG_VALUE",
    "COMPREHEND_BATCH_SIZE",
    "MAX_POST_BYTES",
    "MAX_TEXT_BYTES",
    "METRIC_FOLLOWERS",
    "METRIC_NEGATIVES",
    "METRIC_SCORE",
    "SOCIAL_CAMPAIGN_PREFIX",
    "SOCIAL_FOLLOW_UP_EVENT",
    "SOCIAL_POST_EVENT",
    "UNDETERMINED_LANGUAGE",
    "AuthorActivity",
    "AuthorLimit",
    "MessageAction",
    "PostFacts",
    "PostText",
    "Prospect",
    "Rule",
    "RuleSet",
    "Sentiment",
    "SentimentResult",
    "SentimentScore",
    "SocialPost",
    "dedupe_key",
    "evaluate",
    "hashtags_in",
    "is_influencer",
    "limit_key",
    "normalise_handle",
    "parse_post",
    "parse_post_lines",
    "parse_rules",
    "unscored",
    "within_author_limit",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
