"""The SocialAuthorStore contract, on both backends: scored posts folded into what is
kept about their authors (idempotent per post), each author's recent negative posts, and
the prospects (authors matched to no endpoint), most followed first.

``local`` is the DuckDB store on a database in ``tmp_path``; ``aws`` is the DynamoDB
store on moto, on a social table made from ``social_table_spec`` (with its
``ProspectIndex``) as the CDK stack makes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.domain.sentiment.authors import AuthorActivity, Prospect
from clarion.domain.sentiment.scores import Sentiment
from clarion.ports.sentiment import SocialAuthorStore

REGION = "us-east-1"
SOCIAL_TABLE = "test-social"
HOUR = 3_600_000
T0 = 1_741_773_600_000

NEGATIVE, POSITIVE, NEUTRAL = Sentiment.NEGATIVE, Sentiment.POSITIVE, Sentiment.NEUTRAL


@dataclass
class AuthorBackend:
    name: str
    store: SocialAuthorStore


def _local(tmp_path: Path) -> Iterator[AuthorBackend]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.sentiment.social_store import DuckDBSocialAuthorStore

    database = LocalDatabase(tmp_path / "home")
    yield AuthorBackend("local", DuckDBSocialAuthorStore(database))
    database.close()


def _aws() -> Iterator[AuthorBackend]:
    from clarion.adapters.aws.sentiment.social_store import (
        DynamoDBSocialAuthorStore,
        social_table_spec,
    )

    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**social_table_spec(SOCIAL_TABLE))
        yield AuthorBackend("aws", DynamoDBSocialAuthorStore(client, SOCIAL_TABLE))


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[AuthorBackend]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _aws()


def _post(
    handle: str,
    post: int,
    sentiment: Sentiment,
    *,
    at: int = T0,
    followers: int = 100,
    customer: bool = False,
    platform: str = "twitter",
    **extra: Any,
) -> AuthorActivity:
    return AuthorActivity(
        author_key=f"{platform}#{handle}",
        platform=platform,
        handle=handle,
        follower_count=followers,
        post_key=f"{platform}#{handle}-{post}",
        post_ms=at,
        sentiment=sentiment,
        is_customer=customer,
        **extra,
    )


def test_negative_posts_since_a_time_per_author(backend: AuthorBackend) -> None:
    backend.store.record(
        [
            _post("ana", 1, NEGATIVE, at=T0),
            _post("ana", 2, NEGATIVE, at=T0 + HOUR),
            _post("ana", 3, POSITIVE, at=T0 + 2 * HOUR),
            _post("ana", 4, NEGATIVE, at=T0 + 3 * HOUR),
            _post("bo", 1, NEGATIVE, at=T0 + HOUR, customer=True),
            _post("cy", 1, NEUTRAL, at=T0 + HOUR),
        ]
    )

    found = backend.store.negative_posts(
        ["twitter#ana", "twitter#bo", "twitter#cy", "twitter#nobody"], since_ms=T0 + HOUR
    )

    # At or after since_ms; authors without any are left out.
    assert found == {
        "twitter#ana": {"twitter#ana-2": T0 + HOUR, "twitter#ana-4": T0 + 3 * HOUR},
        "twitter#bo": {"twitter#bo-1": T0 + HOUR},
    }
    assert backend.store.negative_posts([], since_ms=T0) == {}


def test_authors_are_per_platform(backend: AuthorBackend) -> None:
    backend.store.record(
        [_post("ana", 1, NEGATIVE), _post("ana", 1, NEGATIVE, platform="instagram")]
    )

    found = backend.store.negative_posts(["instagram#ana"], since_ms=T0)

    assert found == {"instagram#ana": {"instagram#ana-1": T0}}


def test_a_replayed_post_counts_once(backend: AuthorBackend) -> None:
    batch = [_post("ana", 1, NEGATIVE), _post("ana", 2, POSITIVE, at=T0 + HOUR)]
    backend.store.record(batch)
    backend.store.record(batch)
    backend.store.record([batch[0], batch[0]])  # and twice in one batch

    (prospect,) = backend.store.prospects()

    assert (prospect.posts, prospect.negative_posts) == (2, 1)
    assert backend.store.negative_posts(["twitter#ana"], T0) == {
        "twitter#ana": {"twitter#ana-1": T0}
    }


def test_a_post_repeated_in_its_first_batch_counts_once(backend: AuthorBackend) -> None:
    post = _post("ana", 1, NEGATIVE)

    backend.store.record([post, post])

    (prospect,) = backend.store.prospects()
    assert (prospect.posts, prospect.negative_posts) == (1, 1)


def test_a_prospect_sums_up_its_posts(backend: AuthorBackend) -> None:
    backend.store.record(
        [
            _post("ana", 1, NEGATIVE, at=T0, followers=900, outreach=("influencer",)),
            _post("ana", 2, POSITIVE, at=T0 + HOUR, followers=950, outreach=("apology",)),
        ]
    )
    backend.store.record([_post("ana", 3, NEUTRAL, at=T0 + 2 * HOUR, followers=1000)])

    assert backend.store.prospects() == [
        Prospect(
            platform="twitter",
            handle="ana",
            follower_count=1000,
            posts=3,
            negative_posts=1,
            last_sentiment="NEUTRAL",
            last_post_ms=T0 + 2 * HOUR,
            outreach=("apology", "influencer"),
        )
    ]


def test_the_last_post_is_the_latest_whatever_the_order_recorded(backend: AuthorBackend) -> None:
    # Posts arrive out of order (a backfill, a Kinesis retry of an older batch).
    backend.store.record([_post("ana", 2, NEGATIVE, at=T0 + HOUR)])
    backend.store.record([_post("ana", 1, POSITIVE, at=T0)])
    backend.store.record(
        [
            _post("bo", 2, NEGATIVE, at=T0 + HOUR, followers=200),
            _post("bo", 1, POSITIVE, at=T0, followers=150),
        ]
    )

    by_handle = {p.handle: p for p in backend.store.prospects()}

    assert (by_handle["ana"].last_sentiment, by_handle["ana"].last_post_ms) == (
        "NEGATIVE",
        T0 + HOUR,
    )
    assert by_handle["ana"].posts == 2
    # In one batch, the latest post also gives the follower count.
    assert (by_handle["bo"].last_sentiment, by_handle["bo"].last_post_ms) == ("NEGATIVE", T0 + HOUR)
    assert by_handle["bo"].follower_count == 200


def test_prospects_most_followed_first_within_the_limits(backend: AuthorBackend) -> None:
    backend.store.record(
        [
            _post("small", 1, NEUTRAL, followers=10),
            _post("big", 1, NEUTRAL, followers=50_000),
            _post("mid", 1, NEGATIVE, followers=1_000),
            _post("edge", 1, NEUTRAL, followers=999),
            _post("customer", 1, NEUTRAL, followers=90_000, customer=True),
        ]
    )

    handles = [p.handle for p in backend.store.prospects()]
    assert handles == ["big", "mid", "edge", "small"]
    assert [p.handle for p in backend.store.prospects(min_followers=999)] == ["big", "mid", "edge"]
    assert [p.handle for p in backend.store.prospects(min_followers=1_000)] == ["big", "mid"]
    assert [p.handle for p in backend.store.prospects(limit=2)] == ["big", "mid"]
    assert backend.store.prospects(min_followers=100_000) == []


def test_an_author_matched_later_is_no_longer_a_prospect(backend: AuthorBackend) -> None:
    backend.store.record([_post("ana", 1, NEGATIVE, followers=500)])
    assert [p.handle for p in backend.store.prospects()] == ["ana"]

    backend.store.record(
        [_post("ana", 2, NEGATIVE, at=T0 + HOUR, customer=True, endpoint_ids=("e-1",))]
    )

    assert backend.store.prospects() == []
    assert backend.store.negative_posts(["twitter#ana"], T0) == {
        "twitter#ana": {"twitter#ana-1": T0, "twitter#ana-2": T0 + HOUR}
    }


def test_recording_nothing_changes_nothing(backend: AuthorBackend) -> None:
    backend.store.record([])

    assert backend.store.prospects() == []
