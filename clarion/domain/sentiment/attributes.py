"""The endpoint attributes, metrics and event types the sentiment triggers write."""

from __future__ import annotations

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
