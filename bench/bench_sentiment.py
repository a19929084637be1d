"""Social sentiment: posts scored per second locally, and Comprehend calls per 1,000 posts.

1. Local throughput for N generated posts (default 100,000): the baseline is a bare loop
   that only parses and validates them (``json.loads`` + ``parse_post``); beside it, the
   same loop plus VADER scoring (``VaderSentimentAnalyzer``); and the whole service
   (dedupe, scoring, matching, rules, attributes, events, sends) on a fresh embedded
   database for ``--full`` posts (default 5,000), since it writes per post.
2. Comprehend calls per 1,000 posts, counted on a real boto3 client whose calls are
   answered by an event hook (botocore validates each request against the service
   model): beside the minimum the batch API allows (1,000 / 25 = 40 BatchDetectSentiment
   calls), for the designed mixes (languages given or not, entities on or off, 2% of
   documents failing in the ErrorList).

Prints JSON and writes bench/out/sentiment.json. ``python -m bench.bench_sentiment
--count 10000`` for a reduced run.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"

_OPENINGS = ("Honestly", "Well", "Today", "So", "Wow", "Ugh", "Just saying")
_BODIES = (
    "the worst service ever, my order arrived broken and support is useless",
    "I love the new Acme Rocket, the battery is amazing",
    "the parcel was delivered on Tuesday afternoon",
    "not great, the app is slow again",
    "fantastic build quality and a great screen, but the price is terrible",
    "does anyone know when the store opens on Sunday",
)


def post_lines(count: int, *, seed: int = 0) -> list[str]:
    """``count`` posts as JSON lines, from 500 authors; repeatable."""
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        text = f"{rng.choice(_OPENINGS)}, {rng.choice(_BODIES)} #{rng.choice(['acme', 'tech'])}"
        body: dict[str, Any] = {
            "post_id": str(10**15 + index),
            "platform": "twitter",
            "author_handle": f"@author_{rng.randrange(500)}",
            "author_follower_count": rng.choice((12, 300, 4_000, 25_000)),
            "text": text,
            "created_at": 1772440000000 + index * 1000,
        }
        if index % 2 == 0:
            body["language"] = "en"
        lines.append(json.dumps(body))
    return lines


def local_throughput(lines: list[str], full: int) -> dict[str, Any]:
    from clarion.adapters.local.sentiment.sentiment_analyzer import VaderSentimentAnalyzer
    from clarion.domain.sentiment.posts import parse_post
    from clarion.domain.sentiment.scores import PostText

    started = time.perf_counter()
    posts = [parse_post(json.loads(line)) for line in lines]
    parse_s = time.perf_counter() - started

    analyzer = VaderSentimentAnalyzer()
    started = time.perf_counter()
    parsed = [parse_post(json.loads(line)) for line in lines]
    results = analyzer.analyze([PostText(p.text, p.language) for p in parsed])
    score_s = time.perf_counter() - started
    labels = Counter(r.sentiment.value for r in results)

    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import Settings
    from clarion.services.sentiment.service import load_rules

    with tempfile.TemporaryDirectory() as home:
        boot = Bootstrap(Settings(backend="local", home=Path(home)))
        boot.__dict__["sentiment_rules"] = load_rules("rules: []\n")
        service = boot.sentiment_service
        started = time.perf_counter()
        for start in range(0, min(full, len(lines)), 1000):
            service.ingest_lines(lines[start : min(start + 1000, full)])
        full_s = time.perf_counter() - started
        boot.adapters.database.close()
    count = len(posts)
    return {
        "posts": count,
        "baseline_parse_only_posts_per_s": round(count / parse_s),
        "parse_and_vader_posts_per_s": round(count / score_s),
        "vader_cost_vs_parse": round(score_s / parse_s, 1),
        "labels": dict(labels),
        "full_service_posts": min(full, count),
        "full_service_posts_per_s": round(min(full, count) / full_s) if full_s else None,
    }


class _CountingComprehend:
    """Answers comprehend calls of a boto3 client and counts them by operation."""

    def __init__(self, client: Any, fail_share: float) -> None:
        self.calls: Counter[str] = Counter()
        self._params: dict[str, Any] = {}
        self._fail_share = fail_share
        self._documents = 0
        client.meta.events.register("before-parameter-build.comprehend.*", self._keep)
        client.meta.events.register("before-call.comprehend.*", self._answer)

    def _keep(self, params: dict[str, Any], **_: Any) -> None:
        self._params = dict(params)

    def _answer(self, model: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        self.calls[model.name] += 1
        http = type("Http", (), {"status_code": 200, "headers": {}})()
        score = {"Positive": 0.1, "Negative": 0.7, "Neutral": 0.15, "Mixed": 0.05}
        texts = self._params.get("TextList", [])
        if model.name == "BatchDetectDominantLanguage":
            langs = [{"LanguageCode": "en", "Score": 0.99}]
            return http, {
                "ResultList": [{"Index": i, "Languages": langs} for i in range(len(texts))]
            }
        if model.name == "BatchDetectSentiment":
            every = round(1 / self._fail_share) if self._fail_share else 0
            first, self._documents = self._documents, self._documents + len(texts)
            failed = {i for i in range(len(texts)) if every and (first + i + 1) % every == 0}
            ok = [
                {"Index": i, "Sentiment": "NEGATIVE", "SentimentScore": score}
                for i in range(len(texts))
                if i not in failed
            ]
            errors = [{"Index": i, "ErrorCode": "InternalServerException"} for i in failed]
            return http, {"ResultList": ok, "ErrorList": errors}
        if model.name == "DetectSentiment":
            return http, {"Sentiment": "NEGATIVE", "SentimentScore": score}
        if model.name == "BatchDetectEntities":
            return http, {"ResultList": [{"Index": i, "Entities": []} for i in range(len(texts))]}
        raise AssertionError(model.name)


def comprehend_calls(per: int = 1000) -> dict[str, Any]:
    import boto3

    from clarion.adapters.aws.sentiment.sentiment_analyzer import ComprehendSentimentAnalyzer
    from clarion.domain.sentiment.posts import COMPREHEND_BATCH_SIZE
    from clarion.domain.sentiment.scores import PostText

    scenarios = {
        "language given, entities on": (1.0, True, 0.0),
        "half without language, entities on": (0.5, True, 0.0),
        "language given, sentiment only": (1.0, False, 0.0),
        "language given, sentiment only, 2% in ErrorList": (1.0, False, 0.02),
    }
    out: dict[str, Any] = {"posts": per, "minimum_batch_calls": -(-per // COMPREHEND_BATCH_SIZE)}
    for name, (given, entities, fail) in scenarios.items():
        client = boto3.client(
            "comprehend",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        counter = _CountingComprehend(client, fail)
        analyzer = ComprehendSentimentAnalyzer(
            client, detect_entities=entities, sleep=lambda _: None
        )
        texts = [
            PostText(f"post {i}: the service was awful", "en" if i < per * given else None)
            for i in range(per)
        ]
        analyzer.analyze(texts)
        out[name] = {"total": sum(counter.calls.values()), **dict(sorted(counter.calls.items()))}
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="posts for local scoring")
    parser.add_argument("--full", type=int, default=5_000, help="posts through the service")
    args = parser.parse_args(argv)
    lines = post_lines(args.count)
    result = {"local": local_throughput(lines, args.full), "comprehend": comprehend_calls()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sentiment.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
