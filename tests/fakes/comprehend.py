"""A Comprehend stand-in: a real boto3 ``comprehend`` client whose calls are answered by
:class:`FakeComprehend`, a botocore event hook.

moto's Comprehend lacks the batch calls. botocore validates every request against the
real service model before the hook sees it (batch sizes, LanguageCode enum, text
lengths). The fake answers like Comprehend does: labels from a small word list, scores
summing to 1, ``Index`` on every batch result, entities, and an ``ErrorList`` entry for
texts marked ``[[fail]]``, which succeed when retried alone with DetectSentiment.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3

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
