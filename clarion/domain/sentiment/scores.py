"""Sentiment labels and scores, as Comprehend gives them and the local analyser
imitates them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# -- sentiment ---------------------------------------------------------------------------


class Sentiment(StrEnum):
    """Comprehend's sentiment labels."""

    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"
    MIXED = "MIXED"


@dataclass(frozen=True, slots=True)
class PostText:
    """What an analyser scores: the text and its language when known."""

    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SentimentScore:
    """Comprehend's SentimentScore: one probability per label, summing to about 1."""

    positive: float = 0.0
    negative: float = 0.0
    neutral: float = 1.0
    mixed: float = 0.0

    def of(self, sentiment: Sentiment) -> float:
        return float(getattr(self, sentiment.value.lower()))

    def to_json(self) -> dict[str, float]:
        return {
            "Positive": round(self.positive, 4),
            "Negative": round(self.negative, 4),
            "Neutral": round(self.neutral, 4),
            "Mixed": round(self.mixed, 4),
        }

    @classmethod
    def from_comprehend(cls, data: Mapping[str, Any]) -> SentimentScore:
        return cls(
            positive=float(data.get("Positive", 0.0)),
            negative=float(data.get("Negative", 0.0)),
            neutral=float(data.get("Neutral", 0.0)),
            mixed=float(data.get("Mixed", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """The sentiment of one text.

    ``language`` is the one used (given, or detected; ``und`` when unknown);
    ``mentions`` are product or brand mentions found in the text; ``note`` says why a
    text was not really scored (an unsupported language: NEUTRAL with a note).
    """

    sentiment: Sentiment
    score: SentimentScore
    language: str
    mentions: tuple[str, ...] = ()
    note: str | None = None

    @property
    def confidence(self) -> float:
        """The score of the label given."""
        return self.score.of(self.sentiment)

    @property
    def signed_score(self) -> float:
        """Positive minus negative, in [-1, 1]: one number for segments and trends."""
        return round(self.score.positive - self.score.negative, 4)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Sentiment": self.sentiment.value,
            "SentimentScore": self.score.to_json(),
            "LanguageCode": self.language,
            "Mentions": list(self.mentions),
        }
        if self.note:
            data["Note"] = self.note
        return data


def unscored(language: str, note: str) -> SentimentResult:
    """The result for a text an analyser cannot score: NEUTRAL, with the reason."""
    return SentimentResult(Sentiment.NEUTRAL, SentimentScore(), language, (), note)
