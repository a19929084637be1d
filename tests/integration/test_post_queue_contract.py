"""The PostQueue contract: accepted posts wait on the posts Kinesis stream to be scored.

There is one adapter, on AWS (the Kinesis stream, on moto): locally posts are scored as
they are read, so nothing queues them. Each post is one JSON record that reads back as
the same post, with the dedupe key as partition key (a post and its duplicates land on
one shard, in order); PutRecords' limits are kept and refused records retried, and what
still fails raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from clarion.adapters.aws.common.kinesis import KinesisPutError
from clarion.adapters.aws.sentiment.post_queue import KinesisPostQueue
from clarion.domain.sentiment.posts import MAX_POST_ID_LENGTH, SocialPost

REGION = "us-east-1"
STREAM = "test-posts"


@dataclass(frozen=True)
class Queued:
    """One record read back from the stream."""

    shard: str
    partition_key: str
    post: SocialPost


class CountingKinesis:
    """Passes calls to a Kinesis client and counts the records of each PutRecords."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.put_calls: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_records(self, **kwargs: Any) -> Any:
        self.put_calls.append(len(kwargs["Records"]))
        return self._client.put_records(**kwargs)


@pytest.fixture
def kinesis(mocked_aws: None) -> CountingKinesis:
    client = boto3.client("kinesis", region_name=REGION)
    client.create_stream(StreamName=STREAM, ShardCount=4)
    return CountingKinesis(client)


@pytest.fixture
def queue(kinesis: CountingKinesis) -> KinesisPostQueue:
    return KinesisPostQueue(kinesis, STREAM, sleep=lambda _: None)


def read_stream(kinesis: CountingKinesis) -> list[Queued]:
    """Every record on the stream, shard by shard, each shard in order."""
    out: list[Queued] = []
    shards = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in page["Records"]:
                post = SocialPost.model_validate(json.loads(record["Data"]))
                out.append(Queued(shard["ShardId"], record["PartitionKey"], post))
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return out


def _post(post_id: str, **fields: Any) -> SocialPost:
    data: dict[str, Any] = {
        "post_id": post_id,
        "platform": "twitter",
        "author_handle": "@Ana_Q",
        "author_follower_count": 1200,
        "text": "My Acme Rocket arrived broken. Awful! #AcmeRocket",
        "created_at": "2025-03-12T10:00:00Z",
        **fields,
    }
    return SocialPost.model_validate(data)


def test_each_post_reads_back_whole(queue: KinesisPostQueue, kinesis: CountingKinesis) -> None:
    posts = [
        _post("1"),
        _post("2", text="Zoë ünïcode ✓ #Spaß", language="de", in_reply_to="1"),
        _post("3", platform="instagram", hashtags=["Launch", "#acme"]),
    ]

    queue.put_posts(posts)

    queued = read_stream(kinesis)
    assert sorted((q.post for q in queued), key=lambda p: p.key) == sorted(
        posts, key=lambda p: p.key
    )
    assert kinesis.put_calls == [3]


def test_the_partition_key_is_the_dedupe_key(
    queue: KinesisPostQueue, kinesis: CountingKinesis
) -> None:
    longest = "x" * MAX_POST_ID_LENGTH
    posts = [_post(str(n)) for n in range(40)] + [_post(longest, platform="a" * 32)]

    queue.put_posts(posts)

    queued = read_stream(kinesis)
    assert {q.partition_key: q.post.key for q in queued} == {p.key: p.key for p in posts}
    assert len({q.shard for q in queued}) > 1  # keys spread over the shards


def test_a_post_and_its_duplicates_share_a_shard_in_order(
    queue: KinesisPostQueue, kinesis: CountingKinesis
) -> None:
    first = _post("7", text="first delivery")
    again = _post("7", text="delivered again")
    queue.put_posts([first, _post("8"), again])
    queue.put_posts([_post("7", text="a third time")])

    sevens = [q for q in read_stream(kinesis) if q.post.key == "twitter#7"]

    assert len({q.shard for q in sevens}) == 1
    assert [q.post.text for q in sevens] == ["first delivery", "delivered again", "a third time"]


def test_more_posts_than_one_call_takes(queue: KinesisPostQueue, kinesis: CountingKinesis) -> None:
    posts = [_post(str(n)) for n in range(1201)]

    queue.put_posts(posts)

    assert kinesis.put_calls == [500, 500, 201]
    assert sorted(q.post.post_id for q in read_stream(kinesis)) == sorted(p.post_id for p in posts)


def test_nothing_to_queue_makes_no_call(queue: KinesisPostQueue, kinesis: CountingKinesis) -> None:
    queue.put_posts([])

    assert kinesis.put_calls == []


class RefusingKinesis(CountingKinesis):
    """Refuses the last ``refused`` records of each of the first ``times`` calls, as
    Kinesis does when a shard is over its throughput."""

    def __init__(self, client: Any, *, refused: int, times: int) -> None:
        super().__init__(client)
        self._refused = refused
        self._times = times

    def put_records(self, **kwargs: Any) -> Any:
        records = kwargs["Records"]
        self.put_calls.append(len(records))
        if len(self.put_calls) > self._times:
            return self._client.put_records(**kwargs)
        accepted = records[: max(len(records) - self._refused, 0)]
        results: list[dict[str, Any]] = []
        if accepted:
            results = self._client.put_records(StreamName=STREAM, Records=accepted)["Records"]
        refusal = {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": "Rate exceeded for shard",
        }
        results += [refusal] * (len(records) - len(accepted))
        return {"FailedRecordCount": len(records) - len(accepted), "Records": results}


def test_refused_posts_are_sent_again(kinesis: CountingKinesis) -> None:
    refusing = RefusingKinesis(kinesis, refused=3, times=2)
    posts = [_post(str(n)) for n in range(10)]

    KinesisPostQueue(refusing, STREAM, sleep=lambda _: None).put_posts(posts)

    assert refusing.put_calls == [10, 3, 3]
    queued = read_stream(kinesis)
    assert sorted(q.post.post_id for q in queued) == sorted(p.post_id for p in posts)


def test_posts_still_refused_after_the_retries_raise(kinesis: CountingKinesis) -> None:
    refusing = RefusingKinesis(kinesis, refused=2, times=1_000)
    pauses: list[float] = []
    queue = KinesisPostQueue(refusing, STREAM, sleep=pauses.append)

    with pytest.raises(KinesisPutError, match=r"2 post\(s\) not put on test-posts") as caught:
        queue.put_posts([_post(str(n)) for n in range(5)])

    assert caught.value.failed == 2
    assert "ProvisionedThroughputExceededException" in str(caught.value)
    assert len(refusing.put_calls) > 2 and pauses
    # What was accepted stays queued.
    assert len(read_stream(kinesis)) == 3


def test_a_failed_call_raises(kinesis: CountingKinesis) -> None:
    from botocore.exceptions import ClientError

    queue = KinesisPostQueue(kinesis, "no-such-stream", sleep=lambda _: None)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        queue.put_posts([_post("1")])
