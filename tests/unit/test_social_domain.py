"""Social posts, rules and limits: the pure part (clarion.domain.sentiment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.sentiment.authors import limit_key, within_author_limit
from clarion.domain.sentiment.posts import (
    MAX_TEXT_BYTES,
    dedupe_key,
    parse_post,
    parse_post_lines,
)
from clarion.domain.sentiment.rules import (
    AuthorLimit,
    PostFacts,
    evaluate,
    parse_rules,
)
from clarion.domain.sentiment.scores import Sentiment, SentimentResult, SentimentScore
from clarion.services.sentiment.service import default_rules, load_rules

ROOT = Path(__file__).resolve().parents[2]
DAY_MS = 86_400_000


def raw(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "post_id": "1001",
        "platform": "twitter",
        "author_handle": "@Ana_Q",
        "author_follower_count": 50,
        "text": "hello",
        "created_at": "2026-03-02T17:00:00Z",
    }
    body.update(extra)
    return body


def result(sentiment: Sentiment, confidence: float) -> SentimentResult:
    rest = 1.0 - confidence
    scores = {s: rest / 3 for s in Sentiment}
    scores[sentiment] = confidence
    score = SentimentScore(
        scores[Sentiment.POSITIVE],
        scores[Sentiment.NEGATIVE],
        scores[Sentiment.NEUTRAL],
        scores[Sentiment.MIXED],
    )
    return SentimentResult(sentiment, score, "en")


# -- posts -------------------------------------------------------------------------------


def test_post_is_normalised() -> None:
    post = parse_post(raw(post_id=1001, platform="Twitter", hashtags=["#Launch", "launch"]))
    assert post.post_id == "1001" and post.platform == "twitter"
    assert post.author_handle == "Ana_Q" and post.handle_key == "ana_q"
    assert post.hashtags == ("Launch",)
    assert post.created_at == 1772470800000


def test_hashtags_in_text_are_added() -> None:
    post = parse_post(raw(text="Live now #AcmeLaunch and #acmelaunch #Keynote"))
    assert post.hashtags == ("AcmeLaunch", "Keynote")


def test_dedupe_key_is_platform_and_post_id() -> None:
    a = parse_post(raw(platform="Twitter"))
    b = parse_post(raw(author_handle="someone_else", text="other"))
    c = parse_post(raw(platform="instagram"))
    assert a.key == b.key == dedupe_key("twitter", "1001") == "twitter#1001"
    assert c.key != a.key


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "é" * (MAX_TEXT_BYTES // 2 + 1)}, "text"),  # over 5,000 bytes, not chars
        ({"author_handle": "has space"}, "author_handle"),
        ({"created_at": "2026-03-02T17:00:00"}, "created_at"),  # no zone
        ({"created_at": 1772470800}, "created_at"),  # seconds, not milliseconds
        ({"author_follower_count": -1}, "author_follower_count"),
        ({"language": "english"}, "language"),
        ({"hashtags": ["ok"] * 31}, "hashtags"),
        ({"platform": "Twit ter"}, "platform"),
    ],
)
def test_invalid_posts_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_post(raw(**change))
    assert [p.field for p in caught.value.problems] == [field]


def test_text_limit_counts_utf8_bytes() -> None:
    text = "é" * (MAX_TEXT_BYTES // 2)  # exactly 5,000 bytes, 2,500 characters: accepted
    post = parse_post(raw(text=text))
    assert post.text == text
    assert len(post.text.encode("utf-8")) == MAX_TEXT_BYTES


def test_oversized_post_rejected_as_a_whole() -> None:
    with pytest.raises(InvalidRecordError, match="bytes; the limit"):
        parse_post(raw(extra="x" * 20_000))


def test_lines_parse_and_reject_with_line_numbers() -> None:
    posts, rejects = parse_post_lines([json.dumps(raw()), "", "{oops", json.dumps(raw(text=""))])
    assert [p.key for p in posts] == ["twitter#1001"]
    assert [r.index for r in rejects] == [3, 4]
    assert "not JSON" in str(rejects[0]) and "text" in str(rejects[1])


# -- rules -------------------------------------------------------------------------------

RULES = (ROOT / "demo" / "sentiment_rules.yaml").read_text(encoding="utf-8")

CASES: dict[str, tuple[dict[str, Any], SentimentResult, bool, int]] = {
    # rule name: (post fields, sentiment, is customer, earlier negatives)
    "apology": ({}, result(Sentiment.NEGATIVE, 0.93), True, 0),
    "influencer-outreach": (
        {"author_follower_count": 40_000},
        result(Sentiment.POSITIVE, 0.9),
        False,
        0,
    ),
    "launch-live": ({"hashtags": ["AcmeLaunch"]}, result(Sentiment.NEUTRAL, 0.9), True, 0),
    "churn-risk": ({}, result(Sentiment.NEGATIVE, 0.6), True, 2),
}


def facts(fields: dict[str, Any], res: SentimentResult, customer: bool, before: int) -> PostFacts:
    post = parse_post(raw(**fields))
    times = [post.created_at - (n + 1) * DAY_MS for n in range(before)]
    if res.sentiment == Sentiment.NEGATIVE:
        times.append(post.created_at)
    return PostFacts(post, res, customer, tuple(times))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_fires_on_its_case_only(name: str) -> None:
    rules = load_rules(RULES)
    assert sorted(r.name for r in rules.rules) == sorted(CASES)
    fired = [rule.name for rule in evaluate(rules, facts(*CASES[name]))]
    assert fired == [name]


def test_no_rule_fires_on_an_ordinary_post() -> None:
    rules = load_rules(RULES)
    assert evaluate(rules, facts({}, result(Sentiment.POSITIVE, 0.9), True, 0)) == []
    assert evaluate(rules, facts({}, result(Sentiment.NEUTRAL, 0.95), False, 0)) == []


def test_apology_needs_confidence_and_a_customer() -> None:
    rules = load_rules(RULES)
    low = facts({}, result(Sentiment.NEGATIVE, 0.79), True, 0)
    prospect = facts({}, result(Sentiment.NEGATIVE, 0.95), False, 0)
    assert "apology" not in [r.name for r in evaluate(rules, low)]
    assert "apology" not in [r.name for r in evaluate(rules, prospect)]


def test_launch_rule_respects_its_window() -> None:
    rules = load_rules(RULES)
    late = facts(
        {"hashtags": ["AcmeLaunch"], "created_at": "2026-03-03T00:00:00Z"},
        result(Sentiment.NEUTRAL, 0.9),
        True,
        0,
    )
    assert evaluate(rules, late) == []


def test_repeated_negatives_only_count_inside_the_window() -> None:
    rules = load_rules(RULES)
    post = parse_post(raw())
    old = (post.created_at - 40 * DAY_MS, post.created_at - 35 * DAY_MS, post.created_at)
    stale = PostFacts(post, result(Sentiment.NEGATIVE, 0.6), True, old)
    assert stale.negatives_within(30) == 1
    assert evaluate(rules, stale) == []


def test_default_rules_load_and_include_quiet_time() -> None:
    rules = default_rules()
    assert rules.quiet_time is not None and rules.author_limit.daily == 1
    assert {r.name for r in rules.rules} >= {"apology", "influencer-outreach", "churn-risk"}


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"name": "x", "actions": []}]},
        {"rules": [{"name": "x", "actions": [{"message": {"template": "t"}, "churn_flag": True}]}]},
        {
            "rules": [
                {"name": "x", "when": {"sentiment": ["ANGRY"]}, "actions": [{"churn_flag": True}]}
            ]
        },
        {"rules": [{"name": "x", "actions": [{"churn_flag": True}]}] * 2},
        {"quiet_time": {"start": "25:00", "end": "07:00"}},
        {"unknown": 1},
    ],
)
def test_bad_rules_files_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidRecordError):
        parse_rules(bad)


def test_rules_file_that_is_not_yaml() -> None:
    with pytest.raises(InvalidRecordError, match="not YAML"):
        load_rules("rules: [unclosed")


# -- per-author limit ---------------------------------------------------------------------


def test_author_limit() -> None:
    assert within_author_limit(0, AuthorLimit())
    assert not within_author_limit(1, AuthorLimit())
    assert within_author_limit(1, AuthorLimit(daily=2))
    assert not within_author_limit(0, AuthorLimit(daily=0))


def test_limit_counts_the_person_when_known() -> None:
    assert limit_key("u-1", "twitter#ana") == limit_key("u-1", "instagram#ana_q") == "user:u-1"
    assert limit_key(None, "twitter#ana") == "author:twitter#ana"
