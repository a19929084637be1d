"""The AWS PostQueue: accepted posts on the posts Kinesis stream."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from clarion.adapters.aws.common.kinesis import chunks, put_records
from clarion.domain.sentiment.posts import SocialPost


class KinesisPostQueue:
    """PostQueue on the posts Kinesis stream: one JSON post a record, partition key the
    dedupe key (a post and its duplicates land on one shard, in order)."""

    def __init__(
        self, client: Any, stream_name: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._stream = stream_name
        self._sleep = sleep

    def put_posts(self, posts: Sequence[SocialPost]) -> None:
        entries = [
            {
                "Data": json.dumps(post.to_json(), ensure_ascii=False).encode("utf-8"),
                "PartitionKey": post.key[:256],
            }
            for post in posts
        ]
        for chunk in chunks(entries):
            put_records(self._client, self._stream, chunk, self._sleep, what="post(s)")
