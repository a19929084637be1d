"""Social posts' bookkeeping on AWS: DynamoDB dedupe and authors, and the handle
lookup on the endpoints table.

The social table (``CLARION_SOCIAL_TABLE``; the CDK stack builds exactly
:func:`social_table_spec`): partition key ``PK`` (S), sort key ``SK`` (S), TTL attribute
``ExpiresAt`` (epoch seconds), and a sparse global secondary index ``ProspectIndex``
(partition ``ProspectKind`` (S), sort ``FollowerCount`` (N), projection ALL). Items:

- ``PK = POST#<platform>#<post id>``, ``SK = SEEN``: the dedupe record; ``State``
  CLAIMED or DONE, ``LeaseUntilMs``; a claim is one conditional PutItem
  (``attribute_not_exists(PK) OR (State = CLAIMED AND LeaseUntilMs <= now)``), so two
  Lambdas never both process a post. Expires after 90 days.
- ``PK = AUTHOR#<platform>#<handle>``, ``SK = PROFILE``: follower count, customer or
  not, post counts, last sentiment, endpoint ids, pending outreach (a string set);
  prospects carry ``ProspectKind = PROSPECT`` and so appear in the index.
- ``PK = AUTHOR#...``, ``SK = POST#<post key>``: one per post folded in (conditional,
  so a replay counts once), with ``Sentiment`` and ``PostMs``; expires after 400 days.

Handles: the endpoints table carries ``SocialHandle = <attribute>#<handle>`` (the
handle normalised, see :func:`social_handle_value`) with a KEYS_ONLY global secondary
index ``SocialHandleIndex`` on it, so a handle is one Query (milliseconds, no scan).
Athena over the endpoint view was the alternative: seconds a query and minutes behind
the table, too slow for a per-batch lookup."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.sentiment.authors import AuthorActivity, Prospect
from clarion.domain.sentiment.posts import normalise_handle
from clarion.domain.sentiment.scores import Sentiment

SOCIAL_HANDLE_INDEX = "SocialHandleIndex"
SOCIAL_HANDLE_FIELD = "SocialHandle"
PROSPECT_INDEX = "ProspectIndex"
PROSPECT_KIND = "PROSPECT"
SEEN_TTL_S = 90 * 86_400
AUTHOR_POST_TTL_S = 400 * 86_400
_WORKERS = 8


def social_table_spec(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments for the social table (tests; the CDK mirrors it)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": "ProspectKind", "AttributeType": "S"},
            {"AttributeName": "FollowerCount", "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": PROSPECT_INDEX,
                "KeySchema": [
                    {"AttributeName": "ProspectKind", "KeyType": "HASH"},
                    {"AttributeName": "FollowerCount", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def social_handle_index_spec() -> dict[str, Any]:
    """The global secondary index the endpoints table needs for handle lookups."""
    return {
        "IndexName": SOCIAL_HANDLE_INDEX,
        "KeySchema": [{"AttributeName": SOCIAL_HANDLE_FIELD, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def social_handle_value(endpoint: Endpoint, attribute: str) -> str | None:
    """What the profile store writes as ``SocialHandle`` on an endpoint's item:
    ``<attribute>#<normalised handle>`` from ``User.UserAttributes.<attribute>`` (its
    first value), or None when the endpoint has no handle."""
    user = endpoint.user
    values = (user.user_attributes or {}).get(attribute) if user is not None else None
    if not values or not normalise_handle(values[0]):
        return None
    return f"{attribute}#{normalise_handle(values[0])}"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class DynamoDBPostDedupeStore:
    """PostDedupeStore on the social table (conditional PutItem per post)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, keys: Sequence[str], now_ms: int, lease_ms: int) -> set[str]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return set()

        def one(key: str) -> str | None:
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        "PK": {"S": f"POST#{key}"},
                        "SK": {"S": "SEEN"},
                        "State": {"S": "CLAIMED"},
                        "LeaseUntilMs": {"N": str(now_ms + lease_ms)},
                        "ExpiresAt": {"N": str(now_ms // 1000 + SEEN_TTL_S)},
                    },
                    ConditionExpression="attribute_not_exists(PK) OR "
                    "(#state = :claimed AND LeaseUntilMs <= :now)",
                    ExpressionAttributeNames={"#state": "State"},
                    ExpressionAttributeValues={
                        ":claimed": {"S": "CLAIMED"},
                        ":now": {"N": str(now_ms)},
                    },
                )
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    return None
                raise
            return key

        with ThreadPoolExecutor(max_workers=min(_WORKERS, len(unique))) as pool:
            return {key for key in pool.map(one, unique) if key is not None}

    def _set(self, keys: Sequence[str], update: str, values: dict[str, Any]) -> None:
        for key in dict.fromkeys(keys):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"PK": {"S": f"POST#{key}"}, "SK": {"S": "SEEN"}},
                    UpdateExpression=update,
                    ConditionExpression="#state = :claimed",
                    ExpressionAttributeNames={"#state": "State"},
                    ExpressionAttributeValues={":claimed": {"S": "CLAIMED"}, **values},
                )
            except ClientError as exc:
                if _code(exc) != "ConditionalCheckFailedException":
                    raise

    def complete(self, keys: Sequence[str], now_ms: int) -> None:
        self._set(
            keys,
            "SET #state = :done, CompletedMs = :now",
            {":done": {"S": "DONE"}, ":now": {"N": str(now_ms)}},
        )

    def release(self, keys: Sequence[str]) -> None:
        self._set(keys, "SET LeaseUntilMs = :zero", {":zero": {"N": "0"}})


class DynamoDBSocialAuthorStore:
    """SocialAuthorStore on the social table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, activity: Sequence[AuthorActivity]) -> None:
        # Oldest first, as the local store folds a batch: the latest post gives the
        # profile's fields.
        for item in sorted(activity, key=lambda a: a.post_ms):
            if self._fold_post(item):
                self._update_profile(item)

    def _fold_post(self, item: AuthorActivity) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "PK": {"S": f"AUTHOR#{item.author_key}"},
                    "SK": {"S": f"POST#{item.post_key}"},
                    "Sentiment": {"S": item.sentiment.value},
                    "PostMs": {"N": str(item.post_ms)},
                    "ExpiresAt": {"N": str(item.post_ms // 1000 + AUTHOR_POST_TTL_S)},
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False  # a replay: already counted
            raise
        return True

    def _update_profile(self, item: AuthorActivity) -> None:
        # The last sentiment and post time only move forward: an older post recorded
        # late (a backfill, a retried batch) adds to the counts and nothing else.
        try:
            self._update_profile_with(item, latest=True)
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            self._update_profile_with(item, latest=False)

    def _update_profile_with(self, item: AuthorActivity, *, latest: bool) -> None:
        """One UpdateItem of the author's profile; with ``latest``, also its last
        sentiment and post time, on condition that no later post is recorded."""
        values: dict[str, Any] = {
            ":platform": {"S": item.platform},
            ":handle": {"S": item.handle},
            ":followers": {"N": str(item.follower_count)},
            ":customer": {"BOOL": item.is_customer},
            ":one": {"N": "1"},
            ":negative": {"N": "1" if item.sentiment == Sentiment.NEGATIVE else "0"},
            ":endpoints": {"S": json.dumps(list(item.endpoint_ids))},
        }
        sets = [
            "Platform = :platform",
            "Handle = :handle",
            "FollowerCount = :followers",
            "IsCustomer = :customer",
            "EndpointIds = :endpoints",
        ]
        if latest:
            sets += ["#last = :sentiment", "LastPostMs = :ms"]
            values[":sentiment"] = {"S": item.sentiment.value}
            values[":ms"] = {"N": str(item.post_ms)}
        update = "SET " + ", ".join(sets)
        if item.is_customer:
            update += " REMOVE ProspectKind"
        else:
            update = update.replace("SET ", "SET ProspectKind = :kind, ", 1)
            values[":kind"] = {"S": PROSPECT_KIND}
        update += " ADD Posts :one, NegativePosts :negative"
        if item.outreach:
            update += ", Outreach :outreach"
            values[":outreach"] = {"SS": sorted(set(item.outreach))}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"PK": {"S": f"AUTHOR#{item.author_key}"}, "SK": {"S": "PROFILE"}},
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
        if latest:
            request["ExpressionAttributeNames"] = {"#last": "LastSentiment"}
            request["ConditionExpression"] = "attribute_not_exists(LastPostMs) OR LastPostMs <= :ms"
        self._client.update_item(**request)

    def negative_posts(
        self, author_keys: Sequence[str], since_ms: int
    ) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for author_key in dict.fromkeys(author_keys):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :post)",
                "FilterExpression": "Sentiment = :negative AND PostMs >= :since",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"AUTHOR#{author_key}"},
                    ":post": {"S": "POST#"},
                    ":negative": {"S": Sentiment.NEGATIVE.value},
                    ":since": {"N": str(since_ms)},
                },
            }
            while True:
                page = self._client.query(**kwargs)
                for row in page.get("Items", []):
                    post_key = row["SK"]["S"].removeprefix("POST#")
                    found.setdefault(author_key, {})[post_key] = int(row["PostMs"]["N"])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def prospects(self, *, min_followers: int = 0, limit: int = 100) -> list[Prospect]:
        page = self._client.query(
            TableName=self._table,
            IndexName=PROSPECT_INDEX,
            KeyConditionExpression="ProspectKind = :kind AND FollowerCount >= :min",
            ExpressionAttributeValues={
                ":kind": {"S": PROSPECT_KIND},
                ":min": {"N": str(min_followers)},
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            Prospect(
                platform=row["Platform"]["S"],
                handle=row["Handle"]["S"],
                follower_count=int(row["FollowerCount"]["N"]),
                posts=int(row.get("Posts", {"N": "0"})["N"]),
                negative_posts=int(row.get("NegativePosts", {"N": "0"})["N"]),
                last_sentiment=row["LastSentiment"]["S"],
                last_post_ms=int(row["LastPostMs"]["N"]),
                outreach=tuple(sorted(row.get("Outreach", {}).get("SS", []))),
            )
            for row in page.get("Items", [])
        ]


class DynamoDBHandleLookup:
    """HandleLookup on the endpoints table's ``SocialHandleIndex`` (one Query a handle)."""

    def __init__(self, client: Any, table_name: str, index_name: str = SOCIAL_HANDLE_INDEX):
        self._client = client
        self._table = table_name
        self._index = index_name

    def endpoint_ids_by_handle(
        self, attribute: str, handles: Sequence[str]
    ) -> dict[str, list[str]]:
        wanted = sorted({normalise_handle(h) for h in handles if h.strip()})

        def one(handle: str) -> tuple[str, list[str]]:
            ids: list[str] = []
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": self._index,
                "KeyConditionExpression": "#handle = :handle",
                "ExpressionAttributeNames": {"#handle": SOCIAL_HANDLE_FIELD},
                "ExpressionAttributeValues": {":handle": {"S": f"{attribute}#{handle}"}},
            }
            while True:
                page = self._client.query(**kwargs)
                ids.extend(row["Id"]["S"] for row in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    return handle, sorted(ids)
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        if not wanted:
            return {}
        with ThreadPoolExecutor(max_workers=min(_WORKERS, len(wanted))) as pool:
            return {handle: ids for handle, ids in pool.map(one, wanted) if ids}
