"""AWS sentiment adapters: Comprehend as the SentimentAnalyzer, DynamoDB post dedupe,
authors and handle lookup, and the posts Kinesis stream."""

from clarion.adapters.aws.sentiment.post_queue import KinesisPostQueue
from clarion.adapters.aws.sentiment.sentiment_analyzer import ComprehendSentimentAnalyzer
from clarion.adapters.aws.sentiment.social_store import (
    SOCIAL_HANDLE_FIELD,
    SOCIAL_HANDLE_INDEX,
    DynamoDBHandleLookup,
    DynamoDBPostDedupeStore,
    DynamoDBSocialAuthorStore,
    social_handle_index_spec,
    social_handle_value,
    social_table_spec,
)

__all__ = [
    "SOCIAL_HANDLE_FIELD",
    "SOCIAL_HANDLE_INDEX",
    "ComprehendSentimentAnalyzer",
    "DynamoDBHandleLookup",
    "DynamoDBPostDedupeStore",
    "DynamoDBSocialAuthorStore",
    "KinesisPostQueue",
    "social_handle_index_spec",
    "social_handle_value",
    "social_table_spec",
]
