"""The AWS SentimentAnalyzer: Amazon Comprehend's batch APIs.

For one ``analyze`` call:

1. posts without a language: ``BatchDetectDominantLanguage``, 25 texts a call; the
   highest-scoring language is used (``und`` when Comprehend answers none);
2. texts are grouped by language; a language ``BatchDetectSentiment`` does not support
   comes back NEUTRAL with a note (never sent, never dropped);
3. each group: ``BatchDetectSentiment``, 25 texts a call; every document in the
   ``ErrorList`` is retried alone with ``DetectSentiment`` (up to ``retries`` times with
   backoff); one that still fails is NEUTRAL with the error as its note;
4. product mentions (when ``detect_entities``): ``BatchDetectEntities`` on the same
   groups; entities of type COMMERCIAL_ITEM, ORGANIZATION and TITLE, plus the text's
   hashtags. A document in its ErrorList just has the hashtags.

So 1,000 posts with their language given cost 40 sentiment calls (the batch minimum)
plus 40 entity calls; without languages, 40 more. ``calls`` counts them by operation.

IAM: ``comprehend:BatchDetectDominantLanguage``, ``comprehend:BatchDetectSentiment``,
``comprehend:DetectSentiment`` and ``comprehend:BatchDetectEntities`` (resource ``*``:
these actions take no resource ARN).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from clarion.adapters.aws.common.retry import backoff_delay
from clarion.domain.sentiment.posts import COMPREHEND_BATCH_SIZE, UNDETERMINED_LANGUAGE, hashtags_in
from clarion.domain.sentiment.scores import (
    PostText,
    Sentiment,
    SentimentResult,
    SentimentScore,
    unscored,
)

# Languages of BatchDetectSentiment and BatchDetectEntities (the botocore model's
# LanguageCode enum minus those the real-time sentiment API refuses).
SENTIMENT_LANGUAGES = frozenset(
    {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
)
ENTITY_LANGUAGES = SENTIMENT_LANGUAGES
MENTION_TYPES = frozenset({"COMMERCIAL_ITEM", "ORGANIZATION", "TITLE"})
RETRYABLE = frozenset(
    {"ThrottlingException", "InternalServerException", "TooManyRequestsException"}
)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def comprehend_language(code: str) -> str:
    """Comprehend's spelling of a language code: ``zh-TW`` stays, ``en-US`` → ``en``."""
    if code.lower() == "zh-tw":
        return "zh-TW"
    return code.split("-")[0].lower()


class ComprehendSentimentAnalyzer:
    """SentimentAnalyzer on Amazon Comprehend (see the module docstring).

    Parameters
    ----------
    client
        A boto3 ``comprehend`` client.
    detect_entities
        Also find product mentions with BatchDetectEntities.
    retries
        DetectSentiment attempts for each document in a batch's ErrorList.
    """

    def __init__(
        self,
        client: Any,
        *,
        detect_entities: bool = True,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._entities = detect_entities
        self._retries = retries
        self._sleep = sleep
        self.calls: Counter[str] = Counter()

    def analyze(self, texts: Sequence[PostText]) -> list[SentimentResult]:
        languages = self._languages(texts)
        results: list[SentimentResult | None] = [None] * len(texts)
        groups: dict[str, list[int]] = {}
        for index, language in enumerate(languages):
            if language in SENTIMENT_LANGUAGES:
                groups.setdefault(language, []).append(index)
            else:
                reason = f"language {language!r} is not supported by Comprehend sentiment"
                results[index] = unscored(language, reason)
        for language, indexes in groups.items():
            for chunk in _chunks(indexes, COMPREHEND_BATCH_SIZE):
                batch = [texts[i].text for i in chunk]
                scored = self._sentiment(batch, language)
                mentions = self._mentions(batch, language)
                for position, index in enumerate(chunk):
                    sentiment, score, note = scored[position]
                    found = mentions[position]
                    results[index] = SentimentResult(sentiment, score, language, found, note)
        return [r for r in results if r is not None]

    # -- calls ---------------------------------------------------------------------------

    def _languages(self, texts: Sequence[PostText]) -> list[str]:
        languages = [comprehend_language(t.language) if t.language else "" for t in texts]
        missing = [i for i, language in enumerate(languages) if not language]
        for chunk in _chunks(missing, COMPREHEND_BATCH_SIZE):
            self.calls["BatchDetectDominantLanguage"] += 1
            response = self._client.batch_detect_dominant_language(
                TextList=[texts[i].text for i in chunk]
            )
            for item in response.get("ResultList", []):
                found = sorted(item.get("Languages", []), key=lambda x: -x.get("Score", 0))
                code = found[0]["LanguageCode"] if found else UNDETERMINED_LANGUAGE
                languages[chunk[item["Index"]]] = comprehend_language(code)
            for index, language in enumerate(languages):
                if not language:
                    languages[index] = UNDETERMINED_LANGUAGE
        return languages

    def _sentiment(
        self, batch: list[str], language: str
    ) -> list[tuple[Sentiment, SentimentScore, str | None]]:
        self.calls["BatchDetectSentiment"] += 1
        response = self._client.batch_detect_sentiment(TextList=batch, LanguageCode=language)
        out: list[tuple[Sentiment, SentimentScore, str | None] | None] = [None] * len(batch)
        for item in response.get("ResultList", []):
            out[item["Index"]] = _read(item)
        for error in response.get("ErrorList", []):
            index = error["Index"]
            out[index] = self._retry(batch[index], language, error)
        return [
            entry if entry is not None else (Sentiment.NEUTRAL, SentimentScore(), "no result")
            for entry in out
        ]

    def _retry(
        self, text: str, language: str, error: dict[str, Any]
    ) -> tuple[Sentiment, SentimentScore, str | None]:
        reason = f"{error.get('ErrorCode')}: {error.get('ErrorMessage')}"
        for attempt in range(self._retries):
            if attempt:
                self._sleep(backoff_delay(attempt, base=0.1))
            self.calls["DetectSentiment"] += 1
            try:
                response = self._client.detect_sentiment(Text=text, LanguageCode=language)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                reason = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
                if code not in RETRYABLE:
                    break
                continue
            return _read(response)
        return Sentiment.NEUTRAL, SentimentScore(), f"not scored ({reason})"

    def _mentions(self, batch: list[str], language: str) -> list[tuple[str, ...]]:
        found: list[list[str]] = [hashtags_in(text) for text in batch]
        if self._entities and language in ENTITY_LANGUAGES:
            self.calls["BatchDetectEntities"] += 1
            response = self._client.batch_detect_entities(TextList=batch, LanguageCode=language)
            for item in response.get("ResultList", []):
                for entity in item.get("Entities", []):
                    if entity.get("Type") in MENTION_TYPES and entity.get("Text"):
                        found[item["Index"]].append(str(entity["Text"]))
        out = []
        for mentions in found:
            unique: dict[str, str] = {}
            for mention in mentions:
                unique.setdefault(mention.lower(), mention)
            out.append(tuple(unique.values()))
        return out


def _read(item: dict[str, Any]) -> tuple[Sentiment, SentimentScore, str | None]:
    return (
        Sentiment(item["Sentiment"]),
        SentimentScore.from_comprehend(item.get("SentimentScore", {})),
        None,
    )
