"""Local sentiment adapters: VADER as the SentimentAnalyzer, and DuckDB post dedupe,
authors and handle lookup."""

from clarion.adapters.local.sentiment.sentiment_analyzer import VaderSentimentAnalyzer
from clarion.adapters.local.sentiment.social_store import (
    DuckDBHandleLookup,
    DuckDBPostDedupeStore,
    DuckDBSocialAuthorStore,
)

__all__ = [
    "DuckDBHandleLookup",
    "DuckDBPostDedupeStore",
    "DuckDBSocialAuthorStore",
    "VaderSentimentAnalyzer",
]
