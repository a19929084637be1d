"""The local SentimentAnalyzer: VADER, a lexicon-and-rules analyser tuned for social
media text (the ``vaderSentiment`` package; its lexicon ships with it, no network).

VADER gives proportions of positive, negative and neutral text and a ``compound`` score
in [-1, 1]. They are mapped to Comprehend's vocabulary so that rules written for one
backend mean the same on the other:

* MIXED when both the positive and the negative proportions are at least
  ``MIXED_SHARE`` and the compound is weaker than ``MIXED_MAX_COMPOUND`` (strong words
  on both sides that cancel out);
* else POSITIVE when compound ≥ 0.05, NEGATIVE when compound ≤ -0.05 (VADER's own
  thresholds), NEUTRAL otherwise.

Scores sum to 1 and the label's score is the highest: a polar label scores
``0.5 + |compound| / 2`` (so compound -0.8 gives NEGATIVE 0.9), the rest is NEUTRAL; a
NEUTRAL text scores ``1 - 10·|compound|`` neutral; MIXED scores
``0.5 + min(pos, neg)`` mixed and splits the rest between positive and negative.

VADER reads English only. Language: the post's own when given, else a guess from
function words (English, Spanish, French, German, Italian, Portuguese; a text with no
clue that is plain ASCII is taken as English, anything else is ``und``). A text not in
English comes back NEUTRAL with a note, as Comprehend does for a language it lacks.

Product mentions: the text's hashtags and ``$cashtags``, and any of the configured
product names found in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from clarion.domain.sentiment.posts import UNDETERMINED_LANGUAGE, hashtags_in
from clarion.domain.sentiment.scores import (
    PostText,
    Sentiment,
    SentimentResult,
    SentimentScore,
    unscored,
)

POLAR_THRESHOLD = 0.05
MIXED_SHARE = 0.2
MIXED_MAX_COMPOUND = 0.5

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9]{0,11})\b")
_FUNCTION_WORDS = {
    language: frozenset(words.split())
    for language, words in {
        "en": "the a an and is are was were it this that i you my your to of in on for with "
        "not but have has do does don't can't it's i'm me we they be at so",
        "es": "el la los las y es son muy pero que de en por para con no mi un una",
        "fr": "le la les et est sont très mais que de du des en pour avec ne pas je",
        "de": "der die das und ist sind sehr aber nicht ich ein eine mit für zu auf",
        "it": "il lo la gli le e è sono molto ma che di per con non un una mi",
        "pt": "o a os as e é são muito mas que de em por para com não um uma meu",
    }.items()
}


def guess_language(text: str) -> str:
    """A two-letter language code for ``text``, or ``und`` (see the module docstring)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return UNDETERMINED_LANGUAGE
    votes = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(votes.values())
    if best > 0:
        leaders = [lang for lang, count in votes.items() if count == best]
        if len(leaders) == 1:
            return leaders[0]
        if "en" in leaders:
            return "en"
    letters = "".join(words)
    return "en" if letters.isascii() else UNDETERMINED_LANGUAGE


def score_from_vader(scores: dict[str, float]) -> tuple[Sentiment, SentimentScore]:
    """Comprehend's label and SentimentScore from VADER's ``polarity_scores``."""
    compound = float(scores["compound"])
    pos, neg = float(scores["pos"]), float(scores["neg"])
    strength = abs(compound)
    if min(pos, neg) >= MIXED_SHARE and strength < MIXED_MAX_COMPOUND:
        mixed = min(1.0, 0.5 + min(pos, neg))
        rest = 1.0 - mixed
        share = pos / (pos + neg)
        return Sentiment.MIXED, SentimentScore(rest * share, rest * (1 - share), 0.0, mixed)
    if strength >= POLAR_THRESHOLD:
        polar = 0.5 + strength / 2
        if compound > 0:
            return Sentiment.POSITIVE, SentimentScore(polar, 0.0, 1.0 - polar, 0.0)
        return Sentiment.NEGATIVE, SentimentScore(0.0, polar, 1.0 - polar, 0.0)
    lean = strength * 10  # below 0.5: neutral stays the highest score
    if compound >= 0:
        return Sentiment.NEUTRAL, SentimentScore(lean, 0.0, 1.0 - lean, 0.0)
    return Sentiment.NEUTRAL, SentimentScore(0.0, lean, 1.0 - lean, 0.0)


class VaderSentimentAnalyzer:
    """SentimentAnalyzer on VADER (English only).

    Parameters
    ----------
    products
        Product or brand names to report as mentions when a text contains them
        (case-insensitive, whole words).
    """

    SUPPORTED_LANGUAGES = frozenset({"en"})

    def __init__(self, products: Iterable[str] = ()) -> None:
        self._vader = SentimentIntensityAnalyzer()
        names = sorted({p.strip() for p in products if p.strip()}, key=len, reverse=True)
        self._products = (
            re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
            if names
            else None
        )

    def analyze(self, texts: Sequence[PostText]) -> list[SentimentResult]:
        return [self._one(item) for item in texts]

    def _one(self, item: PostText) -> SentimentResult:
        language = item.language or guess_language(item.text)
        if language.split("-")[0] not in self.SUPPORTED_LANGUAGES:
            return unscored(language, f"language {language!r} is not supported locally")
        sentiment, score = score_from_vader(self._vader.polarity_scores(item.text))
        return SentimentResult(sentiment, score, language, self._mentions(item.text))

    def _mentions(self, text: str) -> tuple[str, ...]:
        found = [*hashtags_in(text), *_CASHTAG.findall(text)]
        if self._products is not None:
            found += [m.group(1) for m in self._products.finditer(text)]
        seen: dict[str, str] = {}
        for mention in found:
            seen.setdefault(mention.lower(), mention)
        return tuple(seen.values())
