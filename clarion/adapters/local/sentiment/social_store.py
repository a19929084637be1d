"""Social posts' bookkeeping in DuckDB: the local PostDedupeStore, SocialAuthorStore and
HandleLookup.

Tables (created on first use):

- ``social_posts_seen(post_key, state, lease_until_ms, completed_ms)``: one row per
  post ever claimed; ``state`` is ``CLAIMED`` or ``DONE``;
- ``social_authors(author_key, platform, handle, follower_count, is_customer, posts,
  negative_posts, last_sentiment, last_post_ms, endpoint_ids, outreach)``;
- ``social_author_posts(author_key, post_key, post_ms, sentiment)``: the posts folded
  into an author (so a replayed post counts once), read for repeated negatives.

Handles are looked up in the ``endpoints`` table the profile store writes: the first
value of ``user_attributes[<attribute>]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from clarion.adapters.local.common.database import LocalDatabase, schema
from clarion.domain.sentiment.authors import AuthorActivity, Prospect
from clarion.domain.sentiment.posts import normalise_handle
from clarion.domain.sentiment.scores import Sentiment


@schema
def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS social_posts_seen ("
        "post_key VARCHAR PRIMARY KEY, state VARCHAR NOT NULL, "
        "lease_until_ms BIGINT NOT NULL, completed_ms BIGINT)"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS social_authors ("
        "author_key VARCHAR PRIMARY KEY, platform VARCHAR NOT NULL, handle VARCHAR NOT NULL, "
        "follower_count BIGINT NOT NULL, is_customer BOOLEAN NOT NULL, posts BIGINT NOT NULL, "
        "negative_posts BIGINT NOT NULL, last_sentiment VARCHAR NOT NULL, "
        "last_post_ms BIGINT NOT NULL, endpoint_ids VARCHAR[], outreach VARCHAR[])"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS social_author_posts ("
        "author_key VARCHAR NOT NULL, post_key VARCHAR NOT NULL, post_ms BIGINT NOT NULL, "
        "sentiment VARCHAR NOT NULL, PRIMARY KEY (author_key, post_key))"
    )


class DuckDBPostDedupeStore:
    """PostDedupeStore on the embedded database (an atomic claim per statement)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def claim(self, keys: Sequence[str], now_ms: int, lease_ms: int) -> set[str]:
        if not keys:
            return set()
        cursor = self._database.cursor()
        cursor.register("claiming_posts", pa.table({"post_key": list(dict.fromkeys(keys))}))
        try:
            rows = cursor.execute(
                "INSERT INTO social_posts_seen (post_key, state, lease_until_ms) "
                "SELECT post_key, 'CLAIMED', ? FROM claiming_posts "
                "ON CONFLICT (post_key) DO UPDATE SET lease_until_ms = excluded.lease_until_ms "
                "WHERE social_posts_seen.state = 'CLAIMED' "
                "AND social_posts_seen.lease_until_ms <= ? "
                "RETURNING post_key",
                [now_ms + lease_ms, now_ms],
            ).fetchall()
        finally:
            cursor.unregister("claiming_posts")
        return {key for (key,) in rows}

    def complete(self, keys: Sequence[str], now_ms: int) -> None:
        if not keys:
            return
        self._database.cursor().execute(
            "UPDATE social_posts_seen SET state = 'DONE', completed_ms = ? "
            "WHERE post_key IN (SELECT unnest(?))",
            [now_ms, list(keys)],
        )

    def release(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        self._database.cursor().execute(
            "UPDATE social_posts_seen SET lease_until_ms = 0 "
            "WHERE state = 'CLAIMED' AND post_key IN (SELECT unnest(?))",
            [list(keys)],
        )


class DuckDBSocialAuthorStore:
    """SocialAuthorStore on the embedded database."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def record(self, activity: Sequence[AuthorActivity]) -> None:
        if not activity:
            return
        cursor = self._database.cursor()
        posts = pa.table(
            {
                "author_key": [a.author_key for a in activity],
                "post_key": [a.post_key for a in activity],
                "post_ms": pa.array([a.post_ms for a in activity], pa.int64()),
                "sentiment": [a.sentiment.value for a in activity],
            }
        )
        cursor.register("incoming_posts", posts)
        try:
            new = cursor.execute(
                "INSERT INTO social_author_posts SELECT * FROM incoming_posts "
                "ON CONFLICT DO NOTHING RETURNING author_key, post_key"
            ).fetchall()
        finally:
            cursor.unregister("incoming_posts")
        fresh = set(new)
        # Fold the new posts into one row per author, then upsert those in one statement.
        folded: dict[str, dict[str, Any]] = {}
        for item in sorted(activity, key=lambda a: a.post_ms):
            if (item.author_key, item.post_key) not in fresh:
                continue  # a replay: already folded in
            fresh.discard((item.author_key, item.post_key))  # a repeat in this batch too
            row = folded.setdefault(
                item.author_key,
                {"posts": 0, "negative_posts": 0, "outreach": set(), "last_post_ms": 0},
            )
            row["posts"] += 1
            row["negative_posts"] += item.sentiment == Sentiment.NEGATIVE
            row["outreach"].update(item.outreach)
            row.update(
                platform=item.platform,
                handle=item.handle,
                follower_count=item.follower_count,
                is_customer=item.is_customer,
                last_sentiment=item.sentiment.value,
                last_post_ms=max(row["last_post_ms"], item.post_ms),
                endpoint_ids=list(item.endpoint_ids),
            )
        if not folded:
            return
        keys = list(folded)
        table = pa.table(
            {
                "author_key": keys,
                "platform": [folded[k]["platform"] for k in keys],
                "handle": [folded[k]["handle"] for k in keys],
                "follower_count": pa.array([folded[k]["follower_count"] for k in keys], pa.int64()),
                "is_customer": [folded[k]["is_customer"] for k in keys],
                "posts": pa.array([folded[k]["posts"] for k in keys], pa.int64()),
                "negative_posts": pa.array([folded[k]["negative_posts"] for k in keys], pa.int64()),
                "last_sentiment": [folded[k]["last_sentiment"] for k in keys],
                "last_post_ms": pa.array([folded[k]["last_post_ms"] for k in keys], pa.int64()),
                "endpoint_ids": pa.array(
                    [folded[k]["endpoint_ids"] for k in keys], pa.list_(pa.string())
                ),
                "outreach": pa.array(
                    [sorted(folded[k]["outreach"]) for k in keys], pa.list_(pa.string())
                ),
            }
        )
        cursor.register("incoming_authors", table)
        try:
            cursor.execute(
                "INSERT INTO social_authors SELECT * FROM incoming_authors "
                "ON CONFLICT (author_key) DO UPDATE SET "
                "follower_count = excluded.follower_count, "
                "is_customer = excluded.is_customer, "
                "posts = social_authors.posts + excluded.posts, "
                "negative_posts = social_authors.negative_posts + excluded.negative_posts, "
                "last_sentiment = CASE WHEN excluded.last_post_ms >= social_authors.last_post_ms "
                "THEN excluded.last_sentiment ELSE social_authors.last_sentiment END, "
                "last_post_ms = greatest(social_authors.last_post_ms, excluded.last_post_ms), "
                "endpoint_ids = excluded.endpoint_ids, "
                "outreach = list_distinct(list_concat(coalesce(social_authors.outreach, []), "
                "coalesce(excluded.outreach, [])))"
            )
        finally:
            cursor.unregister("incoming_authors")

    def negative_posts(
        self, author_keys: Sequence[str], since_ms: int
    ) -> dict[str, dict[str, int]]:
        if not author_keys:
            return {}
        rows = (
            self._database.cursor()
            .execute(
                "SELECT author_key, post_key, post_ms FROM social_author_posts "
                "WHERE author_key IN (SELECT unnest(?)) AND sentiment = 'NEGATIVE' "
                "AND post_ms >= ? ORDER BY post_ms",
                [list(author_keys), since_ms],
            )
            .fetchall()
        )
        found: dict[str, dict[str, int]] = {}
        for author_key, post_key, post_ms in rows:
            found.setdefault(author_key, {})[post_key] = int(post_ms)
        return found

    def prospects(self, *, min_followers: int = 0, limit: int = 100) -> list[Prospect]:
        rows = (
            self._database.cursor()
            .execute(
                "SELECT platform, handle, follower_count, posts, negative_posts, "
                "last_sentiment, last_post_ms, coalesce(outreach, []) FROM social_authors "
                "WHERE NOT is_customer AND follower_count >= ? "
                "ORDER BY follower_count DESC, author_key LIMIT ?",
                [min_followers, limit],
            )
            .fetchall()
        )
        return [
            Prospect(
                platform=row[0],
                handle=row[1],
                follower_count=int(row[2]),
                posts=int(row[3]),
                negative_posts=int(row[4]),
                last_sentiment=row[5],
                last_post_ms=int(row[6]),
                outreach=tuple(sorted(row[7])),
            )
            for row in rows
        ]


class DuckDBHandleLookup:
    """HandleLookup on the local ``endpoints`` table (the first value of
    ``user_attributes[<attribute>]``)."""

    def __init__(self, database: LocalDatabase) -> None:
        self._database = database

    def endpoint_ids_by_handle(
        self, attribute: str, handles: Sequence[str]
    ) -> dict[str, list[str]]:
        wanted = sorted({normalise_handle(h) for h in handles if h.strip()})
        if not wanted:
            return {}
        rows = (
            self._database.cursor()
            .execute(
                # The handle is the attribute's first value, as the AWS index holds it.
                "SELECT handle, id FROM (SELECT lower(ltrim(trim(e.user_attributes[?][1]), '@')) "
                "AS handle, e.id FROM endpoints e) WHERE handle IN (SELECT unnest(?)) ORDER BY id",
                [attribute, wanted],
            )
            .fetchall()
        )
        found: dict[str, list[str]] = {}
        for handle, endpoint_id in rows:
            found.setdefault(handle, []).append(endpoint_id)
        return found
