"""The sentiment service end to end on the local backend: VADER, DuckDB, the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.services.sentiment.service import SentimentService, load_rules

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

RULES = """
matching: {handle_attribute: TwitterHandle}
influencer_followers: 10000
author_limit: {daily: 1}
rules:
  - name: apology
    when: {sentiment: [NEGATIVE], min_confidence: 0.8, author: customer}
    actions:
      - message: {template: social-apology, channels: [EMAIL, SMS],
                  substitutions: {CouponCode: [SORRY15]}}
      - follow_up: {queue: support}
  - name: influencer-outreach
    when: {sentiment: [POSITIVE], min_confidence: 0.7, min_followers: 10000}
    actions:
      - message: {template: social-influencer, channels: [EMAIL]}
  - name: launch-live
    when:
      hashtags: [AcmeLaunch]
      author: customer
      window: {start: "2026-03-02T00:00:00Z", end: "2026-03-03T00:00:00Z"}
    actions:
      - message: {template: social-launch-live, channels: [EMAIL]}
  - name: churn-risk
    when:
      sentiment: [NEGATIVE]
      author: customer
      repeated_negatives: {count: 3, days: 30}
    actions:
      - churn_flag: true
"""

CUSTOMERS: list[dict[str, Any]] = [
    {
        "Id": "e-ana",
        "ChannelType": "EMAIL",
        "Address": "ana@example.com",
        "User": {
            "UserId": "u-ana",
            "UserAttributes": {"FirstName": ["Ana"], "TwitterHandle": ["@Ana_Q"]},
        },
    },
    {
        "Id": "e-ben",
        "ChannelType": "EMAIL",
        "Address": "ben@example.com",
        "OptOut": "ALL",
        "User": {"UserId": "u-ben", "UserAttributes": {"TwitterHandle": ["ben_r"]}},
    },
    {
        "Id": "e-cat",
        "ChannelType": "EMAIL",
        "Address": "cat@example.com",
        "User": {"UserId": "u-cat", "UserAttributes": {"TwitterHandle": ["catmakes"]}},
    },
    {
        "Id": "e-dan",
        "ChannelType": "EMAIL",
        "Address": "dan@example.com",
        "User": {"UserId": "u-dan", "UserAttributes": {"TwitterHandle": ["dan"]}},
    },
]

NEGATIVE = "This is the worst service ever, my order is broken and support is useless. Awful!"
POSITIVE = "I love my new Acme Rocket, it is amazing and the best purchase this year!"


def post(post_id: str, handle: str, text: str, **extra: Any) -> dict[str, Any]:
    body = {
        "post_id": post_id,
        "platform": "twitter",
        "author_handle": handle,
        "author_follower_count": 120,
        "text": text,
        "language": "en",
        "created_at": "2026-03-02T11:00:00Z",
    }
    body.update(extra)
    return body


def lines(*posts: dict[str, Any]) -> list[str]:
    return [json.dumps(p) for p in posts]


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    boot.adapters.profile_store.put_endpoints([validate_endpoint(e) for e in CUSTOMERS])
    for path in sorted((ROOT / "demo" / "templates").glob("*.json")):
        boot.template_service.create(json.loads(path.read_text(encoding="utf-8")))
    return boot


@pytest.fixture
def service(boot: Bootstrap) -> SentimentService:
    boot.__dict__["sentiment_rules"] = load_rules(RULES)
    service = boot.sentiment_service
    service._clock = lambda: NOON  # a fixed time, outside any quiet time
    return service


def emails(boot: Bootstrap) -> list[str]:
    folder = boot.settings.home / "outbox" / "email"
    return sorted(p.read_text() for p in folder.glob("*.eml")) if folder.exists() else []


def events(boot: Bootstrap, event_type: str) -> list[dict[str, Any]]:
    return boot.adapters.analytics_query.rows(
        "SELECT event_id, endpoint_id, attributes, metrics FROM events "
        "WHERE event_type = :t ORDER BY event_id",
        {"t": event_type},
    )


def test_negative_customer_post_gets_one_apology_and_attributes(
    boot: Bootstrap, service: SentimentService
) -> None:
    run = service.ingest_lines(lines(post("1", "@ana_q", NEGATIVE)))
    [outcome] = run.outcomes
    data = outcome.to_json()
    assert data["sentiment"] == "NEGATIVE"
    assert data["matched_endpoints"] == ["e-ana"]
    assert data["rules_fired"] == ["apology"]
    statuses = {(a["action"], a["status"]) for a in data["actions"]}
    assert statuses == {("message", "SENT"), ("follow_up", "OPENED")}
    [mail] = emails(boot)
    assert "SORRY15" in mail and "Ana" in mail
    endpoint = boot.adapters.profile_store.get_endpoint("e-ana")
    assert endpoint is not None and endpoint.attributes is not None
    assert endpoint.attributes["SocialSentiment"] == ["NEGATIVE"]
    assert endpoint.attributes["SocialFollowUp"] == ["support"]
    assert endpoint.metrics is not None and endpoint.metrics["SocialSentimentScore"] < -0.5
    [sent] = events(boot, "_campaign.send")
    assert sent["endpoint_id"] == "e-ana"
    assert sent["attributes"]["campaign_id"] == "social-apology"
    assert sent["attributes"]["campaign_send_status"] == "SUCCESS"


def test_duplicates_never_trigger_twice(boot: Bootstrap, service: SentimentService) -> None:
    first = service.ingest_lines(lines(post("1", "ana_q", NEGATIVE), post("1", "ana_q", NEGATIVE)))
    assert first.summary()["SCORED"] == 1 and first.summary()["DUPLICATE"] == 1
    again = service.ingest_lines(lines(post("1", "ana_q", NEGATIVE)))
    assert again.summary() == {"SCORED": 0, "DUPLICATE": 1, "REJECTED": 0, "FAILED": 0}
    assert len(emails(boot)) == 1
    assert len(events(boot, "_social.post")) == 1


def test_per_author_daily_limit(boot: Bootstrap, service: SentimentService) -> None:
    run = service.ingest_lines(
        lines(post("1", "ana_q", NEGATIVE), post("2", "ana_q", NEGATIVE + " Never again."))
    )
    statuses = [a.status for o in run.outcomes for a in o.actions if a.action == "message"]
    assert statuses == ["SENT", "AUTHOR_LIMIT"]
    assert len(emails(boot)) == 1


def test_opted_out_customer_is_never_messaged(boot: Bootstrap, service: SentimentService) -> None:
    run = service.ingest_lines(lines(post("1", "ben_r", NEGATIVE)))
    [outcome] = run.outcomes
    assert outcome.rules_fired == ["apology"]
    assert [a.status for a in outcome.actions if a.action == "message"] == ["OPT_OUT"]
    assert emails(boot) == []
    [record] = events(boot, "_campaign.send")
    assert record["attributes"]["campaign_send_status"] == "OPT_OUT"
    # the attributes are still updated: segments may use them
    endpoint = boot.adapters.profile_store.get_endpoint("e-ben")
    assert endpoint is not None and endpoint.attributes is not None
    assert endpoint.attributes["SocialSentiment"] == ["NEGATIVE"]


def test_quiet_time_holds_the_message(boot: Bootstrap) -> None:
    boot.__dict__["sentiment_rules"] = load_rules(
        RULES + 'quiet_time: {start: "11:00", end: "13:00"}\n'
    )
    service = boot.sentiment_service
    service._clock = lambda: NOON
    run = service.ingest_lines(lines(post("1", "ana_q", NEGATIVE)))
    assert [a.status for a in run.outcomes[0].actions if a.action == "message"] == ["QUIET_TIME"]
    assert emails(boot) == []


def test_unknown_author_is_kept_as_prospect(boot: Bootstrap, service: SentimentService) -> None:
    run = service.ingest_lines(
        lines(post("9", "@BigVoice", POSITIVE, author_follower_count=250_000))
    )
    [outcome] = run.outcomes
    assert outcome.endpoint_ids == []
    assert outcome.rules_fired == ["influencer-outreach"]
    assert [a.status for a in outcome.actions] == ["PROSPECT_NO_ENDPOINT"]
    [prospect] = service.prospects()
    assert (prospect.handle, prospect.follower_count) == ("bigvoice", 250_000)
    assert prospect.outreach == ("influencer-outreach",)
    [event] = events(boot, "_social.post")
    assert event["attributes"]["author_kind"] == "prospect"
    assert event["endpoint_id"] is None


def test_influencer_customer_gets_outreach(boot: Bootstrap, service: SentimentService) -> None:
    run = service.ingest_lines(lines(post("5", "catmakes", POSITIVE, author_follower_count=50_000)))
    assert run.outcomes[0].rules_fired == ["influencer-outreach"]
    [mail] = emails(boot)
    assert "creators programme" in mail
    endpoint = boot.adapters.profile_store.get_endpoint("e-cat")
    assert endpoint is not None and endpoint.attributes is not None
    assert endpoint.attributes["Influencer"] == ["true"]
    assert endpoint.metrics is not None and endpoint.metrics["FollowerCount"] == 50_000


def test_hashtag_in_window_sends_real_time_message(
    boot: Bootstrap, service: SentimentService
) -> None:
    text = "Watching the keynote right now #AcmeLaunch"
    run = service.ingest_lines(
        lines(
            post("7", "dan", text),
            post("8", "catmakes", text, created_at="2026-03-04T11:00:00Z"),  # after the window
        )
    )
    fired = {o.key: o.rules_fired for o in run.outcomes}
    assert fired == {"twitter#7": ["launch-live"], "twitter#8": []}
    assert len(emails(boot)) == 1


def test_repeated_negatives_flag_for_churn(boot: Bootstrap, service: SentimentService) -> None:
    mild = "Not great, the app is slow again."  # negative, below the apology confidence
    posts = [post(str(n), "dan", mild, created_at=f"2026-03-0{n}T09:00:00Z") for n in (1, 2, 3)]
    run = service.ingest_lines(lines(*posts))
    assert [o.rules_fired for o in run.outcomes] == [[], [], ["churn-risk"]]
    endpoint = boot.adapters.profile_store.get_endpoint("e-dan")
    assert endpoint is not None and endpoint.attributes is not None
    assert endpoint.attributes["ChurnFlag"] == ["SOCIAL_NEGATIVE"]
    assert endpoint.metrics is not None and endpoint.metrics["NegativePosts30d"] == 3


def test_segment_on_sentiment_attribute(boot: Bootstrap, service: SentimentService) -> None:
    service.ingest_lines(
        lines(
            post("1", "ana_q", NEGATIVE),
            post("2", "ben_r", NEGATIVE),
            post("3", "catmakes", POSITIVE),
        )
    )
    segment = boot.segment_service.create_segment(
        {
            "Name": "unhappy on social",
            "Dimensions": {
                "Attributes": {
                    "SocialSentiment": {"AttributeType": "INCLUSIVE", "Values": ["NEGATIVE"]}
                }
            },
        }
    )
    assert sorted(boot.segment_service.members(segment["Id"])) == ["e-ana", "e-ben"]


def test_malformed_and_oversized_posts_rejected_with_reasons(
    boot: Bootstrap, service: SentimentService
) -> None:
    run = service.ingest_lines(
        [
            "{not json",
            json.dumps(post("1", "ana_q", "x" * 6000)),
            json.dumps({"post_id": "2", "platform": "twitter"}),
        ]
    )
    assert run.summary()["REJECTED"] == 3
    problems = " ".join(p for o in run.outcomes for p in o.problems)
    assert "not JSON" in problems
    assert "6000 bytes" in problems
    assert "author_handle" in problems and "text" in problems
    assert run.dead_letters is not None


def test_post_events_carry_scores(boot: Bootstrap, service: SentimentService) -> None:
    service.ingest_lines(lines(post("1", "ana_q", NEGATIVE, hashtags=["AcmeFail"])))
    [event] = events(boot, "_social.post")
    assert event["endpoint_id"] == "e-ana"
    assert event["attributes"]["sentiment"] == "NEGATIVE"
    assert event["attributes"]["hashtags"] == "AcmeFail"
    metrics = event["metrics"]
    total = sum(metrics[k] for k in ("positive", "negative", "neutral", "mixed"))
    assert total == pytest.approx(1.0, abs=0.01)
    assert metrics["negative"] > 0.8
