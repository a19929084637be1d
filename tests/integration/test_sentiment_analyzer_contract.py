"""The SentimentAnalyzer contract, on both backends: VADER locally, Comprehend on AWS.

moto's Comprehend lacks the batch calls, so the AWS backend runs on a real boto3 client
whose calls are answered by :class:`fakes.comprehend.FakeComprehend`, a botocore event
hook that answers like Comprehend does (see its module), including an ``ErrorList``
entry for texts marked ``[[fail]]``, which succeed when retried alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from fakes.comprehend import PRODUCTS, comprehend_client

from clarion.domain.sentiment.posts import COMPREHEND_BATCH_SIZE
from clarion.domain.sentiment.scores import PostText, Sentiment
from clarion.ports.sentiment import SentimentAnalyzer


@pytest.fixture(params=["local", "aws"])
def analyzer(request: pytest.FixtureRequest) -> Iterator[SentimentAnalyzer]:
    if request.param == "local":
        from clarion.adapters.local.sentiment.sentiment_analyzer import VaderSentimentAnalyzer

        yield VaderSentimentAnalyzer(products=PRODUCTS)
    else:
        from clarion.adapters.aws.sentiment.sentiment_analyzer import ComprehendSentimentAnalyzer

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
    from clarion.adapters.aws.sentiment.sentiment_analyzer import ComprehendSentimentAnalyzer

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
    from clarion.adapters.aws.sentiment.sentiment_analyzer import ComprehendSentimentAnalyzer

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
