"""The SentimentAnalyzer contract, on both backends: VADER locally, Comprehend on AWS.

moto's Comprehend lacks the batch calls, so the AWS backend runs on a real boto3 client
whose calls are answered by :class:`FakeComprehend`, a botocore event hook. botocore
validates every request against the real service model before the hook sees it (batch
sizes, LanguageCode enum, text lengths). The fake answers like Comprehend does: labels
from a small word list, scores summing to 1, ``Index`` on every batch result, entities,
and an ``ErrorList`` entry for texts marked ``[[fail]]``, which succeed when retried
alone with DetectSentiment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from clarion.domain.social import COMPREHEND_BATCH_SIZE, PostText, Sentiment
from clarion.ports import SentimentAnalyzer

NEGATIVE_WORDS = ("worst", "awful", "terrible", "broken", "hate", "useless", "furious")
POSITIVE_WORDS = ("love", "amazing", "great", "best", "wonderful", "fantastic")
PRODUCTS = ("Acme Rocket", "Acme")


class FakeComprehend:
    """Answers comprehend calls of one boto3 client (see the module docstring)."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self._params: dict[str, Any] = {}
        self._failed_once: set[str] = set()
        events = client.meta.events
        events.register("before-parameter-build.comprehend.*", self._remember)
        events.register("before-call.comprehend.*", self._answer)

    def _remember(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        # botocore checked types, required members and lengths; the fake adds what the
        # service checks beyond them: the LanguageCode enum, 25 documents and 5,000
        # bytes a document.
        members = model.input_shape.members
        if "LanguageCode" in members and "LanguageCode" in params:
            allowed = members["LanguageCode"].enum
            if params["LanguageCode"] not in allowed:
                raise ValueError(f"LanguageCode {params['LanguageCode']!r} not in {allowed}")
        texts = params.get("TextList", [params.get("Text", "")])
        if len(texts) > 25:
            raise ValueError(f"{len(texts)} documents; BatchSizeLimitExceededException")
        if any(len(t.encode("utf-8")) > 5000 for t in texts):
            raise ValueError("a document is over 5,000 bytes; TextSizeLimitExceededException")
        self._params = dict(params)

    def _answer(self, model: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        name = model.name
        self.calls[name] += 1
        params = self._params
        meta = {"ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "fake"}}
        http = type("Http", (), {"status_code": 200, "headers": {}})()
        if name == "BatchDetectDominantLanguage":
            results = [
                {"Index": i, "Languages": [{"LanguageCode": _language(t), "Score": 0.98}]}
                for i, t in enumerate(params["TextList"])
            ]
            return http, {"ResultList": results, "ErrorList": [], **meta}
        if name == "BatchDetectSentiment":
            results, errors = [], []
            for i, text in enumerate(params["TextList"]):
                if "[[fail]]" in text:
                    errors.append(
                        {"Index": i, "ErrorCode": "InternalServerException", "ErrorMessage": "x"}
                    )
                else:
                    results.append({"Index": i, **_sentiment(text)})
            return http, {"ResultList": results, "ErrorList": errors, **meta}
        if name == "DetectSentiment":
            return http, {**_sentiment(params["Text"]), **meta}
        if name == "BatchDetectEntities":
            results = [
                {"Index": i, "Entities": _entities(t)} for i, t in enumerate(params["TextList"])
            ]
            return http, {"ResultList": results, "ErrorList": [], **meta}
        raise AssertionError(f"unexpected Comprehend call {name}")


def _language(text: str) -> str:
    lowered = text.lower()
    if "habari" in lowered:
        return "sw"
    if " muy " in f" {lowered} " or " es " in f" {lowered} ":
        return "es"
    return "en"


def _sentiment(text: str) -> dict[str, Any]:
    lowered = text.lower()
    negative = any(w in lowered for w in NEGATIVE_WORDS)
    positive = any(w in lowered for w in POSITIVE_WORDS)
    if negative and positive:
        label, scores = "MIXED", (0.2, 0.2, 0.05, 0.55)
    elif negative:
        label, scores = "NEGATIVE", (0.01, 0.95, 0.03, 0.01)
    elif positive:
        label, scores = "POSITIVE", (0.93, 0.01, 0.05, 0.01)
    else:
        label, scores = "NEUTRAL", (0.04, 0.03, 0.92, 0.01)
    keys = ("Positive", "Negative", "Neutral", "Mixed")
    return {"Sentiment": label, "SentimentScore": dict(zip(keys, scores, strict=True))}


def _entities(text: str) -> list[dict[str, Any]]:
    for product in PRODUCTS:
        start = text.find(product)
        if start >= 0:
            return [
                {
                    "Score": 0.9,
                    "Type": "COMMERCIAL_ITEM",
                    "Text": product,
                    "BeginOffset": start,
                    "EndOffset": start + len(product),
                }
            ]
    return []


def comprehend_client() -> tuple[Any, FakeComprehend]:
    """A real boto3 comprehend client answered by FakeComprehend (no network)."""
    client = boto3.client(
        "comprehend",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, FakeComprehend(client)


@pytest.fixture(params=["local", "aws"])
def analyzer(request: pytest.FixtureRequest) -> Iterator[SentimentAnalyzer]:
    if request.param == "local":
        from clarion.adapters.local.sentiment import VaderSentimentAnalyzer

        yield VaderSentimentAnalyzer(products=PRODUCTS)
    else:
        from clarion.adapters.aws.sentiment import ComprehendSentimentAnalyzer

        client, _ = comprehend_client()
        yield ComprehendSentimentAnalyzer(client, sleep=lambda _: None)


NEGATIVE = "This is the worst service ever, my order arrived broken. Awful!"
POSITIVE = "I love my new Acme Rocket, it is amazing! #AcmeRocket"
NEUTRAL = "The parcel was delivered on Tuesday afternoon."


def test_labels_clear_cases(analyzer: SentimentAnalyzer) -> None:
    results = analyzer.analyze(
        [PostText(NEGATIVE, "en"), PostText(POSITIVE, "en"), PostText(NEUTRAL, "en")]
    )
    assert [r.sentiment for r in results] == [
        Sentiment.NEGATIVE,
        Sentiment.POSITIVE,
        Sentiment.NEUTRAL,
    ]
    assert results[0].confidence >= 0.8 and results[1].confidence >= 0.8


def test_scores_are_probabilities_and_the_label_is_the_highest(
    analyzer: SentimentAnalyzer,
) -> None:
    for result in analyzer.analyze([PostText(t, "en") for t in (NEGATIVE, POSITIVE, NEUTRAL)]):
        values = list(result.score.to_json().values())
        assert all(0.0 <= v <= 1.0 for v in values)
        assert sum(values) == pytest.approx(1.0, abs=0.02)
        assert result.confidence == max(values) or result.confidence == pytest.approx(
            max(values), abs=1e-3
        )


def test_order_is_kept_across_batches(analyzer: SentimentAnalyzer) -> None:
    texts = [NEGATIVE, POSITIVE, NEUTRAL] * 20  # 60 texts: more than two batches of 25
    assert len(texts) > 2 * COMPREHEND_BATCH_SIZE
    results = analyzer.analyze([PostText(t, "en") for t in texts])
    expected = [Sentiment.NEGATIVE, Sentiment.POSITIVE, Sentiment.NEUTRAL] * 20
    assert [r.sentiment for r in results] == expected


def test_language_given_or_detected(analyzer: SentimentAnalyzer) -> None:
    given, detected = analyzer.analyze([PostText(NEGATIVE, "en"), PostText(POSITIVE)])
    assert given.language == "en"
    assert detected.language == "en"
    assert detected.sentiment == Sentiment.POSITIVE


def test_unsupported_language_is_neutral_with_a_note(analyzer: SentimentAnalyzer) -> None:
    [result, after] = analyzer.analyze([PostText("Habari yako rafiki", "sw"), PostText(NEGATIVE)])
    assert result.sentiment == Sentiment.NEUTRAL
    assert result.language == "sw"
    assert result.note and "not supported" in result.note
    assert after.sentiment == Sentiment.NEGATIVE  # the rest of the batch is unaffected


def test_mentions_come_from_the_text(analyzer: SentimentAnalyzer) -> None:
    [result] = analyzer.analyze([PostText(POSITIVE, "en")])
    assert "AcmeRocket" in result.mentions
    assert any(m.lower().startswith("acme") and m != "AcmeRocket" for m in result.mentions)
    for mention in result.mentions:
        assert mention.lower() in POSITIVE.lower()


def test_nothing_in_nothing_out(analyzer: SentimentAnalyzer) -> None:
    assert analyzer.analyze([]) == []


# -- Comprehend only -------------------------------------------------------------------


def test_error_list_documents_are_retried_alone() -> None:
    from clarion.adapters.aws.sentiment import ComprehendSentimentAnalyzer

    client, fake = comprehend_client()
    analyzer = ComprehendSentimentAnalyzer(client, sleep=lambda _: None)
    results = analyzer.analyze(
        [PostText(NEGATIVE, "en"), PostText(POSITIVE + " [[fail]]", "en"), PostText(NEUTRAL, "en")]
    )
    assert [r.sentiment for r in results] == [
        Sentiment.NEGATIVE,
        Sentiment.POSITIVE,
        Sentiment.NEUTRAL,
    ]
    assert fake.calls["DetectSentiment"] == 1
    assert analyzer.calls["DetectSentiment"] == 1


def test_calls_per_thousand_posts() -> None:
    from clarion.adapters.aws.sentiment import ComprehendSentimentAnalyzer

    client, fake = comprehend_client()
    analyzer = ComprehendSentimentAnalyzer(client, sleep=lambda _: None)
    with_language = [PostText(NEGATIVE, "en")] * 500
    without = [PostText(POSITIVE)] * 500
    analyzer.analyze(with_language + without)
    assert fake.calls == Counter(
        {"BatchDetectSentiment": 40, "BatchDetectEntities": 40, "BatchDetectDominantLanguage": 20}
    )
    assert analyzer.calls == fake.calls
    sentiment_only = ComprehendSentimentAnalyzer(client, detect_entities=False)
    sentiment_only.analyze([PostText(NEUTRAL, "en")] * 1000)
    assert sentiment_only.calls == Counter({"BatchDetectSentiment": 40})


def test_requests_are_checked_as_the_service_checks_them() -> None:
    from botocore.exceptions import ParamValidationError

    client, _ = comprehend_client()
    with pytest.raises(ParamValidationError):
        client.batch_detect_sentiment(TextList=[], LanguageCode="en")  # botocore: min 1
    with pytest.raises(ValueError, match="LanguageCode"):
        client.batch_detect_sentiment(TextList=[NEGATIVE], LanguageCode="sw")
    with pytest.raises(ValueError, match="26 documents"):
        client.batch_detect_sentiment(TextList=[NEGATIVE] * 26, LanguageCode="en")
    response = client.batch_detect_sentiment(TextList=[NEGATIVE], LanguageCode="en")
    assert response["ResultList"][0]["Sentiment"] == "NEGATIVE"
